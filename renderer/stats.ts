// Figures the Activity view derives from call records. Pure.
import type { CallRecord } from '../main/core/diagnostics/types.js';

/** Below this reuse a call prefilled (nearly) its whole prompt, so its time to first token measures the prefill rate. */
const UNCACHED_REUSE = 0.2;
/** How many recent uncached calls the rate is averaged over. */
const RATE_SAMPLE = 20;

export interface PrefillRate {
  readonly tokensPerMs: number;
  /** How many calls it was measured from. */
  readonly calls: number;
}

export interface ActivityTotals {
  readonly calls: number;
  readonly misses: number;
  readonly errors: number;
  readonly reusedTokens: number;
  readonly rate: PrefillRate | null;
  /** The prefill time the reused tokens would have cost at `rate`; null until a rate is known. */
  readonly savedMs: number | null;
}

export function isMiss(record: CallRecord): boolean {
  return record.bust !== null;
}

export function isError(record: CallRecord): boolean {
  return record.status >= 400;
}

/** The proxy's estimate when it reported one, else the backend's input tokens times the reused fraction. */
export function reusedTokens(record: CallRecord): number {
  if (record.cacheReadTokens !== null) return record.cacheReadTokens;
  return record.inputTokens === null ? 0 : Math.round(record.inputTokens * record.reuse);
}

/** Tokens per millisecond of the recent calls that found (almost) nothing in the cache. */
export function prefillRate(records: readonly CallRecord[]): PrefillRate | null {
  let tokens = 0;
  let ms = 0;
  let calls = 0;
  for (let i = records.length - 1; i >= 0 && calls < RATE_SAMPLE; i--) {
    const record = records[i]!;
    if (isError(record) || record.reuse >= UNCACHED_REUSE || !record.inputTokens || !record.ttftMs || record.ttftMs <= 0) continue;
    tokens += record.inputTokens * (1 - record.reuse);
    ms += record.ttftMs;
    calls++;
  }
  return calls === 0 ? null : { tokensPerMs: tokens / ms, calls };
}

export function activityTotals(records: readonly CallRecord[]): ActivityTotals {
  let misses = 0;
  let errors = 0;
  let reused = 0;
  for (const record of records) {
    if (isMiss(record)) misses++;
    if (isError(record)) errors++;
    reused += reusedTokens(record);
  }
  const rate = prefillRate(records);
  return {
    calls: records.length,
    misses,
    errors,
    reusedTokens: reused,
    rate,
    savedMs: rate === null ? null : reused / rate.tokensPerMs,
  };
}

/**
 * A conversation's calls in order of turn and call (a retried call keeps both
 * records, in the order they completed); side calls are no part of it.
 */
export function conversationCalls(records: readonly CallRecord[], session: string): CallRecord[] {
  return records.filter((record) => record.session === session && !record.sideCall)
    .sort((a, b) => a.turn - b.turn || a.call - b.call || a.id - b.id);
}
