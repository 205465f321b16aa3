// What to tell the user about a call waiting for its first token: the tray
// title, the menu's status line and the Activity view all read it from here.
// Pure and free of Node, because the Activity page loads this folder too.
import type { BustCause, InFlightCall, WarmTrigger, WarmUpRecord } from '../wire/types.js';

/** Below this a wait is not worth a word in the menu bar. */
export const SLOW_WAIT_MS = 3000;
/** Past this multiple of the prediction the wait is no longer a prefill. */
export const OVERDUE_FACTOR = 2;
export const OVERDUE_TEXT = 'longer than expected: the backend may be loading the model or swapping';

/** The miss causes in a few words, for a one-line status. */
const CAUSE_WORDS: Readonly<Record<BustCause, string>> = {
  'billing-header': 'billing header changed',
  'tools-reordered': 'tools reordered',
  'tools-changed': 'tool list changed',
  'date-changed': 'date line changed',
  'system-reminder': 'system reminder moved to the front',
  'system-changed': 'system prompt changed',
  'inline-system': 'system message moved to the front',
  'history-rewritten': 'earlier messages changed',
  'reasoning-dropped': "previous turn's reasoning dropped",
  'slot-evicted': 'another conversation took the slot',
  'side-call-evicted': 'side call evicted',
  unknown: 'cause unknown',
};

export interface WaitView {
  /** Share of the predicted prefill elapsed (0..1, capped); null without a prediction. */
  readonly progress: number | null;
  /** Predicted time left; null without a prediction or once it has passed. */
  readonly remainingMs: number | null;
  /** Past twice the prediction. */
  readonly overdue: boolean;
  /** For the menu bar: "~40 s" left, else the time waited so far ("12 s"). */
  readonly short: string;
  /** e.g. "Re-reading 31,200 tokens (cache miss: side call evicted), ~40 s left". */
  readonly line: string;
}

/** "12 s", "~40 s", "3 min": whole seconds up to 99, minutes beyond. */
export function formatWait(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds < 100 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

function tokens(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** What the backend is doing, as far as the diagnostics know. */
function workText(call: InFlightCall): string {
  if (call.loadingModel) return `Loading ${call.model ?? 'the model'}`;
  if (call.promptTokens === null) return 'Waiting for the first token';
  const reused = Math.min(call.reusedTokens ?? 0, call.promptTokens);
  const toRead = call.promptTokens - reused;
  if (call.cause !== null) return `Re-reading ${tokens(toRead)} tokens (cache miss: ${CAUSE_WORDS[call.cause]})`;
  if (reused > 0) return `Reading ${tokens(toRead)} new tokens (${tokens(reused)} cached)`;
  return `Reading ${tokens(toRead)} tokens`;
}

export function waitView(call: InFlightCall): WaitView {
  const elapsed = call.elapsedMs;
  const so = `${formatWait(elapsed)} so far`;
  // A model load is not a prefill: a prediction would be wrong by the load's length.
  const expected = call.loadingModel ? null : call.expectedPrefillMs;
  const work = workText(call);
  if (expected === null) return { progress: null, remainingMs: null, overdue: false, short: formatWait(elapsed), line: `${work}, ${so}` };
  const progress = expected > 0 ? Math.min(1, elapsed / expected) : 1;
  const overdue = elapsed > OVERDUE_FACTOR * Math.max(expected, 1);
  if (elapsed < expected) {
    const left = `~${formatWait(expected - elapsed)}`;
    return { progress, remainingMs: expected - elapsed, overdue, short: left, line: `${work}, ${left} left` };
  }
  const past = `${so} (predicted ${formatWait(expected)})`;
  return { progress, remainingMs: null, overdue, short: formatWait(elapsed), line: overdue ? `${work}, ${past}: ${OVERDUE_TEXT}` : `${work}, ${past}` };
}

/** The call that has waited longest for its first token, once it has waited long enough to mention; null otherwise. */
export function slowWait(calls: readonly InFlightCall[]): InFlightCall | null {
  let slowest: InFlightCall | null = null;
  for (const call of calls) {
    if (call.phase !== 'waiting' || call.elapsedMs <= SLOW_WAIT_MS) continue;
    if (slowest === null || call.elapsedMs > slowest.elapsedMs) slowest = call;
  }
  return slowest;
}

/** Side calls (titles and the like) belong to no turn: the diagnostics give them turn 0. */
export function isSideCallInFlight(call: InFlightCall): boolean {
  return call.turn === 0;
}

/** The --explain line at a slow call's first token: predicted against actual prefill time. */
export function firstTokenLine(call: InFlightCall): string {
  const head = isSideCallInFlight(call) ? `${call.session ?? '?'} side call` : `${call.session ?? '?'} turn ${call.turn ?? '?'}${call.call ? ` · call ${call.call}` : ''}`;
  const actual = `first token after ${(call.elapsedMs / 1000).toFixed(1)} s`;
  if (call.loadingModel) return `${head}: ${actual}, including loading ${call.model ?? 'the model'}`;
  if (call.expectedPrefillMs === null) return `${head}: ${actual}, no prediction yet (no uncached call of ${call.model ?? 'this model'} measured)`;
  const ratio = call.expectedPrefillMs > 0 ? call.elapsedMs / call.expectedPrefillMs : Infinity;
  return `${head}: ${actual}, predicted ${(call.expectedPrefillMs / 1000).toFixed(1)} s (${Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'predicted none'})`;
}

/** What told warm start that the backend lost the prompt, in the words of the log and the page. */
export const WARM_TRIGGER_WORDS: Readonly<Record<WarmTrigger, string>> = {
  start: 'the proxy started with a remembered prompt',
  'model-loaded': 'the model was loaded',
  'other-call': 'another call used the model',
  'foreign-use': 'another client used the model',
  'client-start': 'a Claude Code client started',
};

/**
 * A warm-up in one line, for --explain and the Activity page: never a call's
 * line, since a warm-up is nobody's turn.
 * `warm-up qwen3-coder:30b (the model was loaded): read 12,345 tokens of the conversation in 3 s`
 */
export function warmUpLine(record: WarmUpRecord): string {
  const what = record.kind === 'conversation' ? 'the conversation' : 'the system prompt and tools';
  const head = `warm-up ${record.model} (${WARM_TRIGGER_WORDS[record.trigger]})`;
  const took = record.durationMs === null ? '' : ` in ${formatWait(record.durationMs)}`;
  switch (record.outcome) {
    case 'running':
      return `${head}: reading ${what}`;
    case 'done':
      return `${head}: read ${record.promptTokens === null ? what : `${tokens(record.promptTokens)} tokens of ${what}`}${took}`;
    case 'cancelled':
      return `${head}: stopped${took.replace(' in', ' after')} for a call that arrived`;
    case 'failed':
      return `${head}: failed${record.error ? ` (${record.error})` : ''}`;
  }
}
