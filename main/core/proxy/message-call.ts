// The per-request state of a /v1/messages (or count_tokens) call: the body as
// forwarded, what the rewrite did, and the timings the diagnostics need.
import type { IncomingMessage } from 'node:http';
import type { MemberSpan } from '../rewrite/json-scan.js';
import type { RewriteRule } from '../rewrite/types.js';
import type { ObservedUsage } from './usage.js';

export interface MessageCall {
  readonly startedAt: number;
  readonly path: string;
  readonly countTokens: boolean;
  /** The bytes forwarded upstream (decoded, rewritten if a rule fired), laid end to end (see rewrite/pieces.ts). */
  readonly pieces: readonly Buffer[];
  /** Where the body's top-level members lie, when the rewrite read it; null when it did not. */
  readonly members: readonly MemberSpan[] | null;
  readonly rewritten: boolean;
  readonly rules: readonly RewriteRule[];
  firstContentAt: number | null;
  readonly observed: ObservedUsage;
}

const calls = new WeakMap<IncomingMessage, MessageCall>();

export function attachCall(req: IncomingMessage, call: MessageCall): void {
  calls.set(req, call);
}

export function callOf(req: IncomingMessage): MessageCall | undefined {
  return calls.get(req);
}

export function isCountTokensPath(path: string): boolean {
  return path.replace(/\/+$/, '').toLowerCase().endsWith('/count_tokens');
}
