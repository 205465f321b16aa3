// Follows the calls in flight for the menu bar: the proxy reports each call's
// start and first token, and while one is waiting this ticks once a second so
// the tray title can count. It speaks only when what the tray shows changes.
import type { InFlightCall, InFlightEvent } from '../wire/types.js';
import type { Clock, TimerHandle } from '../backends/clock.js';
import { slowWait, waitView } from '../wait/wait-view.js';

const TICK_MS = 1000;

interface Held {
  readonly call: InFlightCall;
  /** clock.now() when the event arrived; the call's elapsedMs was measured then. */
  readonly at: number;
}

export class WaitWatch {
  readonly #calls = new Map<string, Held>();
  #timer: TimerHandle | null = null;
  #shown = '';

  constructor(private readonly clock: Clock, private readonly onChange: () => void) {}

  /** `source` tells proxies apart: a restarted proxy numbers its calls from 1 again. */
  apply(source: number, event: InFlightEvent): void {
    const key = `${source}:${event.call.id}`;
    // Only the wait for the first token is shown; a streaming call has nothing more to say here.
    if (event.type === 'call-start' && event.call.phase === 'waiting') this.#calls.set(key, { call: event.call, at: this.clock.now() });
    else this.#calls.delete(key);
    this.#update();
  }

  /** The call that has waited longest for its first token, once past the threshold, with its elapsed time as of now. */
  current(): InFlightCall | null {
    const now = this.clock.now();
    return slowWait([...this.#calls.values()].map(({ call, at }) => ({ ...call, elapsedMs: call.elapsedMs + (now - at) })));
  }

  stop(): void {
    this.#calls.clear();
    this.#clearTimer();
  }

  #update(): void {
    const slow = this.current();
    const view = slow === null ? null : waitView(slow);
    const shown = view === null ? '' : `${view.short}\n${view.line}`;
    if (shown !== this.#shown) {
      this.#shown = shown;
      this.onChange();
    }
    if (this.#calls.size === 0) this.#clearTimer();
    else if (this.#timer === null) {
      this.#timer = this.clock.setTimeout(() => {
        this.#timer = null;
        this.#update();
      }, TICK_MS);
    }
  }

  #clearTimer(): void {
    if (this.#timer === null) return;
    this.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }
}
