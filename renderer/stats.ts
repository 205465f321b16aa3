// Figures the Activity view derives from call records. Pure.
import type { CallRecord } from '../main/core/wire/types.js';
import { prefillRate, type PrefillRate } from '../main/core/wait/prefill-rate.js';

export interface ActivityTotals {
  readonly calls: number;
  readonly misses: number;
  readonly errors: number;
  readonly reusedTokens: number;
  readonly rate: PrefillRate | null;
  /** The prefill time the reused tokens would have cost at `rate`; null until a rate is known. */
  readonly savedMs: number | null;
}

/** A call whose prompt the backend could not reuse: a bust, or a prompt cut to fit the context (the cut moves its start). */
export function isMiss(record: CallRecord): boolean {
  return record.bust !== null || record.contextOverflow !== undefined;
}

export function isError(record: CallRecord): boolean {
  return record.status >= 400;
}

/** The proxy's estimate when it reported one, else the backend's input tokens times the reused fraction. */
export function reusedTokens(record: CallRecord): number {
  if (record.cacheReadTokens !== null) return record.cacheReadTokens;
  return record.inputTokens === null ? 0 : Math.round(record.inputTokens * record.reuse);
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
