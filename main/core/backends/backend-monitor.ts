// Watches the backend: which engine it is (detected on start, and again
// whenever the engine's own cheap check stops matching), that cheap check
// every few seconds while it is up, the model lists only when something
// changed, and a growing pause between attempts while it is down. It runs on
// its own timer, never on a /v1/messages call's path. Nothing here throws out
// of the loop: every failure becomes state the tray can show.
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from './clock.js';
import type { BackendChoice, BackendMonitorEvents, BackendState } from './types.js';
import type { RouterFlavour } from '../wire/types.js';
import { contextShortfall, overflowMessage } from './model-window.js';
import { ModelFacts } from './model-facts.js';
import { detectBackend, PROFILES, type Detected } from './detect.js';
import { BackendRequestError, requestJson } from './http.js';
import { compact } from './json-fields.js';
import { overflowKey } from './overflow-notices.js';
import type { BackendProfile, GetJson } from './profile.js';
import { backoffDelay } from './timing.js';

export interface BackendMonitorOptions {
  /** The backend's base URL, e.g. http://127.0.0.1:11434. */
  readonly target: string;
  /** 'auto' detects the engine; a kind takes the user's word for it. Default 'auto'. */
  readonly backend?: BackendChoice;
  /** The router named with --router, where its endpoints cannot say. */
  readonly routerFlavour?: RouterFlavour | undefined;
  /** Sent with every check, e.g. a shared server's own auth header. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  /** Pause between checks while Ollama answers. */
  readonly upIntervalMs?: number;
  /** First pause after a failed check; doubles on each further failure. */
  readonly minDownIntervalMs?: number;
  /** Longest pause between checks while Ollama is down. */
  readonly maxDownIntervalMs?: number;
  /** Deadline for each request; Ollama answers these from memory, so a slow answer means trouble. */
  readonly requestTimeoutMs?: number;
}

export interface BackendMonitor extends EventEmitter<BackendMonitorEvents> {
  readonly state: BackendState;
  /** The profile of the engine found (or named); null until known. */
  readonly profile: BackendProfile | null;
  readonly running: boolean;
  /** Checks now, then keeps checking until stop(). Calling it again is harmless. */
  start(): void;
  /** Stops the loop and aborts a check in flight; the last state stays readable. */
  stop(): void;
  /** Checks now, model lists included (e.g. after a call loaded a model); works while stopped too. */
  refresh(): Promise<BackendState>;
  /**
   * Tells the monitor how long the last prompt to `model` was (an estimate is
   * fine). It warns once when the loaded context cannot hold it, and re-reads
   * /api/ps on the next check because the call may have loaded the model.
   */
  notePromptTokens(model: string, tokens: number): void;
  /**
   * Re-reads the loaded models on every check, not only after a call: warm
   * start learns from them when another client used or reloaded the model.
   */
  followLoadedModels(on: boolean): void;
}

const INITIAL_STATE: BackendState = Object.freeze({ status: 'unknown', models: [], loaded: [], lastCheckedAt: null });


export function createBackendMonitor(options: BackendMonitorOptions): BackendMonitor {
  return new Monitor(options);
}

const KNOWN_ENGINES = 'Ollama, llama-server, LM Studio, vLLM, SGLang or a known router';

class Monitor extends EventEmitter<BackendMonitorEvents> implements BackendMonitor {
  readonly #target: string;
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  readonly #upIntervalMs: number;
  readonly #minDownIntervalMs: number;
  readonly #maxDownIntervalMs: number;
  readonly #requestTimeoutMs: number;
  readonly #headers: Readonly<Record<string, string>> | undefined;
  /** Set when --backend named the engine. */
  readonly #named: BackendProfile | null;
  readonly #routerFlavour: RouterFlavour | undefined;
  /** The named profile, or the one detection found last. */
  #profile: BackendProfile | null;

  #state: BackendState = INITIAL_STATE;
  #running = false;
  #timer: TimerHandle | null = null;
  #inFlight: AbortController | null = null;
  #currentCheck: Promise<void> | null = null;
  #failures = 0;
  #listsWanted = false;
  #followLoaded = false;
  #lastPrompt: { readonly model: string; readonly tokens: number } | null = null;
  /** The model@context last warned about, so one problem yields one warning. */
  #warnedAbout: string | null = null;
  readonly #modelFacts = new ModelFacts();

