// A Messages API call (/v1/messages or its count_tokens) as the proxy follows
// it, from its rewritten body to its CallRecord: the bytes forwarded, what the
// rewrite did, the usage and timings seen in the answer, what the diagnostics
// read of it, and its entry among the calls in flight. The server sets it on
// the request's exchange (exchange.ts) once the body is read and rewritten.
import type { IncomingHttpHeaders } from 'node:http';
import type { MemberSpan } from '../rewrite/json-scan.js';
import type { RewriteMode, RewriteResult, RewriteRule } from '../rewrite/types.js';
import type { Observation } from '../diagnostics/tracker-types.js';
import type { RenderedPrompt } from '../diagnostics/render.js';
import type { BustCause } from '../wire/types.js';
import type { ObservedUsage } from './usage.js';
import type { Exchange } from './exchange.js';

export interface MessageCall {
  /** performance.now() when its request was admitted: the time to first token and the duration count from here. */
  readonly startedAt: number;
  /** When its request was admitted, for the status and the record. */
  readonly receivedAt: Date;
  readonly path: string;
  readonly countTokens: boolean;
  readonly headers: IncomingHttpHeaders;
  /** Who is calling, for conversations without a session id: address and user agent. */
  readonly client: string;
  /** The rewrite mode it was rewritten under: the diagnostics name a miss the mode let through. */
  readonly rewriteMode: RewriteMode;
  /** The bytes forwarded upstream (decoded, rewritten if a rule fired), laid end to end (see rewrite/pieces.ts). */
  readonly pieces: readonly Buffer[];
  /** Where the body's top-level members lie, when the rewrite read it; null when it did not. */
  readonly members: readonly MemberSpan[] | null;
  readonly rewritten: boolean;
  readonly rules: readonly RewriteRule[];
  firstContentAt: number | null;
  readonly observed: ObservedUsage;
  /** Its number in the status, the live feed and its record; null for count_tokens, which is never listed. */
  readonly id: number | null;
  /** What the diagnostics and the backend say about its wait, a few ms after it was forwarded; null until then. */
  prediction: CallPrediction | null;
  /** What the diagnostics read of its body: undefined until they run, null when they could not. */
  analysis: CallAnalysis | null | undefined;
  /** Why it was forwarded without being analysed, if it was. */
  skipped: string | null;
}

/** What the diagnostics read of a call's body. */
export interface CallAnalysis {
  readonly body: unknown;
  readonly rendered: RenderedPrompt;
  /** Null for count_tokens, which the backend never caches. */
  readonly observation: Observation | null;
}

/** What the diagnostics and the backend say about a call, known a few ms after it was forwarded. */
export interface CallPrediction {
  readonly session: string;
  readonly turn: number;
  readonly call: number;
  readonly model: string | null;
  readonly promptTokens: number;
  readonly reusedTokens: number;
  readonly expectedPrefillMs: number | null;
  readonly cause: BustCause | null;
  readonly loadingModel: boolean;
  readonly contextTokens: number | null;
}

/** The call an admitted request carries, once its body has been read and rewritten. */
export function messageCall(exchange: Exchange, path: string, rewriteMode: RewriteMode, rewrite: RewriteResult, id: number | null): MessageCall {
  const { req } = exchange;
  return {
    startedAt: exchange.startedAt,
    receivedAt: exchange.receivedAt,
    path,
    countTokens: isCountTokensPath(path),
    headers: req.headers,
    client: `${req.socket.remoteAddress ?? ''}|${req.headers['user-agent'] ?? ''}`,
    rewriteMode,
    pieces: rewrite.pieces,
    members: rewrite.members,
    rewritten: rewrite.changed,
    rules: rewrite.rules,
    firstContentAt: null,
    observed: { inputTokens: null, outputTokens: null },
    id,
    prediction: null,
    analysis: undefined,
    skipped: null,
  };
}

export function isCountTokensPath(path: string): boolean {
  return path.replace(/\/+$/, '').toLowerCase().endsWith('/count_tokens');
}
