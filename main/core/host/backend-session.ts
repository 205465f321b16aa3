// The backend beside the proxy, as both hosts (the CLI and the app) run it:
// the watch on the target (which engine, its models and windows), the calls
// it answered, and the model in use. It lives as long as its host; a change
// of the backend settings swaps the watch inside it, so proxies and the menu
// keep reading through one view that always shows the current watch.
import { EventEmitter } from 'node:events';
import type { Clock } from '../backends/clock.js';
import { realClock } from '../backends/clock.js';
import type { BackendProfile } from '../backends/profile.js';
import type { BackendState } from '../backends/types.js';
import { BackendWatch, type BackendConnection, type BackendWatchOptions } from '../backends/watch.js';
import type { CallRecord } from '../wire/types.js';
import type { BackendModelInfo } from '../proxy/types.js';
import type { BackendView } from '../backends/backend-info.js';
import { modelWindow, type KnownWindow } from '../backends/model-window.js';
import { BackendModels } from './backend-models.js';

/** How long a host waits for its first look at the backend before it serves calls. */
export const FIRST_LOOK_MS = 2000;

/** What the session is built from: where the backend is and how to reach it, and the model the user chose. */
export interface SessionConfig {
  readonly proxy: BackendWatchOptions['proxy'];
  readonly backend: BackendWatchOptions['backend'];
  /** The model the claudel function names; a call that names none is taken to be for it. */
  readonly model: string;
  /** The contextTokens setting (0 = not set): the window of a model whose backend does not report one. */
  readonly contextTokens: number;
}

export interface BackendSessionEvents {
  /** One line when the engine is first found, changes, or stops answering. */
  found: [line: string];
  /** Something to tell the user once, e.g. a context window too small for the prompts. */
  notice: [message: string];
  /** The backend became reachable. */
  up: [state: BackendState];
  /** The backend stopped answering. */
  down: [state: BackendState];
  /** Anything the tray shows about the backend changed. */
  changed: [state: BackendState];
  /** A look at the backend finished, whether or not anything changed (warm start compares every two). */
  checked: [state: BackendState];
}

/** The settings whose change means watching anew (another target, engine or way in). */
function watchKey(config: SessionConfig): string {
  const { target, upstreamAuth, upstreamCa, slots } = config.proxy;
  return JSON.stringify([target, upstreamAuth, upstreamCa, slots, config.backend.backend, config.backend.routerFlavour]);
}

export class BackendSession extends EventEmitter<BackendSessionEvents> {
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  readonly #models: BackendModels;
  #config: SessionConfig;
  #watch: BackendWatch;
  #detach: () => void = () => undefined;
  #running = false;
  #followLoaded = false;
  /** Watches replaced by another backend's: to a proxy, a restart like any other. */
  #replaced = 0;

  /** The backend as the proxy reads it; always the current watch's. */
  readonly view: BackendView;

  constructor(config: SessionConfig, options: { readonly fetch?: typeof fetch; readonly clock?: Clock } = {}) {
    super();
    const current = (): BackendView => this.#watch.view;
    const replaced = (): number => this.#replaced;
    this.view = {
      info: () => current().info(),
      contextLength: (model) => current().contextLength(model),
      renderer: (model) => current().renderer?.(model) ?? null,
      get profile() {
        return current().profile;
      },
      get restarts() {
        return replaced() + current().restarts;
      },
      get version() {
        return current().version ?? null;
      },
    };
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#clock = options.clock ?? realClock;
    this.#config = config;
    this.#models = new BackendModels(() => this.state, () => this.#config.contextTokens, () => this.#clock.now());
    this.#watch = this.#newWatch();
  }

  /** Whether every look re-reads the loaded models (warm start needs them); kept across a change of backend. */
  followLoadedModels(on: boolean): void {
    this.#followLoaded = on;
    this.#watch.monitor.followLoadedModels(on);
  }

  /** How the proxy's own requests reach the backend (warm-ups); always the current watch's. */
  connection(): BackendConnection {
    return this.#watch.connection;
  }

  /** The monitor's last look at the backend. */
  get state(): BackendState {
    return this.#watch.monitor.state;
  }

  /** The engine found (or named); null until known. */
  get profile(): BackendProfile | null {
    return this.#watch.monitor.profile;
  }

  /** The current watch, for tests that drive its monitor. */
  get watch(): BackendWatch {
    return this.#watch;
  }

  start(): void {
    this.#running = true;
    this.#watch.start();
  }

  stop(): void {
    this.#running = false;
    this.#watch.stop();
  }

  /**
   * Resolves once the first look at the backend has finished, or after `ms`.
   * That look asks the engine how each installed model renders its prompt,
   * which the fold and the estimate of a call need before its first byte: a
   * call answered before it would be folded and estimated the template way.
   */
  firstLook(ms: number = FIRST_LOOK_MS): Promise<void> {
    if (this.state.lastCheckedAt !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.off('checked', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.on('checked', done);
    });
  }

  /**
   * Takes new settings. Another target, engine, auth or slot count means a new
   * watch (what the old one learnt is about another backend); the model and
   * the window setting apply at once. Returns whether it watches anew.
   */
  reconfigure(config: SessionConfig): boolean {
    const anew = watchKey(config) !== watchKey(this.#config);
    const modelChanged = config.model !== this.#config.model;
    this.#config = config;
    if (anew) {
      this.#watch.stop();
      this.#watch = this.#newWatch();
      this.#replaced++;
      if (this.#running) this.#watch.start();
    } else if (modelChanged) {
      this.#watch.useModel(config.model);
    }
    return anew;
  }

  /** What the proxy is told about a call's model (the configured one when the call names none). */
  modelInfo(model: string | null): BackendModelInfo {
    return this.#models.info(model ?? this.#config.model);
  }

  /** The context window of `model` (default: the configured one), from the backend, else the setting. */
  window(model: string = this.#config.model): KnownWindow | null {
    return modelWindow(this.state, model, this.#config.contextTokens);
  }

  /** A completed call: its model answered, and is the one in use. */
  noteCall(record: CallRecord): void {
    // Claude Code sends the model the claudel function chose; the record may not name it.
    const model = record.model ?? this.#config.model;
    if (record.status < 400) this.#models.answered(model);
    this.#watch.noteCall({ ...record, model });
  }

  #newWatch(): BackendWatch {
    this.#detach();
    const { proxy, backend, model } = this.#config;
    const watch = new BackendWatch({ proxy, backend, fetch: this.#fetch, clock: this.#clock, model });
    const monitor = watch.monitor;
    monitor.followLoadedModels(this.#followLoaded);
    // Passed on from whichever watch is current, and taken off it when another replaces it.
    const relays = [
      relay(watch, 'found', (line: string) => this.emit('found', line)),
      relay(watch, 'notice', (message: string) => this.emit('notice', message)),
      ...(['up', 'down', 'changed', 'checked'] as const).map((event) => relay(monitor, event, (state: BackendState) => this.emit(event, state))),
    ];
    this.#detach = () => relays.forEach((off) => off());
    return watch;
  }
}

/** Listens to `event` on `source`; returns the function that stops listening. */
function relay<A extends unknown[]>(
  source: { on(event: string, listener: (...args: A) => void): unknown; off(event: string, listener: (...args: A) => void): unknown },
  event: string, listener: (...args: A) => void,
): () => void {
  source.on(event, listener);
  return () => void source.off(event, listener);
}
