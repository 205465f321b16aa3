// The backend's prefill rate, measured from the calls that found (almost)
// nothing in its cache: their time to first token is nearly all prefill.
// Pure: the proxy and the Activity page load the same module (this folder is
// served to the page, see ui/routes.ts), so both show the same figure.
import type { CallRecord } from '../wire/types.js';

/** Below this reuse a call prefilled (nearly) its whole prompt, so its time to first token measures the prefill rate. */
export const UNCACHED_REUSE = 0.2;
/** How many recent uncached calls the rate is averaged over. */
const RATE_SAMPLE = 20;

export interface PrefillRate {
  /** The plain average: prefilled tokens over their time to first token. */
  readonly tokensPerMs: number;
  /** How many calls it was measured from. */
  readonly calls: number;
  /**
   * Cost per token that grows with the context it attends to, when the calls
   * spread wide enough in length to measure it: ms = x·(base + perContext·c),
   * x the tokens prefilled, c their mean position (reused + x/2). A rate per
   * token measured on short prompts underpredicts long ones, since attention
   * reads every earlier token; absent, predictions use `tokensPerMs`.
   */
  readonly context?: ContextCost;
}

export interface ContextCost {
  readonly baseMsPerToken: number;
  readonly perContextMsPerToken: number;
  /** 'calls': both terms fitted to the calls; 'model': the growth taken from the model's shape, the base fitted. */
  readonly from: 'calls' | 'model';
}

/** The calls must span this ratio of mean context before the growth with context is fitted, or noise would be fitted. */
const CONTEXT_SPREAD = 3;

interface Sample {
  /** Tokens prefilled. */
  readonly x: number;
  /** Reused tokens ahead of them. */
  readonly reused: number;
  readonly ms: number;
}

/** Mean context a prefilled token attends to. */
export function meanContext(prefilled: number, reused: number): number {
  return reused + prefilled / 2;
}

/**
 * Least squares of ms = base·x + perContext·x·c with both terms positive;
 * null when the samples do not span enough context or the fit is not physical.
 */
export function fitContextCost(samples: readonly Sample[]): ContextCost | null {
  const cs = samples.map((s) => meanContext(s.x, s.reused));
  if (samples.length < 2 || Math.max(...cs) < CONTEXT_SPREAD * Math.min(...cs)) return null;
  let aa = 0, ab = 0, bb = 0, at = 0, bt = 0;
  samples.forEach((s, i) => {
    const a = s.x;
    const b = s.x * cs[i]!;
    aa += a * a; ab += a * b; bb += b * b; at += a * s.ms; bt += b * s.ms;
  });
  const det = aa * bb - ab * ab;
  if (!(det > 0)) return null;
  const base = (at * bb - bt * ab) / det;
  const perContext = (bt * aa - at * ab) / det;
  return base > 0 && perContext > 0 ? { baseMsPerToken: base, perContextMsPerToken: perContext, from: 'calls' } : null;
}

/**
 * With the growth known from the model's shape (`contextCost`: the extra cost
 * per token of context as a fraction of the fixed cost, model-shape.ts), only
 * the base is fitted: total time over total cost units, like the flat rate.
 * This predicts a session's first long prompt from short ones alone.
 */
function contextCostFromShape(samples: readonly Sample[], contextCost: number): ContextCost | null {
  let units = 0;
  let ms = 0;
  for (const s of samples) {
    units += s.x * (1 + contextCost * meanContext(s.x, s.reused));
    ms += s.ms;
  }
  if (!(units > 0) || !(ms > 0)) return null;
  const base = ms / units;
  return { baseMsPerToken: base, perContextMsPerToken: base * contextCost, from: 'model' };
}

/**
 * Tokens per millisecond of the recent uncached calls, newest first; with
 * `model`, only that model's calls (another model prefills at its own pace).
 * `contextCost`, from the model's shape where the backend tells it, stands in
 * for the growth with context until the calls span enough to measure it.
 */
export function prefillRate(records: readonly CallRecord[], model?: string | null, contextCost?: number | null): PrefillRate | null {
  let tokens = 0;
  let ms = 0;
  let calls = 0;
  const samples: Sample[] = [];
  for (let i = records.length - 1; i >= 0 && calls < RATE_SAMPLE; i--) {
    const record = records[i]!;
    if (model !== undefined && record.model !== model) continue;
    // A call that waited for the model to load measures the load, not the prefill.
    if (record.loadingModel === true) continue;
    if (record.status >= 400 || record.reuse >= UNCACHED_REUSE || !record.inputTokens || !record.ttftMs || record.ttftMs <= 0) continue;
    const x = record.inputTokens * (1 - record.reuse);
    tokens += x;
    ms += record.ttftMs;
    calls++;
    samples.push({ x, reused: record.inputTokens * record.reuse, ms: record.ttftMs });
  }
  if (calls === 0) return null;
  const context = fitContextCost(samples) ?? (contextCost != null && contextCost > 0 ? contextCostFromShape(samples, contextCost) : null);
  return context === null ? { tokensPerMs: tokens / ms, calls } : { tokensPerMs: tokens / ms, calls, context };
}
