// Warm start on the Activity page: one line under the header saying what it
// last did (or is doing now) and why, from the status and the feed's warm-up
// events. Kept apart from the calls: a warm-up is nobody's turn.
import type { WarmStatus, WarmUpRecord } from '../main/core/wire/types.js';
import { warmUpLine } from '../main/core/wait/wait-view.js';
import { byId } from './dom.js';

const MODE_WORDS: Readonly<Record<WarmStatus['mode'], string>> = {
  on: 'on',
  idle: 'on while idle',
  off: 'off',
};

export class WarmView {
  private readonly line = byId('warm-state');
  private status: WarmStatus | null = null;

  /** A fresh snapshot (null: the proxy runs without warm start, or is stopped). */
  replace(status: WarmStatus | null): void {
    this.status = status;
    this.render(status?.running ?? status?.last ?? null);
  }

  apply(record: WarmUpRecord): void {
    if (this.status === null) return;
    this.status = { ...this.status, running: record.outcome === 'running' ? record : null, last: record.outcome === 'running' ? this.status.last : record };
    this.render(record);
  }

  private render(record: WarmUpRecord | null): void {
    const status = this.status;
    this.line.hidden = status === null;
    if (status === null) return;
    const mode = `Warm start ${MODE_WORDS[status.mode]}${status.setting === 'auto' ? ' (auto)' : ''}`;
    this.line.textContent = record === null ? `${mode}: nothing warmed yet.` : `${mode}. Last: ${warmUpLine(record)}.`;
    this.line.dataset['outcome'] = record?.outcome ?? 'none';
  }
}
