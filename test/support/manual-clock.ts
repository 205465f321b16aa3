// Time that moves only when a test says so: polling, backoff and keep-alive
// renewals are asserted interval by interval, never waited for.
import type { Clock, TimerHandle } from '../../main/core/backends/clock.js';

export interface ManualClock extends Clock {
  /** Delays of the timers still pending, soonest first. */
  pendingDelays(): number[];
  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void;
}

export function createManualClock(start = Date.now()): ManualClock {
  let now = start;
  let nextId = 0;
  const timers = new Map<number, { at: number; ms: number; callback: () => void }>();
  const due = (): [number, { at: number; callback: () => void }] | undefined =>
    [...timers].sort((a, b) => a[1].at - b[1].at)[0];
  return {
    now: () => now,
    setTimeout(callback, ms) {
      timers.set(++nextId, { at: now + ms, ms, callback });
      return nextId;
    },
    clearTimeout(handle: TimerHandle) {
      timers.delete(handle as number);
    },
    pendingDelays: () => [...timers.values()].sort((a, b) => a.at - b.at).map((t) => t.ms),
    advance(ms) {
      const end = now + ms;
      for (let next = due(); next && next[1].at <= end; next = due()) {
        timers.delete(next[0]);
        now = next[1].at;
        next[1].callback();
      }
      now = end;
    },
  };
}
