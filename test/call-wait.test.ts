// The wait the in-flight list shows for a call just forwarded: the tokens its
// cache lacks at the rate its own model's uncached calls measured, the
// model's shape standing in for the growth with context, and a model load
// first when the backend said the model was not loaded.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CallRecord } from '../main/core/wire/types.js';
import { predictCallWait } from '../main/core/wait/call-wait.js';

function uncached(tokens: number, ms: number, model: string): CallRecord {
  return { model, status: 200, reuse: 0, inputTokens: tokens, ttftMs: ms } as unknown as CallRecord;
}

const LOADED = { loaded: true, contextCost: null } as const;

describe('predictCallWait', () => {
  test('the tokens to prefill at the rate of the same model, not of another', () => {
    // m prefills 2 tokens per ms, other 10.
    const recent = [uncached(1000, 500, 'm'), uncached(10_000, 1000, 'other')];
    assert.deepEqual(predictCallWait({ model: 'm', promptTokens: 3000, reusedTokens: 1000 }, recent, LOADED), { expectedPrefillMs: 1000, loadingModel: false });
    assert.deepEqual(predictCallWait({ model: 'other', promptTokens: 3000, reusedTokens: 1000 }, recent, LOADED), { expectedPrefillMs: 200, loadingModel: false });
  });

  test('no measured call of the model: no figure, rather than a guess', () => {
    assert.equal(predictCallWait({ model: 'new', promptTokens: 3000, reusedTokens: 0 }, [uncached(1000, 500, 'm')], LOADED).expectedPrefillMs, null);
  });

  test('the model\'s shape makes a long prompt dearer than the flat rate of short calls says', () => {
    const recent = [uncached(1000, 500, 'm'), uncached(1200, 600, 'm')];
    const flat = predictCallWait({ model: 'm', promptTokens: 30_000, reusedTokens: 0 }, recent, LOADED).expectedPrefillMs!;
    const shaped = predictCallWait({ model: 'm', promptTokens: 30_000, reusedTokens: 0 }, recent, { loaded: true, contextCost: 2e-4 }).expectedPrefillMs!;
    assert.equal(flat, 15_000);
    assert.ok(shaped > flat, `${shaped} > ${flat}`);
  });

  test('a model the backend reported not loaded waits for its load first; unknown is not a load', () => {
    const prompt = { model: 'm', promptTokens: 1000, reusedTokens: 0 };
    assert.equal(predictCallWait(prompt, [], { loaded: false, contextCost: null }).loadingModel, true);
    assert.equal(predictCallWait(prompt, [], { loaded: null, contextCost: null }).loadingModel, false);
  });
});
