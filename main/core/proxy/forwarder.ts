// Forwards every request to the backend with http-proxy-middleware, and hands
// the response back as it arrives: status and headers as the backend sent
// them, bodies streamed without buffering (SSE especially), usage figures
// noted on the way for the diagnostics.
import http from 'node:http';
import { createProxyMiddleware, debugProxyErrorsPlugin, proxyEventsPlugin, type Options, type RequestHandler } from 'http-proxy-middleware';
import { sendAnthropicError } from './anthropic-error.js';
import { endToEndHeaders } from './hop-by-hop.js';
import { piecesLength } from '../rewrite/index.js';
import type { MessageCall } from './message-call.js';
import type { Exchange } from './exchange.js';
import type { UpstreamError } from '../wire/types.js';
import { SseUsageTap } from './sse-usage-tap.js';
import { takeUsage, type UsageRewriter } from './usage.js';
import { affinityHeaders } from './affinity.js';
import { backendErrorAnswer, ERROR_BODY_BYTES, upstreamFailure } from './upstream-errors.js';

/**
 * A live backend, on loopback or the LAN, accepts within milliseconds; past
 * this the address is dead, and the client should hear so within a second.
 */
const CONNECT_TIMEOUT_MS = 900;

export interface ForwarderHooks {
  readonly target: string;
  /** The exchange the server admitted the request as. */
  exchangeOf(req: http.IncomingMessage): Exchange | undefined;
  readonly agent: http.Agent;
  /** For a retry: never a pooled connection, since the pool just handed out a dead one. */
  readonly freshAgent: http.Agent;
  /** 0 means never: prefill of a long prompt can take minutes. */
  readonly upstreamTimeoutMs: number;
  /** Null when the cache estimate should not be added to usage. */
  usageRewriter(call: MessageCall): UsageRewriter | null;
  /** The whole request body has been handed to the OS. */
  onBodySent(call: MessageCall): void;
  /** The first content delta of a streamed answer passed (call.firstContentAt is set). */
  onFirstContent(call: MessageCall): void;
  /** Answer for a count_tokens call the backend does not serve (Ollama: 404). */
  countTokensFallback(call: MessageCall): number;
  /** Clients authenticate to the proxy with a token, which must not reach the backend. */
  readonly stripAuth: boolean;
  /** Set on everything forwarded: the upstream's own auth, from the configuration. */
  readonly upstreamHeaders: ReadonlyArray<readonly [string, string]>;
  /** Header names (or `cookie:NAME`) that carry a /v1/messages call's affinity key; [] for none. */
  readonly affinityHeaders: readonly string[];
  /** The call's affinity key; null when its body cannot be read. */
  affinityKey(call: MessageCall): string | null;
  /** The backend failed a request (noted on its exchange too); `error.retried` when it goes out once more on a fresh connection. */
  onUpstreamError(error: UpstreamError): void;
}

/**
 * Whether a failed upstream request is the keep-alive race: the backend
 * closed a pooled idle connection (its keep-alive timeout ran out) just as
 * the request went out on it, and reset it without reading. Nothing reached
 * the backend's handler and no answer began, so sending it again is safe
 * (Node's documented `reusedSocket` idiom).
 */
function isStaleConnection(err: NodeJS.ErrnoException, proxyReq: http.ClientRequest | null): boolean {
  return proxyReq !== null && proxyReq.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
}

/** A request whose body the proxy holds (or that has none), so it can be sent again. */
function canSendAgain(exchange: Exchange): boolean {
  if (exchange.call) return true;
  const { req } = exchange;
  const method = req.method ?? 'GET';
  return (method === 'GET' || method === 'HEAD' || method === 'OPTIONS')
    && req.headers['transfer-encoding'] === undefined && (Number(req.headers['content-length'] ?? 0) || 0) === 0;
}

/** A backend that dies mid-response: the client must see a cut, not a clean end. */
function cutWithUpstream(proxyRes: http.IncomingMessage, res: http.ServerResponse): void {
  proxyRes.on('error', () => res.destroy());
  proxyRes.on('aborted', () => res.destroy());
}

function isJson(type: string | undefined): boolean {
  return type !== undefined && /^application\/(?:[\w.+-]+\+)?json/i.test(type);
}

