// Calls waiting for (or streaming) their answer, above the list of completed
// calls: a bar against the predicted prefill, the seconds waited, and a plain
// warning when the wait runs past twice the prediction. The proxy's figures
// are as of when it sent them; the page adds the time since, so the bar moves
// between events. The list redraws four times a second, so it is not a live
// region: a screen reader would hear it all the time.
import type { InFlightCall, InFlightEvent } from '../main/core/wire/types.js';
import { isSideCallInFlight, waitView } from '../main/core/wait/wait-view.js';
import { byId, h } from './dom.js';
import { formatCount, formatDuration } from './format.js';

const TICK_MS = 250;

interface Held {
  readonly call: InFlightCall;
  /** performance.now() when the page got this view of the call. */
  readonly receivedAt: number;
}

function windowText(call: InFlightCall): string | null {
  if (call.promptTokens === null) return null;
  const prompt = `${formatCount(call.promptTokens)} tokens`;
  return call.contextTokens === null ? prompt : `${prompt} of a ${formatCount(call.contextTokens)}-token window`;
}

function itemOf(call: InFlightCall): HTMLLIElement {
  const view = waitView(call);
  const waiting = call.phase === 'waiting';
  const bar = h('progress', { class: 'wait-bar', max: 1, 'aria-label': 'Prefill progress against the prediction' });
  // Without a prediction the bar is indeterminate rather than a made-up share.
  if (waiting && view.progress !== null) bar.value = view.progress;
  if (!waiting) bar.value = 1;
  const who = [isSideCallInFlight(call) ? 'Side call' : call.turn === null ? null : `Turn ${call.turn}`, call.session, call.model].filter((part) => part !== null).join(' · ');
  return h('li', { class: 'in-flight-call', 'data-id': call.id, 'data-phase': call.phase, 'data-overdue': waiting && view.overdue ? 'true' : null },
    h('div', { class: 'in-flight-head' },
      h('span', { class: 'who' }, who || 'New call'),
      h('span', { class: 'muted prompt-size' }, windowText(call) ?? ''),
      h('span', { class: 'elapsed num' }, formatDuration(call.elapsedMs))),
    bar,
    h('p', { class: waiting && view.overdue ? 'wait-line overdue warn' : 'wait-line' }, waiting ? view.line : 'Streaming the answer'));
}

export class InFlightView {
  private readonly section = byId('in-flight');
  private readonly list = byId<HTMLUListElement>('in-flight-list');
  private readonly calls = new Map<number, Held>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private refreshGeneration = 0;
  /**
   * What the live feed said while a status snapshot was being fetched (null:
   * the call ended), so that the older snapshot does not undo it, as the
   * call store does for completed calls. Null while no snapshot is awaited.
   */
  private changedDuringRefresh: Map<number, Held | null> | null = null;

  /** Call before fetching a status snapshot; hand the token to replace(). */
  beginRefresh(): number {
    this.changedDuringRefresh = new Map();
    return ++this.refreshGeneration;
  }

  /** The proxy's list as a status snapshot gave it, plus what the feed said since; a stale snapshot is ignored. */
  replace(token: number, calls: readonly InFlightCall[]): void {
    if (token !== this.refreshGeneration) return;
    this.calls.clear();
    const now = performance.now();
    for (const call of calls) this.calls.set(call.id, { call, receivedAt: now });
    for (const [id, held] of this.changedDuringRefresh ?? []) {
      if (held === null) this.calls.delete(id);
      else this.calls.set(id, held);
    }
    this.changedDuringRefresh = null;
    this.render();
  }

  apply(event: InFlightEvent): void {
    if (event.type === 'call-end') this.forget(event.call.id);
    else this.hold(event.call.id, { call: event.call, receivedAt: performance.now() });
    this.render();
  }

  /** A completed call's record may arrive before (or instead of) its call-end. */
  completed(id: number): void {
    if (this.calls.has(id)) {
      this.forget(id);
      this.render();
    } else {
      this.changedDuringRefresh?.set(id, null);
    }
  }

  private hold(id: number, held: Held): void {
    this.calls.set(id, held);
    this.changedDuringRefresh?.set(id, held);
  }

  private forget(id: number): void {
    this.calls.delete(id);
    this.changedDuringRefresh?.set(id, null);
  }

  private render(): void {
    const now = performance.now();
    const calls = [...this.calls.values()].map(({ call, receivedAt }) => ({ ...call, elapsedMs: call.elapsedMs + (now - receivedAt) }));
    this.list.replaceChildren(...calls.map(itemOf));
    this.section.hidden = calls.length === 0;
    if (calls.length > 0 && this.timer === null) this.timer = setInterval(() => this.render(), TICK_MS);
    if (calls.length === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
