// The prefill prediction's arithmetic: the flat rate while the measured calls
// are all of a length, and a cost per token that grows with the context once
// they span long and short prompts (attention reads every earlier token).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CallRecord } from '../main/core/wire/types.js';
import { predictPrefillMs } from '../main/core/wait/predict.js';
import { fitContextCost, prefillRate } from '../main/core/wait/prefill-rate.js';
import { contextCostFromModelInfo, contextCostFromWidth } from '../main/core/backends/model-shape.js';
import { QWEN3_CODER_MODEL_INFO } from './support/ollama-standin.js';

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

  test('with the model\'s shape, the first long prompt after short ones is not underpredicted', () => {
    // The engine above grows by 1e-6 / 0.01 per token of context.
    const shape = 1e-4;
    const short = [uncached(1000, engineMs(1000)), uncached(1500, engineMs(1500))];
    const actual = engineMs(17_000);
    const withShape = prefillRate(short, 'm', shape)!;
    assert.equal(withShape.context?.from, 'model');
    const predicted = predictPrefillMs(17_000, 0, withShape)!;
    assert.ok(Math.abs(predicted - actual) / actual < 0.01, `${predicted} against ${actual}`);
    // Without it, short calls alone give the flat rate, far short of the truth.
    const flat = predictPrefillMs(17_000, 0, prefillRate(short, 'm'))!;
    assert.ok(flat < 0.7 * actual, `flat ${flat} against ${actual}`);
  });

  test('once the calls span enough context, their own fit wins over the shape', () => {
    const records = [uncached(1000, engineMs(1000)), uncached(16_000, engineMs(16_000))];
    const rate = prefillRate(records, 'm', 5e-4)!;
    assert.equal(rate.context?.from, 'calls');
    assert.ok(Math.abs(rate.context.perContextMsPerToken - 1e-6) < 1e-9);
  });

  test('no shape, or a meaningless one, leaves the flat rate', () => {
    for (const shape of [null, 0, -1, Number.NaN]) assert.equal(prefillRate([uncached(1000, 500)], 'm', shape)!.context, undefined);
  });
});

describe('the growth with context from a model\'s shape', () => {
  test('a dense model (llama3.1:8b as `ollama show` gives it): attention width over weights per layer', () => {
    const info = {
      'general.architecture': 'llama', 'llama.embedding_length': 4096, 'llama.block_count': 32, 'llama.feed_forward_length': 14336,
      'llama.attention.head_count': 32, 'llama.attention.head_count_kv': 8, 'llama.context_length': 131072,
    };
    // Q and O 4096², K and V 4096·1024, gated feed-forward 3·4096·14336; attention reads 2·4096 per earlier token.
    const expected = 8192 / (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336);
    assert.ok(Math.abs(contextCostFromModelInfo(info)! - expected) < 1e-12);
    // The rule of thumb from the width alone (llama-server's meta.n_embd) is close.
    assert.ok(Math.abs(contextCostFromWidth(4096)! / expected - 1) < 0.1);
  });

  test('a mixture of experts counts only the experts a token is routed to', () => {
    // qwen3-coder:30b: 8 of 128 experts of width 768; 32 query heads of 128.
    const expected = 8192 / (2048 * 4096 + 2 * 2048 * 512 + 4096 * 2048 + 3 * 2048 * 8 * 768);
    assert.ok(Math.abs(contextCostFromModelInfo(QWEN3_CODER_MODEL_INFO)! - expected) < 1e-12);
  });

  test('missing or malformed keys give null, never a guess', () => {
    assert.equal(contextCostFromModelInfo(undefined), null);
    assert.equal(contextCostFromModelInfo({ 'llama.embedding_length': 4096 }), null);
    assert.equal(contextCostFromModelInfo({ 'general.architecture': 'llama', 'llama.embedding_length': '4096', 'llama.attention.head_count': 32 }), null);
    assert.equal(contextCostFromModelInfo({ 'general.architecture': 'llama', 'llama.embedding_length': 4096, 'llama.attention.head_count': 32 }), null);
    assert.equal(contextCostFromWidth(0), null);
  });
});

