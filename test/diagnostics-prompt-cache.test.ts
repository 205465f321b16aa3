// The estimate keeps the backend's host-memory prompt cache (llama-server's
// `--cache-ram`, on in Ollama 0.30+): the recorded 2.1.332 session that
// delegates once (main, subagent, subagent, main), on one slot, through the
// proxy with its backend monitor. On Ollama 0.30+ the main agent's return is
// estimated as restored from the cache; before 0.30 it is slot-evicted.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { send } from './support/http-client.js';
import { startHarness } from './support/proxy-harness.js';
import { loadRecording } from './support/recordings.js';
import type { CallRecord } from '../main/core/wire/types.js';
import { keepsPromptCache } from '../main/core/backends/host-cache.js';
import { backendView } from '../main/core/backends/backend-info.js';
import { PROFILES } from '../main/core/backends/detect.js';
import { startOllamaStandin } from './support/ollama-standin.js';
import { startBackendRig } from './support/backend-rig.js';

/** The session through the proxy, whose backend view says Ollama of `version` (as its monitor would read /api/version). */
async function replaySubagent(version: string, oneSlot = false): Promise<CallRecord[]> {
  const { calls } = loadRecording('cc-2.1.332-subagent');
  // As /api/show tells of a model whose architecture Ollama runs on one slot.
  const renderer = { family: 'template' as const, name: 'template', keepReasoningSwitch: null, oneSlot: true };
  const models = oneSlot ? [{ name: 'qwen3-coder:30b', renderer }] : [];
  const state = { status: 'up' as const, kind: 'ollama' as const, version, models, loaded: [], lastCheckedAt: new Date() };
  const backend = backendView({ state, profile: PROFILES.ollama }, { configuredSlots: 1, model: null }, () => 0);
  const harness = await startHarness({ slots: 1, inlineSystem: 'fold', backend }, { timing: { prefillMs: 0, tokenDelayMs: 0, tokens: 2 } });
  try {
    for (const call of calls) {
      const result = await send(harness.url, { method: call.method, path: call.path, headers: call.headers, body: Buffer.from(call.body) });
      assert.equal(result.status, 200, result.text);
    }
    return [...harness.proxy.status().recent];
  } finally {
    await harness.close();
  }
}

describe('the estimate and the backend\'s prompt cache', () => {
  test('which backends keep one: llama-server, Ollama 0.30 and later (or of unknown version); not Ollama before 0.30, vLLM, SGLang', () => {
    assert.equal(keepsPromptCache('llama-server', null), true);
    assert.equal(keepsPromptCache('ollama', '0.30.0'), true);
    assert.equal(keepsPromptCache('ollama', '0.33.0-rc1'), true);
    assert.equal(keepsPromptCache('ollama', '1.0.0'), true);
    assert.equal(keepsPromptCache('ollama', null), true, 'unknown: assume a current Ollama');
    assert.equal(keepsPromptCache('ollama', '0.29.9'), false);
    assert.equal(keepsPromptCache('ollama', '0.12.6'), false);
    assert.equal(keepsPromptCache('vllm', null), false);
    assert.equal(keepsPromptCache('sglang', null), false);
  });

  test('Ollama 0.30+: the main agent\'s return after its subagent took the one slot is estimated restored, not slot-evicted', async () => {
    const records = await replaySubagent('0.30.2');
    assert.deepEqual(records.map((r) => r.bust?.cause ?? null), [null, null, null, null]);
    const main2 = records[3]!;
    assert.ok(main2.estimatedReuse > 0.95, `estimated ${main2.estimatedReuse}`);
    assert.equal(main2.slotsNeeded, 1, 'the cache gives the conversation back: one slot suffices');
    assert.equal(main2.restoredFrom, records[0]!.session, 'loaded from the cache: the main conversation\'s own prompt');
    assert.deepEqual(records.map((r) => r.mainKept), [undefined, true, true, undefined], 'the subagent\'s calls left the main conversation in the cache (warm start asks)');
  });

  test('Ollama before 0.30: the same return is slot-evicted, and two slots are advised', async () => {
    const records = await replaySubagent('0.29.0');
    assert.deepEqual(records.map((r) => r.bust?.cause ?? null), [null, null, null, 'slot-evicted']);
    assert.ok(records[3]!.estimatedReuse < 0.5, `estimated ${records[3]!.estimatedReuse}`);
    assert.equal(records[3]!.slotsNeeded, 2);
    assert.ok(records.every((r) => r.mainKept === undefined && r.restoredFrom === undefined));
  });

  test('a model Ollama runs on one slot is never told to raise OLLAMA_NUM_PARALLEL', async () => {
    const records = await replaySubagent('0.29.0', true);
    const remedy = records[3]!.bust?.remedy ?? '';
    assert.equal(records[3]!.bust?.cause, 'slot-evicted');
    assert.doesNotMatch(remedy, /OLLAMA_NUM_PARALLEL=/);
    assert.match(remedy, /one slot whatever OLLAMA_NUM_PARALLEL says/);
    assert.match(remedy, /different weights file/);
  });

  test('through the host, the version comes from the monitor\'s look at /api/version', async () => {
    const { calls } = loadRecording('cc-2.1.332-subagent');
    const causes: Record<string, (string | null)[]> = {};
    for (const version of ['0.29.0', '0.30.2']) {
      const standin = await startOllamaStandin({ version, timing: { prefillMs: 0, tokenDelayMs: 0, tokens: 2 } });
      const rig = await startBackendRig(standin.url, { slots: 1 });
      try {
        for (const call of calls) {
          const record = rig.nextCall();
          assert.equal((await send(rig.url, { method: call.method, path: call.path, headers: call.headers, body: Buffer.from(call.body) })).status, 200);
          await record;
        }
        causes[version] = rig.calls.map((r) => r.bust?.cause ?? null);
      } finally {
        await rig.close();
        await standin.close();
      }
    }
    assert.deepEqual(causes, { '0.29.0': [null, null, null, 'slot-evicted'], '0.30.2': [null, null, null, null] });
  });
});
