// What the cache diagnostics cost per call: the JSON parse the proxy does
// once per forwarded prompt, then rendering and prefix tracking. A session's
// next turn is measured as it happens in real use: the body is the previous
// one plus the assistant's reply and a new user message, and the tracker and
// the parser hold the previous turn.
import { CacheTracker } from '../main/core/diagnostics/tracker.js';
import { renderPrompt } from '../main/core/diagnostics/render.js';
import { parseBodyBytes } from '../main/core/rewrite/body-bytes.js';
import { BodyParser } from '../main/core/diagnostics/body-parser.js';
import { rewriteRequestBody, type RewriteResult } from '../main/core/rewrite/index.js';
import type { BenchBody } from './bodies.js';
import { timePerCall, timePerStep } from './stats.js';

export interface DiagnosticsCost {
  readonly label: string;
  readonly bytes: number;
  /** A body parsed whole and rendered from scratch: a client's first call. */
  readonly wholeMs: number;
  /** The next turn of a growing session: tools and system text recur byte for byte, so their parse and rendering are reused. */
  readonly nextTurnMs: number;
}

export function measureDiagnostics(cases: readonly BenchBody[]): DiagnosticsCost[] {
  return cases.map(({ label, session }) => {
    // As forwarded: billing block dropped.
    const turns: RewriteResult[] = session.map((body) => rewriteRequestBody(body, 'drop'));
    const observe = (tracker: CacheTracker, key: string, body: unknown): void => void tracker.observe({ key, rendered: renderPrompt(body), rewriteMode: 'drop' });
    const tracker = new CacheTracker();
    let call = 0;
    // Two keys in turn, so that every call is compared with a whole earlier turn.
    const wholeMs = timePerCall(() => observe(tracker, `bench-${call % 2}`, parseBodyBytes(turns[call++ % turns.length]!.body)));
    const nextTurnMs = timePerStep(() => {
      const state = { tracker: new CacheTracker(), parser: new BodyParser() };
      observe(state.tracker, 'bench', state.parser.parse(turns[0]!.pieces, turns[0]!.members));
      return state;
    }, turns.length, ({ tracker: own, parser }, i) => observe(own, 'bench', parser.parse(turns[i]!.pieces, turns[i]!.members)));
    return { label, bytes: turns[0]!.body.length, wholeMs, nextTurnMs };
  });
}
