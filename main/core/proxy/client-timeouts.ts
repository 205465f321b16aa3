// Time limits on what the proxy waits for from a client, never on what it
// waits for from the backend: a prefill may take minutes before the first
// byte of an answer, and a streaming answer may pause for as long. Node's own
// limits do not cover the cases that matter here (with requestTimeout at 0 its
// headersTimeout is never checked, a connection that sends nothing is never
// timed, and a request answered before its body ended keeps the socket
// reading), so the proxy keeps its own:
// - a connection must complete a request's headers within `headersMs` of
//   opening, or of its previous answer plus the keep-alive time;
// - a request body must not stop arriving for `bodyIdleMs`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { sendAnthropicError } from './anthropic-error.js';

export interface ClientTimeLimits {
  readonly headersMs: number;
  readonly bodyIdleMs: number;
  /** How long an idle keep-alive connection may wait for its next request (the server's keepAliveTimeout). */
  readonly keepAliveMs: number;
}

export const DEFAULT_CLIENT_TIME_LIMITS: ClientTimeLimits = { headersMs: 30_000, bodyIdleMs: 30_000, keepAliveMs: 65_000 };

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (Number(req.headers['content-length'] ?? 0) || 0) > 0;
}

export class ClientTimeouts {
  private readonly waiting = new WeakMap<Socket, NodeJS.Timeout>();

  constructor(private readonly limits: ClientTimeLimits) {}

  /** A new connection: its first request's headers are due. */
  connection(socket: Socket): void {
    this.awaitHeaders(socket, this.limits.headersMs);
    socket.once('close', () => this.clear(socket));
  }

  /** A request's headers arrived: its body (if any) is timed while it arrives, the next request once this one is answered. */
  request(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    this.clear(socket);
    res.once('finish', () => {
      if (!socket.destroyed) this.awaitHeaders(socket, this.limits.keepAliveMs + this.limits.headersMs);
    });
    if (hasBody(req) && !req.complete) this.watchBody(req, res);
  }

  private awaitHeaders(socket: Socket, ms: number): void {
    this.clear(socket);
    const timer = setTimeout(() => socket.destroy(), ms);
    timer.unref();
    this.waiting.set(socket, timer);
  }

  private clear(socket: Socket): void {
    const timer = this.waiting.get(socket);
    if (timer !== undefined) clearTimeout(timer);
    this.waiting.delete(socket);
  }

  private watchBody(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    const idleMs = this.limits.bodyIdleMs;
    let lastRead = socket.bytesRead;
    let lastProgress = performance.now();
    const timer = setInterval(() => {
      if (req.complete || socket.destroyed) return clearInterval(timer);
      if (socket.bytesRead !== lastRead) {
        lastRead = socket.bytesRead;
        lastProgress = performance.now();
        return;
      }
      if (performance.now() - lastProgress < idleMs) return;
      clearInterval(timer);
      if (res.headersSent) return void socket.destroy();
      res.setHeader('connection', 'close');
      sendAnthropicError(res, 408, 'invalid_request_error', `the request body stopped arriving: nothing for ${idleMs / 1000} s`);
      // A client that sends nothing more may not read either: do not wait on it.
      setTimeout(() => socket.destroy(), 1000).unref();
    }, Math.max(10, Math.floor(idleMs / 4)));
    timer.unref();
    socket.once('close', () => clearInterval(timer));
  }
}
