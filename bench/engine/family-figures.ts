// The per-family figures of the engine bench: for one model family (as
// Ollama renders it), recorded sessions replayed direct, from the ideal client
// and through the proxy with default settings, each call's reuse held against
// what a perfect stabiliser could reuse on that family on the engine as
// configured (families.ts perfectCalls, `onBackend`: with one slot, a
// subagent's prompt stands in the slot when the main agent returns, and no
// client or proxy can reuse the main prefix there). Beside it, the same
// against perfect with a slot per conversation: what a remedy could reach.
// Token counts only: they are the engine's own and the same on any machine,
// so one run of each route is enough.
import { namesTrueCause } from './loss.js';
import { trueReuse, type CallMeasure } from './routes.js';

/** One recording replayed on one family along the three anchor routes. */
export interface FamilySession {
  readonly recording: string;
  readonly direct: readonly CallMeasure[];
  readonly ideal: readonly CallMeasure[];
  readonly proxy: readonly CallMeasure[];
}

export interface FamilyFigures {
  readonly family: string;
  /** Σ reused ÷ Σ possible (possibleReuse) over every call, per route, 0..1 (reuse beyond it counts as perfect). */
  readonly proxy: number;
  readonly direct: number;
  readonly ideal: number;
  /** The same against perfect with a slot per conversation: what a remedy could bring each route to. */
  readonly perConversation: { readonly proxy: number; readonly direct: number; readonly ideal: number };
  /** The lowest (proxy − direct) reuse ÷ perfect of any call, in points; negative when the proxy lost to direct. */
  readonly worstVsDirect: number;
  /** The same against the ideal client. */
  readonly worstVsIdeal: number;
  /** Largest |proxy estimate − engine truth| over every call through the proxy, in points; NaN when one is missing. */
  readonly estimateError: number;
  /** Where the lowest of the two worst calls is, for the reader. */
  readonly worstAt: string;
  /** The recording whose reuse through the proxy is the lowest share of perfect, and that share (0..1). */
  readonly worstRecording: { readonly recording: string; readonly proxy: number };
  /** Calls through the proxy below 99% of perfect whose cause the proxy did not name as the engine saw it. */
  readonly unnamed: readonly string[];
  /** Calls where direct or the ideal client reused more than perfect allows (perfectBelow): perfect would flatter. */
  readonly perfectBelow: readonly string[];
}

type Counts = Pick<CallMeasure, 'evaluated' | 'reused' | 'perfect' | 'perfectPrompt'>;
type PerConversationCounts = Pick<CallMeasure, 'evaluated' | 'reused' | 'perConversation' | 'perConversationPrompt'>;

/**
 * What a call could have reused of its own prompt: perfect's share of the
 * perfect prompt, applied to the prompt this route sent. On `qwen3-coder`
 * direct, the renderer drops the system messages a perfect stabiliser keeps,
 * so its prompt is shorter and is held to the same share, not to more tokens
 * than it has.
 */
export function possibleReuse(m: Counts): number {
  return m.perfectPrompt === 0 ? 0 : (m.perfect * (m.evaluated + m.reused)) / m.perfectPrompt;
}

/** The measure held to perfect with a slot per conversation instead (what a remedy could reach). */
export function perConversationCounts(m: PerConversationCounts): Counts {
  return { evaluated: m.evaluated, reused: m.reused, perfect: m.perConversation, perfectPrompt: m.perConversationPrompt };
}

/** A call's reuse as a share of what was possible; null when nothing was (a session's first call). */
export function callScore(m: Counts): number | null {
  const possible = possibleReuse(m);
  return possible === 0 ? null : Math.min(1, m.reused / possible);
}

/**
 * Tokens a route may reuse beyond perfect before perfect counts as
 * flattering: the engine's slot also holds its own (junk) answer, which the
 * next prompt's rendering of the recorded answer can begin like, and the
 * generated hybrid model parts from the stand-in's rule by a token here and
 * there (docs/ollama-as-it-is.md).
 */
export const PERFECT_SLACK_TOKENS = 4;

/**
 * The calls on which a route that sent the client's own bytes (direct, the
 * ideal client, either with a fix) did better than perfect allows on the same
 * backend: with a prompt at least as long as perfect's, it reused more tokens
 * than perfect reuses and left fewer to evaluate than perfect leaves. Perfect
 * is an upper bound for any stabiliser, so each is a definition that would
 * flatter the proxy: it must never happen. Only prompts at least as long are
 * comparable: a family that drops what perfect delivers (qwen3-coder drops
 * every later system message, direct and from the ideal client alike) leaves
 * a client fewer tokens to read, which says nothing about perfect; on such a
 * family the check holds nothing. Reused and left both, because a client's
 * prompt may hold tokens perfect drops: direct reuses the billing line that a
 * subagent's prompt shares with the main agent's (8 tokens), yet still leaves
 * more to evaluate.
 */
export function perfectBelow(label: string, measures: readonly CallMeasure[]): string[] {
  return measures.flatMap((m) => {
    const left = m.perfectPrompt - m.perfect;
    const shorter = m.reused + m.evaluated < m.perfectPrompt - PERFECT_SLACK_TOKENS;
    return shorter || m.reused <= m.perfect + PERFECT_SLACK_TOKENS || m.evaluated >= left - PERFECT_SLACK_TOKENS ? []
      : [`${label} call ${m.index + 1}: reused ${m.reused} and evaluated ${m.evaluated}, where perfect reuses ${m.perfect} and leaves ${left}`];
  });
}

