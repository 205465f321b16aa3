// The calls the page knows about, oldest first: a status snapshot merged with
// the live feed. A snapshot can race the feed (a call may complete between
// the two), so a refresh keeps the calls that arrived while it was in flight.
import type { CallRecord } from '../main/core/wire/types.js';
import type { Unsubscribe } from '../main/core/ui/bridge.js';
import { Listeners } from './listeners.js';

/** As many as the proxy's status keeps, so a reload shows the same page. */
export const STORE_CAPACITY = 200;

export type StoreChange = { readonly type: 'added'; readonly record: CallRecord } | { readonly type: 'replaced' };

/**
 * Ids restart when the proxy restarts, and in the app a retiring proxy may
 * still report calls next to its successor, so an id alone is not unique.
 */
export function callKey(record: CallRecord): string {
  return `${record.id}@${record.time}`;
}

export class CallStore {
  private records: CallRecord[] = [];
  private readonly keys = new Set<string>();
  private readonly changes = new Listeners<StoreChange>();
  /** Calls that arrived since the oldest refresh still in flight began. */
  private arrivedDuringRefresh: CallRecord[] | null = null;
  private refreshGeneration = 0;

  constructor(private readonly capacity = STORE_CAPACITY) {}

  get all(): readonly CallRecord[] {
    return this.records;
  }

  get size(): number {
    return this.records.length;
  }

  get latest(): CallRecord | undefined {
    return this.records.at(-1);
  }

  find(key: string): CallRecord | undefined {
    return this.records.find((record) => callKey(record) === key);
  }

  subscribe(listener: (change: StoreChange) => void): Unsubscribe {
    return this.changes.add(listener);
  }

  add(record: CallRecord): void {
    this.arrivedDuringRefresh?.push(record);
    const key = callKey(record);
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.records.push(record);
    this.trim();
    this.changes.emit({ type: 'added', record });
  }

  /** Starts a refresh; pass the returned token to `replace` with the snapshot. */
  beginRefresh(): number {
    this.arrivedDuringRefresh ??= [];
    return ++this.refreshGeneration;
  }

  /** The snapshot plus whatever arrived while it was fetched; a stale refresh (a newer one began) is ignored. */
  replace(token: number, snapshot: readonly CallRecord[]): void {
    if (token !== this.refreshGeneration) return;
    const arrived = this.arrivedDuringRefresh ?? [];
    this.arrivedDuringRefresh = null;
    const snapshotKeys = new Set(snapshot.map(callKey));
    this.records = [...snapshot, ...arrived.filter((record) => !snapshotKeys.has(callKey(record)))];
    this.trim();
    this.keys.clear();
    for (const record of this.records) this.keys.add(callKey(record));
    this.changes.emit({ type: 'replaced' });
  }

  /** Ends a refresh that got no snapshot (the proxy is stopped or unreachable): the calls shown so far stay. */
  keep(token: number): void {
    if (token === this.refreshGeneration) this.arrivedDuringRefresh = null;
  }

  private trim(): void {
    while (this.records.length > this.capacity) this.keys.delete(callKey(this.records.shift()!));
  }
}
