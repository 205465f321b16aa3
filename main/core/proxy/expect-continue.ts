// `Expect: 100-continue` (curl sends it for any body over 1 MB). The server
// handles such requests itself ('checkContinue'), so the client hears
// "100 Continue" only once the guard has let it in and its declared size
// fits; a refused client never sends its body. The header is then taken off
// the request: http-proxy skips its proxyReq hook for a request that still
// carries it (the body rewrite, the upstream's auth and the token stripping
// all live there), and the backend would wait for a continue of its own.
import type { IncomingMessage, ServerResponse } from 'node:http';

const waiting = new WeakSet<IncomingMessage>();

/** Marks a request whose client waits for 100 Continue before sending its body. */
export function expectsContinue(req: IncomingMessage): void {
  waiting.add(req);
}

/** Lets the client send its body (once), and forwards the request without the expectation. */
export function sendContinue(req: IncomingMessage, res: ServerResponse): void {
  delete req.headers.expect;
  if (!waiting.delete(req) || res.headersSent) return;
  res.writeContinue();
}
