// The proxy's lifecycle: an Express app on a Node HTTP server, started and
// stopped on demand (the app toggles it from the tray), with no process-wide
// state so tests can run many side by side.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { joinPieces, rewriteRequestBody, ScanMemo, sideModelMissing } from '../rewrite/index.js';
import type { RewriteMode } from '../rewrite/types.js';
import type { InlineSystemMode } from '../rewrite/inline-system.js';
import type { CallRecord, InFlightEvent, InFlightEventType, ProxyStatus, PromptFamily, UpstreamError } from '../wire/types.js';
import { predictCallWait } from '../wait/call-wait.js';
import { VERSION } from '../version.js';
import { sendAnthropicError } from './anthropic-error.js';
import { CallLog } from './call-log.js';
import { BodyBudget, readBody } from './body-reader.js';
import { expectsContinue, sendContinue } from './expect-continue.js';
import { ClientTimeouts, DEFAULT_CLIENT_TIME_LIMITS } from './client-timeouts.js';
import { CallDiagnostics } from './call-diagnostics.js';
import { createForwarder } from './forwarder.js';
import { InFlightCalls } from './in-flight.js';
import { IdleCollector } from './idle-collect.js';
import { isCountTokensPath, messageCall, type MessageCall } from './message-call.js';
import { Exchange } from './exchange.js';
import { bodyErrors } from './body-errors.js';
import { checkRequest, guardPolicy, type GuardPolicy } from './request-guard.js';
import { statusRoutes } from './status-routes.js';
import { ownRoutesOnly } from './own-routes.js';
import type { ProxyController, ProxyEvents, ProxyOptions } from './types.js';
import { parseUpstreamAuth, upstreamAgent } from '../backends/upstream.js';

const MESSAGE_PATHS = ['/v1/messages', '/v1/messages/count_tokens'];

/** How many upstream failures /_proxy/status keeps. */
const UPSTREAM_ERRORS_KEPT = 20;
/** How long an idle client connection stays open for its next request. */
const KEEP_ALIVE_MS = 65_000;
/** Long enough that a conversation's next turn usually comes first, so a session's calls are not interrupted. */
const COLLECT_WHEN_IDLE_MS = 10_000;

export class ProxyServer extends EventEmitter<ProxyEvents> implements ProxyController {
  private server: http.Server | null = null;
  private address: { host: string; port: number } | null = null;
  private rewriteMode: RewriteMode;
  private inlineSystem: InlineSystemMode;
  private startedAt = 0;
  private agent: http.Agent;
  private readonly log = new CallLog();
  // Each turn's body mostly repeats the last one: its scan re-reads only the new bytes.
  private readonly scanMemo = new ScanMemo();
  private readonly diagnostics: CallDiagnostics;
  private readonly idle: IdleCollector;
  /** Each request's exchange, made when it is admitted: the one place a request's state lives. */
  private readonly exchanges = new WeakMap<http.IncomingMessage, Exchange>();
  private readonly inFlight = new Set<http.ServerResponse>();
  private readonly sockets = new Set<Socket>();
  private readonly closeListeners = new Set<() => void>();
  private nextCallId = 1;
  private readonly upstreamErrors: UpstreamError[] = [];
  private readonly calls = new InFlightCalls();
  /** Calls whose start the feed has been told (announce). */
  private readonly announced = new WeakSet<MessageCall>();
  private readonly bodyBudget: BodyBudget;
  private readonly clientTimeouts: ClientTimeouts;

  constructor(private readonly options: ProxyOptions) {
    super();
    this.rewriteMode = options.rewrite;
    this.inlineSystem = options.inlineSystem ?? 'fold';
    this.policy = guardPolicy(options, options.port);
    this.diagnostics = new CallDiagnostics({ slots: options.slots ?? 1, cacheUsage: options.cacheUsage ?? true, backend: options.backend, promptExcerpts: options.promptExcerpts ?? false });
    this.agent = upstreamAgent(options.target, options.upstreamCa);
    this.idle = new IdleCollector(options.collectWhenIdleMs ?? COLLECT_WHEN_IDLE_MS);
    this.bodyBudget = new BodyBudget(options.maxBodyBytes);
    this.clientTimeouts = new ClientTimeouts({ ...DEFAULT_CLIENT_TIME_LIMITS, ...options.clientTimeLimits, keepAliveMs: KEEP_ALIVE_MS });
  }

  get running(): boolean {
    return this.server !== null && this.address !== null;
  }

  setRewriteMode(mode: RewriteMode): void {
    this.rewriteMode = mode;
  }

  /** The prompt family of a model, as the backend reported its renderer; null while unknown. */
  private readonly familyOf = (model: string | null): PromptFamily | null => this.options.backend?.renderer?.(model)?.family ?? null;

  setInlineSystem(mode: InlineSystemMode): void {
    this.inlineSystem = mode;
  }

