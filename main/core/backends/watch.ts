// The backend monitor with what both hosts (the CLI and the app) do around
// it: the fetch that reaches the target (TLS and the upstream's own auth
// included), the view the proxy reads, one line when the engine is found or
// changes, and one notice per model whose window is too small.
import { EventEmitter } from 'node:events';
import type { CallRecord } from '../wire/types.js';
import { parseUpstreamAuth, upstreamAgent, type BackendSettings, type UpstreamConnection } from './upstream.js';
import { agentFetch } from './agent-fetch.js';
import { backendView, type BackendView } from './backend-info.js';
import { createBackendMonitor, type BackendMonitor } from './backend-monitor.js';
import type { Clock } from './clock.js';
import { realClock } from './clock.js';
import { OverflowNotices } from './overflow-notices.js';
import { PROFILES } from './detect.js';
import type { BackendState } from './types.js';
import { thousands } from '../number-format.js';

export interface BackendWatchOptions {
  readonly proxy: UpstreamConnection;
  readonly backend: BackendSettings;
  readonly fetch: typeof fetch;
  readonly clock?: Clock;
  /** The configured model, whose window is shown until a call names one. */
  readonly model?: string;
}

export interface BackendWatchEvents {
  /** One line when the engine is first found, changes, or stops answering. */
  found: [line: string];
  /** Something to tell the user once: a context window too small for the prompts. */
  notice: [message: string];
}

/** How to send a request of the proxy's own to the backend: its URL, the fetch that reaches it (TLS), its auth header. */
export interface BackendConnection {
  readonly target: string;
  readonly fetch: typeof fetch;
  readonly headers: Readonly<Record<string, string>>;
}

export class BackendWatch extends EventEmitter<BackendWatchEvents> {
  readonly monitor: BackendMonitor;
  readonly view: BackendView;
  readonly connection: BackendConnection;
  readonly #notices = new OverflowNotices();
  #model: string | null;
  #lastLine = '';
  #restarts = 0;

  constructor(options: BackendWatchOptions) {
    super();
    const { target, upstreamAuth, upstreamCa, slots } = options.proxy;
    const fetchFn = upstreamCa ? agentFetch(upstreamAgent(target, upstreamCa)) : options.fetch;
    const headers = upstreamAuth ? Object.fromEntries([parseUpstreamAuth(upstreamAuth)]) : undefined;
    // Requests that may run for minutes (a warm-up's prefill) go through node:http: Node's
    // fetch gives up when the answer's headers take five minutes, which a long prefill on a slow
    // machine does, and a backend that stops when its client leaves would lose that work.
    this.connection = { target, fetch: agentFetch(upstreamAgent(target, upstreamCa, false)), headers: headers ?? {} };
    this.monitor = createBackendMonitor({
      target, fetch: fetchFn, clock: options.clock ?? realClock, backend: options.backend.backend,
      routerFlavour: options.backend.routerFlavour, ...(headers ? { headers } : {}),
    });
    this.#model = options.model ?? null;
    const inUse = (): string | null => this.#model;
    this.view = backendView(this.monitor, { configuredSlots: slots ?? 1, get model() { return inUse(); } }, () => this.#restarts);
    this.monitor.on('restarted', () => this.#restarts++);
    this.monitor.on('checked', (state) => this.#describe(state, target));
    this.monitor.on('warning', (message, key) => {
      const once = this.#notices.once(key, message);
      if (once) this.emit('notice', once);
    });
  }

  start(): void {
    this.monitor.start();
  }

  stop(): void {
    this.monitor.stop();
  }

  /** The configured model changed: its window is the one shown until a call names another. */
  useModel(model: string): void {
    this.#model = model;
  }

  /** A completed call: its model is the one in use, its prompt size is checked against the window. */
  noteCall(record: CallRecord): void {
    if (record.model) this.#model = record.model;
    // The call's own notice first: it knows whose count the prompt's size is. The monitor's warning for the same
    // model and window is then already told.
    const message = this.#notices.fromCall(record, this.monitor.profile);
    if (message) this.emit('notice', message);
    // An engine that cuts silently (Ollama) reports the count after the cut, at most its window: the overflow's own
    // figure is the prompt as sent.
    const tokens = record.contextOverflow?.promptTokens ?? record.inputTokens;
    if (record.model && tokens !== null && tokens > 0) this.monitor.notePromptTokens(record.model, tokens);
  }

  #describe(state: BackendState, target: string): void {
    const line = describeBackend(state, target);
    if (line === this.#lastLine) return;
    this.#lastLine = line;
    this.emit('found', line);
  }
}

/** One line for the log: which engine answers at the target, or why none does. */
export function describeBackend(state: BackendState, target: string): string {
  if (state.status === 'down' && state.unexpected) return `backend: ${state.error ?? `${target} answers, but not as named`}`;
  if (state.status === 'down') return `backend at ${target}: not reachable${state.error ? ` (${state.error})` : ''}`;
  if (state.kind === 'unknown' || state.kind === undefined) return `backend at ${target}: answers, but is no engine the proxy knows; advice stays generic`;
  const profile = PROFILES[state.kind];
  const parts = [`${profile.label}${state.flavour ? ` (${state.flavour})` : ''}${state.version ? ` ${state.version}` : ''}`];
  if (state.forced) parts.push('as named by --backend');
  if (state.slots !== undefined) parts.push(`${state.slots} slot${state.slots === 1 ? '' : 's'}`);
  const window = state.loaded.find((m) => m.contextLength !== undefined);
  if (window?.contextLength) parts.push(`${window.name} with a ${thousands(window.contextLength)}-token context`);
  return `backend at ${target}: ${parts.join(', ')}`;
}

export function watchBackend(options: BackendWatchOptions): BackendWatch {
  return new BackendWatch(options);
}
