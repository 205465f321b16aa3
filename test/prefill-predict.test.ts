// The prefill prediction's arithmetic: the flat rate while the measured calls
// are all of a length, and a cost per token that grows with the context once
// they span long and short prompts (attention reads every earlier token).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CallRecord } from '../main/core/diagnostics/types.js';
import { predictPrefillMs } from '../main/core/wait/predict.js';
import { fitContextCost, prefillRate } from '../main/core/wait/prefill-rate.js';

/** An uncached call of `tokens` tokens that took what an engine costing base + perContext·c per token takes. */
function uncached(tokens: number, ms: number, model = 'm'): CallRecord {
  return { model, status: 200, reuse: 0, inputTokens: tokens, ttftMs: ms } as unknown as CallRecord;
}

/** An engine whose cost per token is 0.01 ms plus 1e-6 ms per token of context. */
const engineMs = (prefilled: number, reused = 0): number => prefilled * (0.01 + 1e-6 * (reused + prefilled / 2));

describe('prefill prediction', () => {
  test('calls of one length give the flat rate: tokens over time', () => {
    const rate = prefillRate([uncached(1000, 500), uncached(1200, 600)], 'm')!;
    assert.equal(rate.context, undefined);
    assert.equal(predictPrefillMs(2000, 0, rate), 1000);
    assert.equal(predictPrefillMs(2000, 1500, rate), 250);
  });

  test('short and long calls measure the growth with context, so a long prompt is not underpredicted', () => {
    const records = [uncached(1000, engineMs(1000)), uncached(1500, engineMs(1500)), uncached(16_000, engineMs(16_000))];
    const rate = prefillRate(records, 'm')!;
    assert.ok(rate.context, 'the fit is made');
    const actual = engineMs(30_000);
    const predicted = predictPrefillMs(30_000, 0, rate)!;
    assert.ok(Math.abs(predicted - actual) / actual < 0.01, `${predicted} against ${actual}`);
    // The flat rate, for contrast, is far off on the long prompt.
    const flat = 30_000 / rate.tokensPerMs;
    assert.ok(flat < 0.8 * actual, `flat ${flat} against ${actual}`);
  });

  test('a prefill after a reused prefix pays for the context it attends to', () => {
    const rate = prefillRate([uncached(1000, engineMs(1000)), uncached(16_000, engineMs(16_000))], 'm')!;
    const predicted = predictPrefillMs(20_000, 19_000, rate)!;
    assert.ok(Math.abs(predicted - engineMs(1000, 19_000)) < 2, `${predicted} against ${engineMs(1000, 19_000)}`);
  });

  test('a fit that is not physical (longer prompts faster per token) falls back to the flat rate', () => {
    assert.equal(fitContextCost([{ x: 1000, reused: 0, ms: 1000 }, { x: 16_000, reused: 0, ms: 4000 }]), null);
    const rate = prefillRate([uncached(1000, 1000), uncached(16_000, 4000)], 'm')!;
    assert.equal(rate.context, undefined);
    assert.equal(predictPrefillMs(17_000, 0, rate), Math.round(17_000 / rate.tokensPerMs));
  });
});
