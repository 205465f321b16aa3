// One client request and the proxy's answer to it, from admission to its log
// line: the bytes counted each way, why the proxy answered itself, how the
// backend failed it, the request sent upstream for it, and, for a Messages API
// call, the call (message-call.ts) that the diagnostics and the in-flight list
// follow to its CallRecord. The server makes one when it admits a request and
// hands it along; no other per-request state exists.
import type http from 'node:http';
import type { UpstreamError } from '../wire/types.js';
import { rulesLabel } from '../rewrite/types.js';
import type { MessageCall } from './message-call.js';
import type { RequestLogEntry } from './types.js';

export class Exchange {
  /** performance.now() at admission. */
  readonly startedAt = performance.now();
  readonly receivedAt = new Date();
  /** What the client sent: its Content-Length until the body is read, then the bytes read. */
  bytesIn: number;
  /** Forwarded response bytes, counted as they stream. */
  bytesOut = 0;
  /** Why the proxy itself answered (refused host, body too large, ...), or what the log should add. */
  note: string | null = null;
  /** What the backend failed with, in order (a retried stale connection, then maybe another). */
  readonly upstreamErrors: UpstreamError[] = [];
  /** The latest request sent upstream for it: a retry replaces the first. */
  upstream: http.ClientRequest | null = null;
  /** Sent once more on a fresh connection after a stale pooled one. */
  retried = false;
  /** The upstream timeout cut it (which http-proxy reports as a reset). */
  upstreamTimedOut = false;
  /** The Messages API call it carries, once the body is read and rewritten; null for any other request. */
  call: MessageCall | null = null;

  constructor(readonly req: http.IncomingMessage) {
    this.bytesIn = Number(req.headers['content-length'] ?? 0) || 0;
  }

  /** Notes the backend's failure; `retrying` when the request goes out once more. */
  upstreamFailed(code: string, retrying: boolean): UpstreamError {
    const error: UpstreamError = { time: new Date().toISOString(), path: this.req.url ?? '', code, retried: retrying };
    this.upstreamErrors.push(error);
    return error;
  }

  /** Its line in the request log, once the response has closed. */
  logEntry(res: http.ServerResponse): RequestLogEntry {
    return {
      method: this.req.method ?? '',
      path: this.req.url ?? '',
      // 499, as nginx logs it: the client left before the whole response was sent.
      status: res.writableFinished ? res.statusCode : 499,
      durationMs: performance.now() - this.startedAt,
      bytesIn: this.bytesIn,
      // Forwarded bodies are counted as they stream; the proxy's own answers (errors, status) state their length.
      bytesOut: this.bytesOut || Number(res.getHeader('content-length') ?? 0) || 0,
      rewritten: this.call?.rewritten ?? false,
      rule: this.call ? rulesLabel(this.call.rules) : null,
      ...(this.note ? { note: this.note } : {}),
      ...(this.upstreamErrors.length > 0 ? { upstreamErrors: this.upstreamErrors } : {}),
    };
  }
}
