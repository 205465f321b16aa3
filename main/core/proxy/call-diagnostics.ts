// Connects the proxy to the cache diagnostics: one analysis per forwarded
// prompt, the usage estimate handed back to the client, and a CallRecord when
// the call completes.
import type { IncomingMessage } from 'node:http';
import type { CallRecord } from '../diagnostics/types.js';
import type { MessageCall } from './message-call.js';
import { cacheUsageRewriter, type UsageRewriter } from './usage.js';

export interface CallDiagnosticsOptions {
  readonly slots: number;
  readonly cacheUsage: boolean;
}

export class CallDiagnostics {
  constructor(private readonly options: CallDiagnosticsOptions) {}

  begin(_req: IncomingMessage, _call: MessageCall): void {}

  usageRewriter(_call: MessageCall): UsageRewriter | null {
    return this.options.cacheUsage ? cacheUsageRewriter(() => 0) : null;
  }

  estimateTokens(call: MessageCall): number {
    return Math.ceil(call.body.length / 4);
  }

  complete(req: IncomingMessage, call: MessageCall, outcome: { id: number; status: number; endedAt: number }): CallRecord | null {
    if (call.countTokens) return null;
    return {
      id: outcome.id, time: new Date().toISOString(), session: String(req.headers['x-claude-code-session-id'] ?? '').slice(0, 8), turn: 1,
      path: call.path, status: outcome.status, model: null, promptChars: call.body.length, reuse: 0, conversationReuse: null, bust: null,
      ttftMs: call.firstContentAt === null ? null : call.firstContentAt - call.startedAt, durationMs: outcome.endedAt - call.startedAt,
      inputTokens: call.observed.inputTokens, outputTokens: call.observed.outputTokens, cacheReadTokens: null, rewritten: call.rewritten,
    };
  }
}
