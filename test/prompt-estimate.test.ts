// The proxy's estimate of a prompt's size, held against a real llama.cpp
// engine's count over real HTTP. The estimate is the rendered length over a
// characters-per-token ratio learnt from earlier calls, so it is only as good
// as the rendered text is proportional to what the engine tokenizes: on a
// renderer that writes each tool as XML and appends fixed instructions
// (qwen3-coder), a ratio learnt on a short prompt must still hold on a long one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InFlightCall } from '../main/core/wire/types.js';
import { engineUnavailable } from '../bench/engine/llama.js';
import { startEngine, type RunningEngine } from '../bench/engine/open.js';
import { startBackendRig, type BackendRig } from './support/backend-rig.js';
import { send } from './support/http-client.js';
import { loadRecording } from './support/recordings.js';
import { needsEngine } from './support/requirements.js';

const skip = needsEngine(engineUnavailable());
const MODEL = 'qwen3-coder:30b';

describe('the estimated prompt size against the engine, qwen3-coder renderer', { skip }, () => {
  let engine: RunningEngine;
  let rig: BackendRig;
  /** Per call: the proxy's estimate as announced before the first token, and the engine's own count. */
  const rows: { name: string; estimated: number; engine: number }[] = [];

  before(async () => {
    // The recorded model name is installed, as the user's model is on their Ollama.
    engine = await startEngine({ size: 'test', slots: 1, contextSize: 16384, models: { [MODEL]: {} } });
    rig = await startBackendRig(engine.url, { model: MODEL, proxy: { rewrite: 'off' } });
    const starts: InFlightCall[] = [];
    rig.proxy.on('in-flight', (e) => {
      if (e.type === 'call-start') starts.push(e.call);
    });
    // Short prompts first (a bare session), then a full Claude Code prompt: its tools are most of it.
    const calls = [
      ...loadRecording('cc-2.1.139-bare-resume').calls.map((c, i) => ({ name: `bare-resume call ${i + 1}`, call: c })),
      { name: 'tool-loop call 1', call: loadRecording('cc-2.1.332-tool-loop').calls[0]! },
    ];
    for (const { name, call } of calls) {
      const before = engine.calls.length;
      const answered = rig.nextCall();
      const result = await send(rig.url, { method: call.method, path: call.path, headers: call.headers, body: Buffer.from(call.body) });
      assert.equal(result.status, 200, result.text);
      await answered;
      const truth = engine.calls[before];
      const announced = starts.at(-1);
      assert.ok(truth && announced?.promptTokens != null, `${name}: the engine's record and the proxy's announcement`);
      rows.push({ name, estimated: announced.promptTokens, engine: truth.evaluated + truth.reused });
    }
  });
  after(async () => {
    await rig?.close();
    await engine?.close();
  });

  test('the proxy knew the renderer', async () => {
    assert.equal((await rig.backend()).renderer?.family, 'qwen3-coder');
  });

  test("once a call has calibrated the ratio, every estimate is within 5% of the engine's count, the long prompt after short ones included", () => {
    for (const row of rows.slice(1)) {
      const error = (row.estimated - row.engine) / row.engine;
      assert.ok(Math.abs(error) <= 0.05, `${row.name}: estimated ${row.estimated} tokens, the engine counted ${row.engine} (${(error * 100).toFixed(1)}%)`);
    }
  });
});
