import type { CallRecord, Totals } from '../diagnostics/types.js';

/** The last N completed calls plus running totals, for the status API. */
export class CallLog {
  private readonly ring: CallRecord[] = [];
  private totals: Totals = { requests: 0, rewritten: 0, errors: 0, reusedTokens: 0, processedTokens: 0 };

  constructor(private readonly capacity = 200) {}

  /** Every request counts, including health checks and refused ones. */
  countRequest(outcome: { rewritten: boolean; error: boolean }): void {
    const t = this.totals;
    this.totals = {
      ...t,
      requests: t.requests + 1,
      rewritten: t.rewritten + (outcome.rewritten ? 1 : 0),
      errors: t.errors + (outcome.error ? 1 : 0),
    };
  }

  addCall(record: CallRecord): void {
    this.ring.push(record);
    if (this.ring.length > this.capacity) this.ring.shift();
    const processed = record.inputTokens ?? 0;
    const reused = record.cacheReadTokens ?? 0;
    this.totals = {
      ...this.totals,
      reusedTokens: this.totals.reusedTokens + reused,
      // What the backend really had to prefill: the prompt minus what it reused.
      processedTokens: this.totals.processedTokens + Math.max(0, processed - reused),
    };
  }

  snapshot(): { totals: Totals; recent: CallRecord[] } {
    return { totals: this.totals, recent: [...this.ring] };
  }
}
