// A client that leaves while the engine reads its prompt. Ollama runs GGUF
// models on llama-server since 0.30, which notices a closed connection at its
// next once-a-second poll, handles the cancel between two batches of the
// prompt, and keeps in the slot what it read; the next call with that prompt
// reuses exactly that. When the engine notices (bench/engine/disconnect.ts) is
// checked on its own; what it does once it has noticed, on the real llama.cpp
// engine, told to notice at once so that the test does not depend on how fast
// the machine reads. The old Go runner's way, reading on to the prompt's end,
// is a rule of its own.
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it, before, after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { noticedBy, OLLAMA_DISCONNECT, parseDisconnectRule, type DisconnectRule } from '../bench/engine/disconnect.js';
import { engineUnavailable } from '../bench/engine/llama.js';
import { startEngine, type RunningEngine } from '../bench/engine/open.js';
import { replay } from '../bench/engine/replay.js';
import type { EngineCall } from '../bench/engine/server.js';
import { PROMPT_BATCH } from '../bench/engine/slots.js';
import { needsEngine } from './support/requirements.js';

const skip = needsEngine(engineUnavailable());

/** About 6,000 tokens on the test model: a dozen batches. */
const LONG = Array.from({ length: 700 }, (_, i) => `line ${i} of the words`).join('\n');
const bodyFor = (model: string): string => JSON.stringify({ model, max_tokens: 2, stream: true, messages: [{ role: 'user', content: LONG }] });

async function until(what: string, ok: () => boolean, timeoutMs = 120_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !ok(); await sleep(2)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
}

interface Left {
  /** The engine's record of the call whose client left. */
  readonly left: EngineCall;
  /** What it had read when its client left. */
  readonly atLeave: number;
  /** The same prompt again, sent at once: it runs once the first call has ended. */
  readonly next: EngineCall;
}

