import type { CallRecord, Totals } from '../wire/types.js';

/** The last N completed calls plus running totals, for the status API. */
export class CallLog {
  private readonly ring: CallRecord[] = [];
  // Counted in place on every request; snapshot() hands out a copy.
  private readonly totals: { -readonly [K in keyof Totals]: Totals[K] } = { requests: 0, rewritten: 0, errors: 0, reusedTokens: 0, processedTokens: 0 };

  constructor(private readonly capacity = 200) {}

  /** Every request counts, including health checks and refused ones. */
  countRequest(outcome: { rewritten: boolean; error: boolean }): void {
    this.totals.requests++;
    if (outcome.rewritten) this.totals.rewritten++;
    if (outcome.error) this.totals.errors++;
  }

  addCall(record: CallRecord): void {
    this.ring.push(record);
    if (this.ring.length > this.capacity) this.ring.shift();
    const reused = record.cacheReadTokens ?? 0;
    this.totals.reusedTokens += reused;
    // What the backend really had to prefill: the prompt minus what it reused.
    this.totals.processedTokens += Math.max(0, (record.inputTokens ?? 0) - reused);
  }

  /** The kept calls, oldest first, without a copy: for reading at once, never for keeping. */
  recentCalls(): readonly CallRecord[] {
    return this.ring;
  }

  snapshot(): { totals: Totals; recent: CallRecord[] } {
    return { totals: { ...this.totals }, recent: [...this.ring] };
  }
}
