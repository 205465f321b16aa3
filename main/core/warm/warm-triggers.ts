// What tells the proxy that the backend no longer holds the prompt Claude Code
// sends next, read from the backend's list of loaded models between two of the
// monitor's looks (Ollama's GET /api/ps).
//
// Why expires_at: Ollama sets a model's expiry to "now + keep_alive" whenever a
// request to it ends (server/sched.go), so an expiry that moved while nothing
// of ours ended in that span means another client used the model, and with it
// (one slot per runner by default) the cache the conversation was in.
import type { WarmTrigger } from '../wire/types.js';

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
 * How far apart an expiry move and our own last activity may be and still be
 * ours: the backend stamps the expiry when it finishes writing the answer,
 * which the proxy sees a little later (and a clock tick coarser).
 */
export const OWN_ACTIVITY_SLACK_MS = 2_000;

/**
 * The trigger the change from `before` to `after` shows for `model`, or null.
 * `ownActivity` holds when requests of ours to the model ended (calls through
 * the proxy, warm-ups, keep-alive renewals), ms since the epoch.
 */
export function triggerBetween(
  before: PsLook | null, after: PsLook, model: string, sameModel: (a: string, b: string) => boolean, ownActivity: readonly number[],
): WarmTrigger | null {
  const now = after.loaded.find((m) => sameModel(m.name, model));
  if (now === undefined) return null;
  if (before === null) return null;
  const then = before.loaded.find((m) => sameModel(m.name, model));
  if (then === undefined) return 'model-loaded';
  const a = then.expiresAt?.getTime();
  const b = now.expiresAt?.getTime();
  if (a === undefined || b === undefined || a === b) return null;
  const ours = ownActivity.some((t) => t >= before.at - OWN_ACTIVITY_SLACK_MS && t <= after.at + OWN_ACTIVITY_SLACK_MS);
  return ours ? null : 'foreign-use';
}