export function createForwarder(hooks: ForwarderHooks): RequestHandler {
  const { target } = hooks;

  function writeBody(proxyReq: http.ClientRequest, call: MessageCall): void {
    // The body was read (and decoded) to rewrite it: describe the bytes we send, not the ones we got.
    proxyReq.removeHeader('transfer-encoding');
    proxyReq.removeHeader('content-encoding');
    proxyReq.setHeader('content-length', piecesLength(call.pieces));
    // Corked, the headers and every piece leave in one write.
    proxyReq.cork();
    for (const piece of call.pieces) proxyReq.write(piece);
    proxyReq.uncork();
  }

  function passThrough(proxyRes: http.IncomingMessage, exchange: Exchange | undefined, res: http.ServerResponse): void {
    res.writeHead(proxyRes.statusCode ?? 502, proxyRes.statusMessage, endToEndHeaders(proxyRes.headers));
    // pipe, not pipeline: on the small-call hot path pipeline's AbortSignal costs
    // more than the call; a client that leaves is handled in onProxyReq.
    proxyRes.pipe(res);
    cutWithUpstream(proxyRes, res);
    if (!exchange) return;
    const length = Number(proxyRes.headers['content-length']);
    if (Number.isFinite(length)) exchange.bytesOut += length;
    else proxyRes.on('data', (chunk: Buffer) => { exchange.bytesOut += chunk.length; });
  }

  function streamEvents(proxyRes: http.IncomingMessage, exchange: Exchange, res: http.ServerResponse, call: MessageCall): void {
    const rewriteUsage = hooks.usageRewriter(call);
    const tap = new SseUsageTap({
      observed: call.observed,
      rewriteUsage,
      onFirstContent: () => {
        call.firstContentAt = performance.now();
        hooks.onFirstContent(call);
      },
    });
    // Rewritten events change length, so the framing is Node's (chunked) either way.
    res.writeHead(proxyRes.statusCode ?? 200, proxyRes.statusMessage, endToEndHeaders(proxyRes.headers, ['content-length']));
    res.flushHeaders();
    proxyRes.on('data', (chunk: Buffer) => {
      exchange.bytesOut += chunk.length;
      const out = tap.write(chunk);
      if (out.length > 0 && !res.write(out)) {
        proxyRes.pause();
        res.once('drain', () => proxyRes.resume());
      }
    });
    proxyRes.on('end', () => res.end(tap.end()));
    cutWithUpstream(proxyRes, res);
  }

  function answerJson(proxyRes: http.IncomingMessage, exchange: Exchange, res: http.ServerResponse, call: MessageCall): void {
    const chunks: Buffer[] = [];
    proxyRes.on('data', (chunk: Buffer) => { chunks.push(chunk); exchange.bytesOut += chunk.length; });
    cutWithUpstream(proxyRes, res);
    proxyRes.on('end', () => {
      let body = Buffer.concat(chunks);
      try {
        const message = JSON.parse(body.toString('utf8')) as { usage?: Record<string, unknown> };
        const usage = message.usage;
        if (usage && typeof usage === 'object') {
          message.usage = takeUsage(call.observed, hooks.usageRewriter(call), usage);
          if (message.usage !== usage) body = Buffer.from(JSON.stringify(message));
        }
      } catch {
        // Not the JSON we expected: hand it back exactly as received.
      }
      res.writeHead(proxyRes.statusCode ?? 200, proxyRes.statusMessage, { ...endToEndHeaders(proxyRes.headers), 'content-length': body.length });
      res.end(body);
    });
  }

  /** A backend's error answer, in the Anthropic shape Claude Code shows (upstream-errors.ts). */
  function answerError(proxyRes: http.IncomingMessage, exchange: Exchange, res: http.ServerResponse): void {
    const status = proxyRes.statusCode ?? 502;
    const chunks: Buffer[] = [];
    let length = 0;
    let answered = false;
    const answer = (): void => {
      if (answered) return;
      answered = true;
      const body = Buffer.concat(chunks, length);
      const retryAfter = proxyRes.headers['retry-after'];
      const error = backendErrorAnswer(status, proxyRes.statusMessage, body.toString('utf8'));
      exchange.bytesOut += length;
      if (error !== null) return sendAnthropicError(res, status, error.type, error.message, retryAfter ? { 'retry-after': retryAfter } : {});
      res.writeHead(status, proxyRes.statusMessage, { ...endToEndHeaders(proxyRes.headers), 'content-length': length });
      res.end(body);
    };
    proxyRes.on('data', (chunk: Buffer) => {
      if (answered) return;
      const room = ERROR_BODY_BYTES - length;
      chunks.push(room < chunk.length ? chunk.subarray(0, room) : chunk);
      length += Math.min(room, chunk.length);
      // Enough to explain it: the rest is neither held nor waited for.
      if (length >= ERROR_BODY_BYTES) {
        answer();
        proxyRes.destroy();
      }
    });
    proxyRes.on('end', answer);
    proxyRes.on('error', answer);
    proxyRes.on('aborted', answer);
  }

  function answerCountTokens(proxyRes: http.IncomingMessage, exchange: Exchange, res: http.ServerResponse, call: MessageCall): void {
    proxyRes.resume();
    const body = Buffer.from(JSON.stringify({ input_tokens: hooks.countTokensFallback(call) }));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'x-llm-cache-proxy': 'count-tokens-estimate' });
    res.end(body);
    exchange.bytesOut += body.length;
  }

  let retry: RequestHandler | null = null;

  const options = (agent: http.Agent): Options => ({
    target,
    changeOrigin: true,
    agent,
    selfHandleResponse: true,
    xfwd: false,
    // The default logger plugin builds a URL for every response only to hand
    // it to a no-op logger; we log each request ourselves. Kept: the `on`
    // handlers below, and the error listeners that keep a socket error from
    // being thrown.
    ejectPlugins: true,
    plugins: [debugProxyErrorsPlugin, proxyEventsPlugin],
    ...(hooks.upstreamTimeoutMs > 0 ? { proxyTimeout: hooks.upstreamTimeoutMs } : {}),
    on: {
      proxyReq: (proxyReq, req, res) => {
        if (hooks.stripAuth) {
          proxyReq.removeHeader('authorization');
          proxyReq.removeHeader('x-api-key');
        }
        const exchange = hooks.exchangeOf(req);
        if (exchange) exchange.upstream = proxyReq;
        // http-proxy answers its own proxyTimeout by aborting, which reads as a reset: note the real cause.
        if (exchange && hooks.upstreamTimeoutMs > 0) proxyReq.once('timeout', () => { exchange.upstreamTimedOut = true; });
        for (const [name, value] of hooks.upstreamHeaders) proxyReq.setHeader(name, value);
        const call = exchange?.call;
        if (call && !call.countTokens && hooks.affinityHeaders.length > 0) {
          const key = hooks.affinityKey(call);
          const cookie = proxyReq.getHeader('cookie');
          if (key !== null) for (const [name, value] of affinityHeaders(hooks.affinityHeaders, key, typeof cookie === 'string' ? cookie : undefined)) proxyReq.setHeader(name, value);
        }
        if (call) {
          // We parse the stream to add usage; compressed SSE would defeat that.
          proxyReq.setHeader('accept-encoding', 'identity');
          writeBody(proxyReq, call);
          proxyReq.once('finish', () => hooks.onBodySent(call));
        }
        // http-proxy only aborts upstream on the request's 'aborted' event, which
        // never fires once the body has been read: watch the response instead.
        res.on('close', () => {
          if (!res.writableFinished) proxyReq.destroy();
        });
        // http-proxy emits proxyReq from inside the request's 'socket' event, so the socket is here now.
        const socket = proxyReq.socket;
        if (socket) {
          socket.setNoDelay(true);
          if (socket.connecting) {
            const timer = setTimeout(() => proxyReq.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), CONNECT_TIMEOUT_MS);
            socket.once('connect', () => clearTimeout(timer));
            socket.once('close', () => clearTimeout(timer));
          }
        }
      },
      proxyRes: (proxyRes, req, res) => {
        const exchange = hooks.exchangeOf(req);
        const call = exchange?.call;
        const status = proxyRes.statusCode ?? 502;
        if (!exchange || !call) return passThrough(proxyRes, exchange, res);
        if (call.countTokens && status === 404) return answerCountTokens(proxyRes, exchange, res, call);
        if (status >= 400) return answerError(proxyRes, exchange, res);
        const type = proxyRes.headers['content-type'];
        if (status === 200 && type?.startsWith('text/event-stream')) return streamEvents(proxyRes, exchange, res, call);
        if (status === 200 && isJson(type) && !call.countTokens) return answerJson(proxyRes, exchange, res, call);
        return passThrough(proxyRes, exchange, res);
      },
      error: (err, req, res) => {
        if (!(res instanceof http.ServerResponse)) return res.destroy();
        const exchange = hooks.exchangeOf(req);
        const error = err as NodeJS.ErrnoException;
        const code = error.code ?? error.message;
        const timeout = exchange?.upstreamTimedOut ? hooks.upstreamTimeoutMs : null;
        const again = exchange !== undefined && timeout === null && retry !== null && !exchange.retried && !res.headersSent
          && isStaleConnection(error, exchange.upstream) && canSendAgain(exchange);
        if (exchange) hooks.onUpstreamError(exchange.upstreamFailed(timeout === null ? code : 'timeout', again));
        const fail = (): void => {
          const failure = upstreamFailure(error, { target, timedOutAfterMs: timeout, connectTimeoutMs: CONNECT_TIMEOUT_MS });
          sendAnthropicError(res, failure.status, failure.type, failure.message);
        };
        if (!again || !exchange) return fail();
        exchange.retried = true;
        void retry!(req, res, fail);
      },
    },
  });
  retry = createProxyMiddleware(options(hooks.freshAgent));
  return createProxyMiddleware(options(hooks.agent));
}