function routeReuse(sessions: readonly FamilySession[], pick: (s: FamilySession) => readonly Counts[]): number {
  let reused = 0;
  let perfect = 0;
  for (const s of sessions) {
    for (const m of pick(s)) {
      const possible = possibleReuse(m);
      reused += Math.min(m.reused, possible);
      perfect += possible;
    }
  }
  return perfect === 0 ? 1 : reused / perfect;
}

/**
 * The worst call of the proxy against another route, call by call: the
 * difference of their scores, where the call could reuse anything on either.
 * Perfect is the same for both (it is the family's, from the recorded
 * bodies), taken as a share of each route's own prompt.
 */
function worstAgainst(sessions: readonly FamilySession[], other: (s: FamilySession) => readonly CallMeasure[]): { points: number; at: string } {
  let worst = { points: Number.POSITIVE_INFINITY, at: 'none' };
  for (const s of sessions) {
    s.proxy.forEach((m, i) => {
      const mine = callScore(m);
      const theirs = callScore(other(s)[i]!);
      if (mine === null || theirs === null) return;
      const points = (mine - theirs) * 100;
      if (points < worst.points) worst = { points, at: `${s.recording} call ${i + 1}` };
    });
  }
  return Number.isFinite(worst.points) ? worst : { points: 0, at: 'none' };
}

/** The calls through the proxy whose loss (below 99% of perfect) the proxy named otherwise than the engine's cause. */
export function unnamedLosses(recording: string, proxy: readonly CallMeasure[]): string[] {
  return proxy.flatMap((m) => (m.loss === null || namesTrueCause(m.loss, m.proxyCause) ? []
    : [`${recording} call ${m.index + 1}: ${m.loss}, the proxy said ${m.proxyCause ?? 'nothing'}`]));
}

export function familyFigures(family: string, sessions: readonly FamilySession[]): FamilyFigures {
  const vsDirect = worstAgainst(sessions, (s) => s.direct);
  const vsIdeal = worstAgainst(sessions, (s) => s.ideal);
  const errors = sessions.flatMap((s) => s.proxy.map((m) => (m.proxyEstimate === null ? Number.NaN : Math.abs(m.proxyEstimate - trueReuse(m)) * 100)));
  const byRecording = sessions.map((s) => ({ recording: s.recording, proxy: routeReuse([s], (x) => x.proxy) }));
  const perConversation = (pick: (s: FamilySession) => readonly CallMeasure[]): number => routeReuse(sessions, (s) => pick(s).map(perConversationCounts));
  return {
    family,
    proxy: routeReuse(sessions, (s) => s.proxy),
    direct: routeReuse(sessions, (s) => s.direct),
    ideal: routeReuse(sessions, (s) => s.ideal),
    perConversation: { proxy: perConversation((s) => s.proxy), direct: perConversation((s) => s.direct), ideal: perConversation((s) => s.ideal) },
    worstVsDirect: vsDirect.points,
    worstVsIdeal: vsIdeal.points,
    // A missing estimate is a failed measurement: NaN, never skipped.
    estimateError: errors.length === 0 ? 0 : errors.some(Number.isNaN) ? Number.NaN : Math.max(...errors),
    worstAt: vsIdeal.points < vsDirect.points ? `${vsIdeal.at} (vs ideal client)` : `${vsDirect.at} (vs direct)`,
    worstRecording: byRecording.reduce((a, b) => (b.proxy < a.proxy ? b : a), { recording: 'none', proxy: 1 }),
    unnamed: sessions.flatMap((s) => unnamedLosses(s.recording, s.proxy)),
    perfectBelow: sessions.flatMap((s) => [...perfectBelow(`${s.recording} direct`, s.direct), ...perfectBelow(`${s.recording} ideal`, s.ideal)]),
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const points = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;

/** `family <name>: reuse through proxy <p>% of perfect, direct <d>%, ideal client <i>%, worst call vs direct <w> points; estimate error <e> points` */
export function familyLine(f: FamilyFigures): string {
  return `family ${f.family}: reuse through proxy ${pct(f.proxy)} of perfect, direct ${pct(f.direct)}, ideal client ${pct(f.ideal)}, ` +
    `worst call vs direct ${points(f.worstVsDirect)} points; estimate error ${f.estimateError.toFixed(1)} points`;
}

/** `  family <name> with a slot per conversation (what a remedy could reach): reuse through proxy <p>% of that perfect, direct <d>%, ideal client <i>%` */
export function familyPerConversationLine(f: FamilyFigures): string {
  const c = f.perConversation;
  return `  family ${f.family} with a slot per conversation (what a remedy could reach): reuse through proxy ${pct(c.proxy)} of that perfect, ` +
    `direct ${pct(c.direct)}, ideal client ${pct(c.ideal)}`;
}

/** How far the proxy fell below direct or the ideal client on its worst call, in points (0 when it never did). */
export function pointsBelow(f: FamilyFigures): number {
  return Math.max(0, -f.worstVsDirect, -f.worstVsIdeal);
}
