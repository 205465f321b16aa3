// What tells the proxy that the backend no longer holds the prompt Claude Code
// sends next, read from the backend's list of loaded models between two of the
// monitor's looks (Ollama's GET /api/ps).
//
// Why expires_at: Ollama sets a model's expiry to "now + keep_alive" whenever a
// request to it ends (server/sched.go), so an expiry that moved while nothing
// of ours ended in that span means another client used the model, and with it
// (one slot per runner by default) the cache the conversation was in.
import type { WarmTrigger } from '../wire/types.js';

/**
 * Whether a request is Claude Code starting: unless nonessential traffic is
 * off, the client opens its connection at start-up with `HEAD /api/hello` to
 * its base URL, before its user has typed anything (2.1.332; its connectivity
 * check asks the same path with GET).
 */
export function isClientStart(method: string, path: string): boolean {
  return (method === 'HEAD' || method === 'GET') && path.split('?')[0] === '/api/hello';
}

/** One loaded model as the monitor saw it. */
export interface LoadedEntry {
  readonly name: string;
  /** When the backend will unload it; absent where the backend does not say. */
  readonly expiresAt?: Date;
}

export interface PsLook {
  /** When the look was taken (ms since the epoch). */
  readonly at: number;
  readonly loaded: readonly LoadedEntry[];
}

/**
 * How much further the expiry may move than our own last request did and
 * still be ours: the backend stamps it when it finishes the answer, which the
 * proxy sees a little later.
 */
export const OWN_ACTIVITY_SLACK_MS = 2_000;

/** When our own last request to the model started or ended, at each of the two looks (null: none yet). */
export interface OwnActivity {
  readonly before: number | null;
  readonly after: number | null;
}

/**
 * The trigger the change from `before` to `after` shows for `model`, or null.
 *
 * The expiry is "end of the last request + keep-alive", so between two looks
 * it moves exactly as far as the last request moved. When it moved further
 * than our own last request did, someone else's request came after ours.
 */
export function triggerBetween(
  before: PsLook | null, after: PsLook, model: string, sameModel: (a: string, b: string) => boolean, own: OwnActivity,
): WarmTrigger | null {
  const now = after.loaded.find((m) => sameModel(m.name, model));
  if (now === undefined || before === null) return null;
  const then = before.loaded.find((m) => sameModel(m.name, model));
  // A request of ours loaded it: that call's own record (or the warm-up) already says what the slot holds.
  if (then === undefined) return own.after === own.before ? 'model-loaded' : null;
  const a = then.expiresAt?.getTime();
  const b = now.expiresAt?.getTime();
  if (a === undefined || b === undefined || b <= a) return null;
  // Our first request ever, or none at all at the first look: nothing to measure the move against.
  if (own.after !== null && own.before === null) return null;
  const ownMoved = own.after === null || own.before === null ? 0 : own.after - own.before;
  return b - a > ownMoved + OWN_ACTIVITY_SLACK_MS ? 'foreign-use' : null;
}
