// Whether to send a warm-up now: pure, so every rule that keeps warm-ups out
// of the user's way is tested on its own.
import type { WarmMode, WarmTrigger } from '../wire/types.js';

export interface WarmLimits {
  /**
   * The backend must have been quiet this long. A tool loop's next call, or
   * the main call right after a title call, comes sooner than this, so a
   * warm-up never starts in the middle of a burst it would only slow down.
   */
  readonly quietMs: number;
  /** Between the starts of two warm-ups, whatever triggers them. */
  readonly minGapMs: number;
}

export const DEFAULT_WARM_LIMITS: WarmLimits = { quietMs: 3_000, minGapMs: 30_000 };

export interface WarmSituation {
  readonly mode: WarmMode;
  readonly now: number;
  /** The oldest trigger not yet answered by a warm-up or by a call of the conversation itself. */
  readonly pending: WarmTrigger | null;
  /** A prompt to send is remembered for the model. */
  readonly remembered: boolean;
  readonly backendUp: boolean;
  /** Whether the backend holds the model in memory now; null when it does not say. */
  readonly modelLoaded: boolean | null;
  readonly callsInFlight: number;
  readonly warmUpInFlight: boolean;
  /** When the last request of ours to the backend started or ended; null if none yet. */
  readonly lastActivityAt: number | null;
  readonly lastWarmUpAt: number | null;
  /** True on battery power, false on mains, null where the platform does not tell. */
  readonly onBattery: boolean | null;
  /** A client just said it is starting: its user is about to load the model anyway. */
  readonly clientStarting: boolean;
}

export type WarmDecision =
  | { readonly action: 'warm'; readonly trigger: WarmTrigger }
  /** Not now, but maybe at `at` (ms since the epoch) if nothing changes. */
  | { readonly action: 'later'; readonly at: number }
  | { readonly action: 'none'; readonly why: string };

export function decideWarmUp(s: WarmSituation, limits: WarmLimits = DEFAULT_WARM_LIMITS): WarmDecision {
  if (s.mode === 'off') return { action: 'none', why: 'warm start is off' };
  if (s.pending === null) return { action: 'none', why: 'nothing was lost' };
  if (!s.remembered) return { action: 'none', why: 'no prompt remembered for the model' };
  if (!s.backendUp) return { action: 'none', why: 'the backend is down' };
  if (s.onBattery === true) return { action: 'none', why: 'on battery power' };
  // Only `on` may load a model the backend does not hold: that takes memory the user may want elsewhere.
  // A starting client is about to load it anyway, and its user is still typing.
  if (s.modelLoaded === false && s.mode !== 'on' && !s.clientStarting) return { action: 'none', why: 'the model is not loaded' };
  if (s.warmUpInFlight || s.callsInFlight > 0) return { action: 'none', why: 'the backend is busy' };
  const quietAt = s.lastActivityAt === null ? s.now : s.lastActivityAt + limits.quietMs;
  const gapAt = s.lastWarmUpAt === null ? s.now : s.lastWarmUpAt + limits.minGapMs;
  const at = Math.max(quietAt, gapAt);
  return at <= s.now ? { action: 'warm', trigger: s.pending } : { action: 'later', at };
}
