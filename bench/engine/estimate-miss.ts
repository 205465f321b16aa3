// Where the proxy's reuse estimate (made without backend cache figures, as on
// Ollama) stood furthest from the engine's truth: the figure alone said how
// far, and finding the call it came from meant replaying every session by hand.
import { trueReuse, type CallMeasure } from './routes.js';

export interface EstimateMiss {
  /** |estimate − truth| in points; NaN when the proxy gave no estimate. */
  readonly points: number;
  /** The recording and route, as the caller names them. */
  readonly where: string;
  /** 1-based, as the bench's tables number calls. */
  readonly call: number;
  /** The prompt's tokens (the engine's count) and the reused ones each side claims. */
  readonly promptTokens: number;
  readonly estimatedTokens: number | null;
  readonly trueTokens: number;
}

/** The call of `calls` whose estimate missed the truth most (a missing estimate first); null when there are none. */
export function worstEstimate(where: string, calls: readonly CallMeasure[]): EstimateMiss | null {
  let worst: EstimateMiss | null = null;
  for (const m of calls) {
    const promptTokens = m.evaluated + m.reused;
    const points = m.proxyEstimate === null ? Number.NaN : Math.abs(m.proxyEstimate - trueReuse(m)) * 100;
    const miss: EstimateMiss = {
      points, where, call: m.index + 1, promptTokens, trueTokens: m.reused,
      estimatedTokens: m.proxyEstimate === null ? null : Math.round(m.proxyEstimate * promptTokens),
    };
    if (worst === null || isWorse(miss, worst)) worst = miss;
  }
  return worst;
}

/** The worst of several (a missing estimate counts as the worst), or null. */
export function worstOf(misses: readonly (EstimateMiss | null)[]): EstimateMiss | null {
  let worst: EstimateMiss | null = null;
  for (const m of misses) if (m !== null && (worst === null || isWorse(m, worst))) worst = m;
  return worst;
}

function isWorse(a: EstimateMiss, b: EstimateMiss): boolean {
  if (Number.isNaN(b.points)) return false;
  return Number.isNaN(a.points) || a.points > b.points;
}

const pct = (n: number, of: number): string => `${of === 0 ? '0.0' : ((n / of) * 100).toFixed(1)}%`;

/** `cc-2.1.332-subagent via proxy call 2: estimated 0 of 11139 tokens reused (0.0%), the engine 5120 (46.0%): 46.0 points` */
export function estimateMissText(m: EstimateMiss): string {
  const estimated = m.estimatedTokens === null ? 'no estimate' : `estimated ${m.estimatedTokens} of ${m.promptTokens} tokens reused (${pct(m.estimatedTokens, m.promptTokens)})`;
  return `${m.where} call ${m.call}: ${estimated}, the engine ${m.trueTokens} (${pct(m.trueTokens, m.promptTokens)}): ` +
    `${Number.isNaN(m.points) ? 'no figure' : `${m.points.toFixed(1)} points`}`;
}
