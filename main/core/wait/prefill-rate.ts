// The backend's prefill rate, measured from the calls that found (almost)
// nothing in its cache: their time to first token is nearly all prefill.
// Pure: the proxy and the Activity page load the same module (this folder is
// served to the page, see ui/routes.ts), so both show the same figure.
import type { CallRecord } from '../diagnostics/types.js';

/** Below this reuse a call prefilled (nearly) its whole prompt, so its time to first token measures the prefill rate. */
export const UNCACHED_REUSE = 0.2;
/** How many recent uncached calls the rate is averaged over. */
const RATE_SAMPLE = 20;

export interface PrefillRate {
  readonly tokensPerMs: number;
  /** How many calls it was measured from. */
  readonly calls: number;
}

/**
 * Tokens per millisecond of the recent uncached calls, newest first; with
 * `model`, only that model's calls (another model prefills at its own pace).
 */
export function prefillRate(records: readonly CallRecord[], model?: string | null): PrefillRate | null {
  let tokens = 0;
  let ms = 0;
  let calls = 0;
  for (let i = records.length - 1; i >= 0 && calls < RATE_SAMPLE; i--) {
    const record = records[i]!;
    if (model !== undefined && record.model !== model) continue;
    // A call that waited for the model to load measures the load, not the prefill.
    if (record.loadingModel === true) continue;
    if (record.status >= 400 || record.reuse >= UNCACHED_REUSE || !record.inputTokens || !record.ttftMs || record.ttftMs <= 0) continue;
    tokens += record.inputTokens * (1 - record.reuse);
    ms += record.ttftMs;
    calls++;
  }
  return calls === 0 ? null : { tokensPerMs: tokens / ms, calls };
}
