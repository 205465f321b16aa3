// The calls forwarded and not yet finished, for /_proxy/status, the live
// feed and the tray. Registering a call is a Map insert at arrival; its
// prediction is added once the diagnostics have run (after the body went
// upstream), so nothing here stands on the forwarding path.
import type { BustCause, InFlightCall } from '../wire/types.js';

/** What the diagnostics and the backend say about a call, known a few ms after it arrives. */
export interface InFlightPrediction {
  readonly session: string;
  readonly turn: number;
  readonly call: number;
  readonly model: string | null;
  readonly promptTokens: number;
  readonly reusedTokens: number;
  readonly expectedPrefillMs: number | null;
  readonly cause: BustCause | null;
  readonly loadingModel: boolean;
  readonly contextTokens: number | null;
}

interface Entry {
  readonly id: number;
  readonly time: string;
  /** performance.now() at arrival. */
  readonly startedAt: number;
  firstTokenAt: number | null;
  prediction: InFlightPrediction | null;
}

export class InFlightCalls<K extends object> {
  // Insertion order is arrival order, so list() is oldest first for free.
  private readonly entries = new Map<K, Entry>();

  begin(key: K, id: number, startedAt: number, time: Date): void {
    this.entries.set(key, { id, time: time.toISOString(), startedAt, firstTokenAt: null, prediction: null });
  }

  predicted(key: K, prediction: InFlightPrediction): void {
    const entry = this.entries.get(key);
    if (entry) entry.prediction = prediction;
  }

  firstToken(key: K, at: number): void {
    const entry = this.entries.get(key);
    if (entry && entry.firstTokenAt === null) entry.firstTokenAt = at;
  }

  /** Removes the call; returns its last view, or null when it was not registered. */
  end(key: K, now: number): InFlightCall | null {
    const view = this.view(key, now);
    this.entries.delete(key);
    return view;
  }

  id(key: K): number | null {
    return this.entries.get(key)?.id ?? null;
  }

  view(key: K, now: number): InFlightCall | null {
    const entry = this.entries.get(key);
    return entry ? viewOf(entry, now) : null;
  }

  list(now: number): InFlightCall[] {
    return [...this.entries.values()].map((entry) => viewOf(entry, now));
  }
}

function viewOf(entry: Entry, now: number): InFlightCall {
  const p = entry.prediction;
  return {
    id: entry.id,
    time: entry.time,
    session: p?.session ?? null,
    turn: p?.turn ?? null,
    call: p?.call ?? null,
    model: p?.model ?? null,
    promptTokens: p?.promptTokens ?? null,
    reusedTokens: p?.reusedTokens ?? null,
    expectedPrefillMs: p?.expectedPrefillMs ?? null,
    elapsedMs: Math.round(now - entry.startedAt),
    phase: entry.firstTokenAt === null ? 'waiting' : 'streaming',
    cause: p?.cause ?? null,
    loadingModel: p?.loadingModel ?? false,
    contextTokens: p?.contextTokens ?? null,
  };
}
