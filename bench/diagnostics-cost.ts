// What the cache diagnostics cost per call: the JSON parse the proxy does
// once per forwarded prompt, then rendering and prefix tracking. Each
// measured call is the next turn of a conversation whose previous turn the
// tracker already holds, as it is in real use.
import { CacheTracker } from '../main/core/diagnostics/tracker.js';
import { renderPrompt } from '../main/core/diagnostics/render.js';
import { parseBodyBytes } from '../main/core/diagnostics/body-text.js';
import { BodyParser } from '../main/core/diagnostics/body-parser.js';
import { rewriteRequestBody, type RewriteResult } from '../main/core/rewrite/index.js';
import { bareRequest, conversation, encodeBody, fullRequest, hugeRequest, type BodyOptions, type MessagesRequest } from '../test/support/claude-code-bodies.js';
import { timePerCall } from './stats.js';

export interface DiagnosticsCost {
  readonly label: string;
  readonly bytes: number;
  /** A body parsed whole and rendered from scratch: a client's first call. */
  readonly wholeMs: number;
  /** The next turn: tools and system text recur byte for byte, so their parse and rendering are reused. */
  readonly nextTurnMs: number;
}

export function measureDiagnostics(): DiagnosticsCost[] {
  const cases: [string, (options: BodyOptions) => MessagesRequest][] = [
    ['4 KB (--bare)', (o) => bareRequest(o)],
    ['77 KB (full)', (o) => fullRequest({ ...o, messages: conversation(1) })],
    ['1 MB', (o) => hugeRequest(1024 * 1024, o)],
  ];
  return cases.map(([label, make]) => {
    // As forwarded: billing block dropped, each call's own billing values before that.
    const turns: RewriteResult[] = Array.from({ length: 8 }, (_, call) => rewriteRequestBody(encodeBody(make({ call })), 'drop'));
    const tracker = new CacheTracker();
    const parser = new BodyParser();
    let turn = 0;
    // Alternate two keys' worth of the same prompt so every call compares against a full previous turn.
    const observe = (body: unknown): void => void tracker.observe({ key: `bench-${turn % 2}`, rendered: renderPrompt(body), rewriteMode: 'drop' });
    const wholeMs = timePerCall(() => observe(parseBodyBytes(turns[turn++ % turns.length]!.body)));
    const nextTurnMs = timePerCall(() => {
      const { pieces, members } = turns[turn++ % turns.length]!;
      observe(parser.parse(pieces, members));
    });
    return { label, bytes: turns[0]!.body.length, wholeMs, nextTurnMs };
  });
}