  status(): ProxyStatus {
    const { totals, recent } = this.log.snapshot();
    return {
      version: VERSION,
      target: this.options.target,
      rewrite: this.rewriteMode,
      inlineSystem: this.inlineSystem,
      cacheUsage: this.options.cacheUsage ?? true,
      slots: this.options.slots ?? 1,
      sideModel: this.options.sideModel || null,
      backend: this.options.backend?.info() ?? null,
      affinityHeaders: [...(this.options.affinityHeaders ?? [])],
      upstreamAuth: Boolean(this.options.upstreamAuth),
      listening: this.address,
      uptimeMs: this.running ? Math.round(performance.now() - this.startedAt) : 0,
      totals,
      recent,
      upstreamErrors: [...this.upstreamErrors],
      inFlight: this.calls.list(performance.now()),
      warm: this.options.warm?.status() ?? null,
    };
  }

  async start(): Promise<{ host: string; port: number }> {
    if (this.server) throw new Error('proxy is already running');
    this.agent = upstreamAgent(this.options.target, this.options.upstreamCa);
    const app = this.buildApp();
    const server = http.createServer({ noDelay: true, keepAliveTimeout: KEEP_ALIVE_MS }, app);
    server.on('checkContinue', (req, res) => {
      expectsContinue(req);
      app(req, res);
    });
    // Prefill of a long prompt can take minutes before the first byte: no
    // timeout on the whole exchange. What is waited for from the client is
    // timed by clientTimeouts instead.
    server.requestTimeout = 0;
    server.on('connection', (socket) => {
      this.clientTimeouts.connection(socket);
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    let port: number;
    try {
      port = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.options.port, this.options.host, () => {
          server.off('error', reject);
          const bound = (server.address() as AddressInfo).port;
          // Before the first request can be read: own origins name the real port.
          this.policy = guardPolicy(this.options, bound);
          resolve(bound);
        });
      });
    } catch (err) {
      this.server = null;
      throw err;
    }
    this.address = { host: this.options.host, port };
    this.startedAt = performance.now();
    return this.address;
  }

  async stop(graceMs = 5000): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.address = null;
    this.closeListeners.forEach((listener) => listener());
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await this.drain(graceMs);
    server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    this.agent.destroy();
    this.idle.stop();
    await closed;
    this.server = null;
    this.emit('stopped');
  }

  /**
   * A warm-up beside the proxy (host/, warm start) read this body into the
   * backend's cache: the estimate of the next call must know the slot holds it.
   */
  noteWarmUp(body: Buffer): void {
    this.diagnostics.warmed(body);
  }

  /** Waits for in-flight responses to finish, up to graceMs. */
  private async drain(graceMs: number): Promise<void> {
    const deadline = performance.now() + graceMs;
    while (this.inFlight.size > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      this.server?.closeIdleConnections();
    }
  }

  private policy: GuardPolicy;

  private readonly exchangeOf = (req: http.IncomingMessage): Exchange | undefined => this.exchanges.get(req);

  private buildApp(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    app.set('query parser', false);
    app.use(this.admit);
    // The proxy's own pages and APIs live under /_proxy; everything else skips their routers.
    const own = express.Router();
    for (const pages of this.options.pages ?? []) own.use(pages);
    own.use(statusRoutes({
      status: () => this.status(),
      subscribe: (listener) => {
        this.on('call', listener);
        return () => this.off('call', listener);
      },
      subscribeInFlight: (listener) => {
        this.on('in-flight', listener);
        return () => this.off('in-flight', listener);
      },
      subscribeWarmUps: (listener) => this.options.warm?.subscribe(listener) ?? (() => undefined),
      onClose: (listener) => {
        this.closeListeners.add(listener);
        return () => this.closeListeners.delete(listener);
      },
    }));
    app.use(ownRoutesOnly(own));
    app.post(MESSAGE_PATHS, readBody(this.options.maxBodyBytes, this.bodyBudget), this.prepareMessageCall);
    app.use((req, res, next) => {
      sendContinue(req, res);
      next();
    });
    app.use(createForwarder({
      target: this.options.target,
      exchangeOf: this.exchangeOf,
      agent: this.agent,
      freshAgent: upstreamAgent(this.options.target, this.options.upstreamCa, false),
      upstreamTimeoutMs: this.options.upstreamTimeoutMs ?? 0,
      stripAuth: Boolean(this.options.token),
      upstreamHeaders: this.options.upstreamAuth ? [parseUpstreamAuth(this.options.upstreamAuth)] : [],
      affinityHeaders: this.options.affinityHeaders ?? [],
      affinityKey: (call) => this.diagnostics.affinityKey(call),
      usageRewriter: (call) => this.diagnostics.usageRewriter(call),
      countTokensFallback: (call) => this.diagnostics.estimateTokens(call),
      onBodySent: (call) => afterNextPoll(() => this.announce(call)),
      onFirstContent: (call) => {
        this.announce(call);
        this.emitInFlight('first-token', call);
      },
      onUpstreamError: (error) => {
        this.upstreamErrors.push(error);
        if (this.upstreamErrors.length > UPSTREAM_ERRORS_KEPT) this.upstreamErrors.shift();
      },
    }));
    app.use(bodyErrors(this.exchangeOf));
    return app;
  }

  /** Opens the request's exchange, then lets it in or refuses it (Host, Origin, token). */
  private readonly admit = (req: Request, res: Response, next: NextFunction): void => {
    const exchange = new Exchange(req);
    this.exchanges.set(req, exchange);
    this.clientTimeouts.request(req, res);
    // The live feed stays open for good: it must not hold up a graceful stop.
    if (req.url !== '/_proxy/events') this.inFlight.add(res);
    res.once('close', () => {
      this.inFlight.delete(res);
      this.finishExchange(res, exchange);
    });
    const verdict = checkRequest(req.headers, this.policy);
    if (verdict.ok) return next();
    exchange.note = verdict.reason;
    // A refused request's body is never read: end the connection with the answer rather than drain it.
    res.setHeader('connection', 'close');
    sendAnthropicError(res, verdict.status, verdict.status === 401 ? 'authentication_error' : 'permission_error', verdict.reason);
  };

  /** Reads the body into the exchange's call, rewritten, and lists the call as in flight. */
  private readonly prepareMessageCall = (req: Request, _res: Response, next: NextFunction): void => {
    const exchange = this.exchanges.get(req);
    // admit() opened one for every request that reaches here.
    if (!exchange) return next(new Error('the request was not admitted'));
    // body-parser leaves req.body unset when there is no body at all.
    const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    exchange.bytesIn = raw.length;
    const countTokens = isCountTokensPath(req.path);
    const rewrite = rewriteRequestBody(raw, this.rewriteMode, this.scanMemo, {
      inlineSystem: this.inlineSystem,
      familyOf: this.familyOf,
      // count_tokens is answered without a prefill: no cache to keep apart.
      ...(countTokens ? {} : { sideModel: this.options.sideModel }),
    });
    const call = messageCall(exchange, req.path, this.rewriteMode, rewrite, countTokens ? null : this.nextCallId++);
    exchange.call = call;
    // Listed at once, figures to follow: the status shows the call while the body is still being forwarded.
    this.calls.begin(call);
    next();
  };

  /**
   * Analyses the call, predicts its wait and tells the feed it started, once:
   * after the body is upstream and the backend could read it, or sooner when
   * its answer begins or ends first (a backend that answers at once), so the
   * feed always tells a call's start before its first token and its end, and
   * its record carries what the prediction found.
   */
  private announce(call: MessageCall): void {
    if (this.announced.has(call)) return;
    this.announced.add(call);
    const estimate = this.diagnostics.predict(call);
    if (estimate && this.calls.has(call)) {
      const backend = this.options.backendInfo?.(estimate.model) ?? { loaded: null, contextTokens: null, contextCost: null };
      call.prediction = { ...estimate, ...predictCallWait(estimate, this.log.recentCalls(), backend), contextTokens: backend.contextTokens };
    }
    this.emitInFlight('call-start', call);
  }

  private emitInFlight(type: InFlightEventType, call: MessageCall): void {
    const view = this.calls.view(call, performance.now());
    if (view) this.emit('in-flight', { type, call: view } satisfies InFlightEvent);
  }

  private finishExchange(res: http.ServerResponse, exchange: Exchange): void {
    this.idle.activity();
    const call = exchange.call;
    if (call?.rules.includes('side-model') && res.statusCode === 404 && !exchange.note) exchange.note = sideModelMissing(this.options.sideModel ?? '');
    const skipped = call ? this.diagnostics.skipped(call) : null;
    if (skipped !== null && !exchange.note) exchange.note = skipped;
    const entry = exchange.logEntry(res);
    this.log.countRequest({ rewritten: entry.rewritten, error: entry.status >= 500 || entry.status === 499 });
    this.emit('request', entry);
    if (!call) return;
    this.announce(call);
    const ended = this.calls.end(call, performance.now());
    if (!ended) return;
    this.emit('in-flight', { type: 'call-end', call: ended });
    const record = this.diagnostics.complete(call, { id: ended.id, status: entry.status, endedAt: performance.now() });
    if (!record) return;
    this.log.addCall(record);
    this.emit('call', record, { parse: () => JSON.parse(joinPieces(call.pieces).toString('utf8')) as unknown });
  }
}

/**
 * Runs `work` after the event loop's next poll for I/O. The diagnostics of a
 * call wait for it once its body has been handed to the OS: a backend in
 * another process already has the body by then, but a server in this process
 * (the tests' stand-ins, the engine bench's tap in front of its engine) reads
 * it only when the loop next polls, and a setImmediate alone runs before that
 * poll, so the analysis would hold that read for as long as it takes.
 */
function afterNextPoll(work: () => void): void {
  // The first runs in this turn's check phase (or the next one's), the second after the poll that follows.
  setImmediate(() => setImmediate(work));
}

export function createProxy(options: ProxyOptions): ProxyServer {
  return new ProxyServer(options);
}

export type { CallRecord };
