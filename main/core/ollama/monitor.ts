// Watches the Ollama backend: a cheap GET /api/version every few seconds while
// it is up, the model lists only when something changed, and a growing pause
// between attempts while it is down. Nothing here throws out of the loop: every
// failure becomes state the tray can show.
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from './clock.js';
import type { OllamaMonitorEvents, OllamaState } from './types.js';
import type { PromptSize } from './context-warning.js';
import { contextShortfall, contextWarningMessage } from './context-warning.js';
import { requestJson } from './http.js';
import { parsePs, parseTags, parseVersion } from './parse.js';
import { backoffDelay } from './timing.js';

export interface OllamaMonitorOptions {
  /** Ollama's base URL, e.g. http://127.0.0.1:11434. */
  readonly target: string;
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

export interface OllamaMonitor extends EventEmitter<OllamaMonitorEvents> {
  readonly state: OllamaState;
  readonly running: boolean;
  /** Checks now, then keeps checking until stop(). Calling it again is harmless. */
  start(): void;
  /** Stops the loop and aborts a check in flight; the last state stays readable. */
  stop(): void;
  /** Checks now, model lists included (e.g. after a call loaded a model); works while stopped too. */
  refresh(): Promise<OllamaState>;
  /**
   * Tells the monitor how long the last prompt to `model` was (an estimate is
   * fine). It warns once when the loaded context cannot hold it, and re-reads
   * /api/ps on the next check because the call may have loaded the model.
   */
  notePromptTokens(model: string, tokens: number): void;
}

const INITIAL_STATE: OllamaState = Object.freeze({ status: 'unknown', models: [], loaded: [], lastCheckedAt: null });

export function createOllamaMonitor(options: OllamaMonitorOptions): OllamaMonitor {
  return new Monitor(options);
}

class Monitor extends EventEmitter<OllamaMonitorEvents> implements OllamaMonitor {
  readonly #target: string;
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  readonly #upIntervalMs: number;
  readonly #minDownIntervalMs: number;
  readonly #maxDownIntervalMs: number;
  readonly #requestTimeoutMs: number;

  #state: OllamaState = INITIAL_STATE;
  #running = false;
  #timer: TimerHandle | null = null;
  #inFlight: AbortController | null = null;
  #currentCheck: Promise<void> | null = null;
  #failures = 0;
  #listsWanted = false;
  #lastPrompt: PromptSize | null = null;
  /** The model@context last warned about, so one problem yields one warning. */
  #warnedAbout: string | null = null;

  constructor(options: OllamaMonitorOptions) {
    super();
    this.#target = options.target;
    this.#fetch = options.fetch;
    this.#clock = options.clock;
    this.#upIntervalMs = options.upIntervalMs ?? 5000;
    this.#minDownIntervalMs = options.minDownIntervalMs ?? 1000;
    this.#maxDownIntervalMs = options.maxDownIntervalMs ?? 30_000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 3000;
  }

  get state(): OllamaState {
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

  async refresh(): Promise<OllamaState> {
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
  async #check(): Promise<OllamaState | null> {
    const controller = new AbortController();
    this.#inFlight = controller;
    const previous = this.#state;
    const get = (path: string): Promise<unknown> =>
      requestJson(this.#fetch, this.#clock, this.#target, path, { timeoutMs: this.#requestTimeoutMs, signal: controller.signal });
    try {
      const version = parseVersion(await get('/api/version'));
      const wantLists = previous.status !== 'up' || previous.version !== version || this.#listsWanted || this.#aLoadedModelExpired();
      if (!wantLists) return { ...previous, lastCheckedAt: this.#now() };
      this.#listsWanted = false;
      try {
        const [tags, ps] = await Promise.all([get('/api/tags'), get('/api/ps')]);
        return { status: 'up', version, models: parseTags(tags), loaded: parsePs(ps), lastCheckedAt: this.#now() };
      } catch (err) {
        if (controller.signal.aborted) return null;
        // Up but the lists failed: keep what we knew and read them again next time.
        this.#listsWanted = true;
        const kept = previous.status === 'up' ? previous : INITIAL_STATE;
        return { status: 'up', version, models: kept.models, loaded: kept.loaded, error: errorMessage(err), lastCheckedAt: this.#now() };
      }
    } catch (err) {
      if (controller.signal.aborted) return null;
      return { status: 'down', models: [], loaded: [], error: errorMessage(err), lastCheckedAt: this.#now() };
    } finally {
      if (this.#inFlight === controller) this.#inFlight = null;
    }
  }

  /** Ollama unloads idle models without telling anyone; re-read /api/ps once one is due. */
  #aLoadedModelExpired(): boolean {
    const now = this.#clock.now();
    return this.#state.loaded.some((m) => m.expiresAt !== undefined && m.expiresAt.getTime() <= now);
  }

  #apply(next: OllamaState): void {
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
    if (visible(next) !== visible(previous)) this.emit('changed', next);
    this.#checkContext();
    this.emit('checked', next);
  }

  #checkContext(): void {
    const shortfall = this.#lastPrompt && contextShortfall(this.#state.loaded, this.#lastPrompt);
    const key = shortfall ? `${shortfall.model}@${shortfall.contextLength}` : null;
    const isNew = key !== null && key !== this.#warnedAbout;
    this.#warnedAbout = key;
    if (isNew && shortfall) this.emit('warning', contextWarningMessage(shortfall));
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

/** Everything but the check time: what decides whether the tray must redraw. */
function visible(state: OllamaState): string {
  return JSON.stringify({ ...state, lastCheckedAt: undefined });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