/** Sends the long prompt, leaves once the engine has read `afterTokens` of it, and asks it again. */
async function leaveThenAskAgain(engine: RunningEngine, afterTokens: number, body = bodyFor('m:1')): Promise<Left> {
  const before = engine.calls.length;
  const req = http.request(`${engine.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' } });
  req.on('error', () => undefined);
  req.on('response', (res) => res.on('error', () => undefined).resume());
  req.end(body);
  await until('the call to start', () => engine.calls.length > before);
  const left = engine.calls[before]!;
  await until(`${afterTokens} tokens read`, () => left.evaluated >= afterTokens);
  const atLeave = left.evaluated;
  req.destroy();
  const again = await replay(engine.url, { path: '/v1/messages', headers: {}, body });
  assert.equal(again.status, 200, again.error ?? '');
  assert.equal(engine.calls.length, before + 2);
  return { left, atLeave, next: engine.calls.at(-1)! };
}

describe("when the engine notices a client that left: Ollama's, llama-server's poll once a second", () => {
  const at = (rule: DisconnectRule, closedAt: number | null, now: number): boolean => noticedBy(rule, 1_000, () => closedAt, () => now)();

  it('notices at the first whole second after the request arrived that follows the close, not before', () => {
    assert.deepEqual(OLLAMA_DISCONNECT, { pollMs: 1000 });
    assert.equal(at(OLLAMA_DISCONNECT, null, 60_000), false, 'a client still there is never gone');
    assert.equal(at(OLLAMA_DISCONNECT, 1_050, 1_999), false);
    assert.equal(at(OLLAMA_DISCONNECT, 1_050, 2_000), true);
    // A close right after the arrival still waits for the first poll; a close on a tick is seen at that tick.
    assert.equal(at(OLLAMA_DISCONNECT, 1_000, 1_999), false);
    assert.equal(at(OLLAMA_DISCONNECT, 3_000, 3_000), true);
    assert.equal(at(OLLAMA_DISCONNECT, 3_001, 3_999), false);
    assert.equal(at(OLLAMA_DISCONNECT, 3_001, 4_000), true);
  });

  it('poll:0 notices at once, after-prompt never', () => {
    assert.equal(at({ pollMs: 0 }, 1_050, 1_050), true);
    assert.equal(at('after-prompt', 1_050, 99_000), false);
    assert.deepEqual(parseDisconnectRule('poll:0'), { pollMs: 0 });
    assert.deepEqual(parseDisconnectRule('poll:1000'), OLLAMA_DISCONNECT);
    assert.equal(parseDisconnectRule('after-prompt'), 'after-prompt');
    assert.equal(parseDisconnectRule('soon'), null);
  });
});

describe('llama.cpp engine: a client that leaves while its prompt is read (noticed at once)', { skip }, () => {
  let engine: RunningEngine;
  before(async () => { engine = await startEngine({ size: 'test', slots: 1, contextSize: 8192, disconnect: { pollMs: 0 } }); });
  after(async () => { await engine.close(); });

  it('stops at the next batch boundary, and the same prompt then reuses exactly what was read', async () => {
    const { left, atLeave, next } = await leaveThenAskAgain(engine, PROMPT_BATCH);
    assert.ok(left.promptTokens > 5_000, `${left.promptTokens} tokens`);
    assert.equal(left.cancelled, true, `the engine read ${left.evaluated} of ${left.promptTokens} tokens after its client left`);
    assert.equal(left.reused, 0);
    assert.equal(left.evaluated % PROMPT_BATCH, 0, `stopped inside a batch, at ${left.evaluated}`);
    // The batch under way when the client left ends, and at most one more that started before the server saw
    // the connection close.
    assert.ok(left.evaluated >= atLeave && left.evaluated <= atLeave + 2 * PROMPT_BATCH, `left at ${atLeave}, read on to ${left.evaluated}`);
    assert.equal(next.cancelled, false);
    assert.equal(next.reused, left.evaluated, 'the slot keeps exactly what the cancelled call read');
    assert.equal(next.reused + next.evaluated, next.promptTokens);
  });
});

describe('llama.cpp engine: a client that leaves while a hybrid model (qwen3.5, --hybrid) reads its prompt', { skip }, () => {
  let engine: RunningEngine;
  before(async () => { engine = await startEngine({ size: 'test', slots: 1, contextSize: 8192, hybrid: true, disconnect: { pollMs: 0 } }); });
  after(async () => { await engine.close(); });

  it('stops at a batch boundary short of the checkpoints near the end; the same prompt then extends what was read, with no checkpoint needed', async () => {
    const { left, next } = await leaveThenAskAgain(engine, PROMPT_BATCH, bodyFor('qwen3.6:35b-a3b'));
    assert.equal(left.cancelled, true);
    assert.equal(left.evaluated % PROMPT_BATCH, 0, `stopped inside a batch, at ${left.evaluated}`);
    assert.ok(left.evaluated < left.promptTokens - PROMPT_BATCH, 'before N − 512');
    // The recurrent state stands where the cancelled call stopped: the next call extends it and re-reads nothing.
    assert.equal(next.reused, left.evaluated);
    assert.equal(next.reused + next.evaluated, next.promptTokens);
  });
});

describe('llama.cpp engine: Ollama 0.29 and earlier read a prompt to its end after the client left (after-prompt)', { skip }, () => {
  let engine: RunningEngine;
  before(async () => { engine = await startEngine({ size: 'test', slots: 1, contextSize: 8192, disconnect: 'after-prompt' }); });
  after(async () => { await engine.close(); });

  it('reads the whole prompt, and the same prompt then reuses all of it but the one token it must evaluate', async () => {
    const { left, next } = await leaveThenAskAgain(engine, PROMPT_BATCH);
    assert.equal(left.cancelled, false);
    assert.equal(left.evaluated, left.promptTokens);
    assert.equal(next.reused, next.promptTokens - 1);
  });
});