  constructor(options: BackendMonitorOptions) {
    super();
    this.#target = options.target;
    this.#fetch = options.fetch;
    this.#clock = options.clock;
    this.#upIntervalMs = options.upIntervalMs ?? 5000;
    this.#minDownIntervalMs = options.minDownIntervalMs ?? 1000;
    this.#maxDownIntervalMs = options.maxDownIntervalMs ?? 30_000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 3000;
    this.#headers = options.headers;
    const choice = options.backend ?? 'auto';
    this.#named = choice === 'auto' ? null : PROFILES[choice];
    this.#profile = this.#named;
    this.#routerFlavour = options.routerFlavour;
  }

  get profile(): BackendProfile | null {
    return this.#profile;
  }

  get state(): BackendState {
    return this.#state;
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    // A refresh() already in flight schedules the next check when it lands.
    if (!this.#currentCheck) void this.#runCheck();
  }

  stop(): void {
    this.#running = false;
    this.#clearTimer();
    this.#inFlight?.abort();
  }

  followLoadedModels(on: boolean): void {
    this.#followLoaded = on;
  }

  async refresh(): Promise<BackendState> {
    this.#listsWanted = true;
    while (this.#currentCheck) await this.#currentCheck;
    // The check we waited for may already have read the lists after this call asked.
    if (this.#listsWanted) await this.#runCheck();
    return this.#state;
  }

  notePromptTokens(model: string, tokens: number): void {
    this.#lastPrompt = { model, tokens };
    this.#listsWanted = true;
    this.#checkContext();
  }

  #runCheck(): Promise<void> {
    this.#clearTimer();
    const check: Promise<void> = this.#check().then((next) => {
      if (this.#currentCheck === check) this.#currentCheck = null;
      if (next) this.#apply(next);
      // stop() then start() while this check was in flight: it was aborted, so begin anew.
      else if (this.#running && this.#currentCheck === null && this.#timer === null) void this.#runCheck();
    });
    this.#currentCheck = check;
    return check;
  }

  /** The next state, or null when the check was aborted by stop(). */
  async #check(): Promise<BackendState | null> {
    const controller = new AbortController();
    this.#inFlight = controller;
    const previous = this.#state;
    /** Why the target's last answer was not what was asked for (an error status, not JSON). */
    let lastAnswer: string | undefined;
    const get: GetJson = (path, body) =>
      requestJson(this.#fetch, this.#clock, this.#target, path, {
        timeoutMs: this.#requestTimeoutMs, signal: controller.signal, ...(this.#headers ? { headers: this.#headers } : {}),
        ...(body === undefined ? {} : { method: 'POST' as const, body }),
      }).catch((err: unknown) => {
        if (err instanceof BackendRequestError && err.reachable) lastAnswer = err.message;
        throw err;
      });
    try {
      const found = await this.#identify(get);
      if (!found) {
        if (this.#named) {
          // Named but not answering like it: as unusable as down, and said so.
          const why = lastAnswer === undefined ? '' : ` (${lastAnswer})`;
          return { ...this.#namedFields(), status: 'down', unexpected: true, models: [], loaded: [], lastCheckedAt: this.#now(),
            error: `${this.#target} answers, but not as ${this.#named.label} does${why}` };
        }
        return { status: 'up', kind: 'unknown', models: [], loaded: [], lastCheckedAt: this.#now(),
          error: `${this.#target} answers over HTTP, but not as ${KNOWN_ENGINES} would` };
      }
      const { profile, identity } = found;
      const head: BackendState = compact({
        status: 'up' as const, kind: profile.kind, flavour: this.#named ? this.#routerFlavour ?? identity.flavour : identity.flavour,
        forced: this.#named ? true : undefined, version: identity.version, models: [], loaded: [], lastCheckedAt: this.#now(),
      });
      const sameEngine = previous.kind === head.kind && previous.flavour === head.flavour && previous.version === head.version;
      const wantLists = previous.status !== 'up' || !sameEngine || this.#listsWanted || this.#followLoaded || this.#aLoadedModelExpired();
      if (!wantLists) return { ...previous, lastCheckedAt: head.lastCheckedAt };
      this.#listsWanted = false;
      try {
        const facts = await profile.read(get, identity);
        const { models, loaded } = await this.#modelFacts.annotate(profile, get, facts.models, facts.loaded);
        return compact({ ...head, models, loaded, slots: facts.slots });
      } catch (err) {
        if (controller.signal.aborted) return null;
        // Up but the lists failed: keep what we knew of this engine and read them again next time.
        this.#listsWanted = true;
        const kept = previous.status === 'up' && sameEngine ? previous : head;
        return compact({ ...head, models: kept.models, loaded: kept.loaded, slots: kept.slots, error: errorMessage(err) });
      }
    } catch (err) {
      if (controller.signal.aborted) return null;
      return { ...this.#namedFields(), status: 'down', models: [], loaded: [], error: errorMessage(err), lastCheckedAt: this.#now() };
    } finally {
      if (this.#inFlight === controller) this.#inFlight = null;
    }
  }

  /** What --backend (and --router) said, which holds even while the target is down. */
  #namedFields(): Pick<BackendState, 'kind' | 'forced' | 'flavour'> {
    if (!this.#named) return {};
    return compact({ kind: this.#named.kind, forced: true, flavour: this.#routerFlavour });
  }

  /**
   * The engine's own cheap check while it keeps matching; full detection when
   * it stops (another engine took the port) or nothing was known yet. A named
   * engine is only ever checked as itself.
   */
  async #identify(get: GetJson): Promise<Detected | null> {
    const current = this.#profile;
    if (current) {
      const identity = await current.identify(get) ?? (this.#named ? await current.acceptNamed?.(get) ?? null : null);
      if (identity) return { profile: current, identity };
      if (this.#named) return null;
    }
    const detected = await detectBackend(get);
    this.#profile = detected?.profile ?? null;
    return detected;
  }

  /** Ollama unloads idle models without telling anyone; re-read its lists once one is due. */
  #aLoadedModelExpired(): boolean {
    const now = this.#clock.now();
    return this.#state.loaded.some((m) => m.expiresAt !== undefined && m.expiresAt.getTime() <= now);
  }

  #apply(next: BackendState): void {
    const previous = this.#state;
    this.#state = Object.freeze(next);
    this.#failures = next.status === 'up' ? 0 : this.#failures + 1;
    // Schedule before telling anyone, so a listener that throws cannot stop the loop.
    if (this.#running) {
      const delay = next.status === 'up'
        ? this.#upIntervalMs
        : backoffDelay(this.#failures, this.#minDownIntervalMs, this.#maxDownIntervalMs);
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = null;
        void this.#runCheck();
      }, delay);
    }
    if (next.status !== previous.status) this.emit(next.status === 'up' ? 'up' : 'down', next);
    if (restarted(previous, next)) this.emit('restarted', next);
    if (visible(next) !== visible(previous)) this.emit('changed', next);
    this.#checkContext();
    this.emit('checked', next);
  }

  #checkContext(): void {
    const shortfall = this.#lastPrompt && contextShortfall(this.#state, this.#lastPrompt.model, this.#lastPrompt.tokens);
    // Keyed by the model the calls name, as the call's own notice is, so one problem is told once.
    const key = shortfall && this.#lastPrompt ? overflowKey(this.#lastPrompt.model, shortfall.contextLength) : null;
    const isNew = key !== null && key !== this.#warnedAbout;
    this.#warnedAbout = key;
    const profile = this.#profile ?? PROFILES.ollama;
    if (isNew && shortfall && key) this.emit('warning', overflowMessage(shortfall, profile, profile.knobs.context), key);
  }

  #clearTimer(): void {
    if (this.#timer === null) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #now(): Date {
    return new Date(this.#clock.now());
  }
}

/**
 * Whether the backend answering now is not the one that answered before: back
 * after being down, or another version or engine (an upgrade restarts it).
 * Either way, nothing it cached is left.
 */
function restarted(previous: BackendState, next: BackendState): boolean {
  if (next.status !== 'up' || previous.lastCheckedAt === null) return false;
  return previous.status === 'down' || previous.version !== next.version || previous.kind !== next.kind;
}

/** Everything but the check time: what decides whether the tray must redraw. */
function visible(state: BackendState): string {
  return JSON.stringify({ ...state, lastCheckedAt: undefined });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
