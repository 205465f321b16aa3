// Keeps the chosen model in memory, and with it the KV cache, by asking Ollama
// to load it with a long keep_alive: POST /api/generate with a model and no
// prompt loads the model and answers at once (Ollama's API docs, "Load a model").
//
// Why renew long before the period ends: every request that carries no
// keep_alive (which includes all of Claude Code's /v1/messages calls) resets the
// model's timer to Ollama's default of 5 minutes. Renewing within that default
// restores the long period soon after each call.
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from './clock.js';
import type { KeepAliveEvents, KeepAliveState } from './types.js';
import { requestJson } from './http.js';
import { backoffDelay, parseKeepAlive } from './timing.js';

export interface KeepAliveOptions {
  /** Ollama's base URL, e.g. http://127.0.0.1:11434. */
  readonly target: string;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  /** The model to keep loaded; changeable later with setModel(). */
  readonly model: string;
  /** Sent as Ollama's keep_alive: a duration ("60m", "2h") or seconds; negative keeps it forever. Not 0 (that unloads). */
  readonly keepAlive?: string | number;
  /** Renew at least this often; below Ollama's default keep-alive (5 min) so other clients' calls cannot shorten it for long. */
  readonly maxRenewIntervalMs?: number;
  /** First retry delay after a failure; doubles up to maxRetryMs. */
  readonly minRetryMs?: number;
  readonly maxRetryMs?: number;
  /** Loading a large model from disk can take minutes. */
  readonly requestTimeoutMs?: number;
}

export interface KeepAlive extends EventEmitter<KeepAliveEvents> {
  readonly state: KeepAliveState;
  /** Enabling loads the model now and keeps renewing; disabling only stops renewing (the model is not unloaded). */
  setEnabled(enabled: boolean): void;
  /** Switches the kept model; while enabled the new one is loaded at once. */
  setModel(model: string): void;
  /** Renews now, e.g. when Ollama comes back up; a no-op while disabled. */
  renew(): Promise<KeepAliveState>;
}

/** Fraction of the keep-alive period after which it is renewed. */
const RENEW_AT = 0.8;

export function createKeepAlive(options: KeepAliveOptions): KeepAlive {
  return new ModelKeepAlive(options);
}

class ModelKeepAlive extends EventEmitter<KeepAliveEvents> implements KeepAlive {
  readonly #target: string;
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  readonly #keepAlive: string | number;
  readonly #periodMs: number;
  readonly #renewEveryMs: number;
  readonly #minRetryMs: number;
  readonly #maxRetryMs: number;
  readonly #requestTimeoutMs: number;

  #state: KeepAliveState;
  #timer: TimerHandle | null = null;
  #inFlight: { controller: AbortController; done: Promise<KeepAliveState> } | null = null;
  #failures = 0;

  constructor(options: KeepAliveOptions) {
    super();
    this.#keepAlive = options.keepAlive ?? '60m';
    this.#periodMs = parseKeepAlive(this.#keepAlive);
    if (this.#periodMs === 0) throw new RangeError('keep_alive 0 would unload the model; choose a duration such as "60m"');
    this.#target = options.target;
    this.#fetch = options.fetch;
    this.#clock = options.clock;
    this.#renewEveryMs = Math.min(this.#periodMs * RENEW_AT, options.maxRenewIntervalMs ?? 4 * 60_000);
    this.#minRetryMs = options.minRetryMs ?? 1000;
    this.#maxRetryMs = options.maxRetryMs ?? 30_000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 5 * 60_000;
    this.#state = Object.freeze({ enabled: false, model: options.model, expiresAt: null });
  }

  get state(): KeepAliveState {
    return this.#state;
  }

  setEnabled(enabled: boolean): void {
    if (enabled === this.#state.enabled) return;
    this.#cancel();
    this.#set({ enabled, model: this.#state.model, expiresAt: null }, 'changed');
    if (enabled) void this.renew();
  }

  setModel(model: string): void {
    if (model === this.#state.model) return;
    this.#cancel();
    this.#set({ enabled: this.#state.enabled, model, expiresAt: null }, 'changed');
    if (this.#state.enabled) void this.renew();
  }

  renew(): Promise<KeepAliveState> {
    if (!this.#state.enabled) return Promise.resolve(this.#state);
    if (this.#inFlight) return this.#inFlight.done;
    this.#clearTimer();
    if (!this.#state.model) {
      // Nothing to load or retry until setModel() is called.
      this.#set({ ...this.#state, error: 'No model chosen to keep loaded' }, 'failed');
      return Promise.resolve(this.#state);
    }
    const controller = new AbortController();
    // #load awaits before it reads #inFlight back, so this assignment always comes first.
    this.#inFlight = { controller, done: this.#load(this.#state.model, controller) };
    return this.#inFlight.done;
  }

  async #load(model: string, controller: AbortController): Promise<KeepAliveState> {
    let error: string | undefined;
    try {
      await requestJson(this.#fetch, this.#clock, this.#target, '/api/generate', {
        method: 'POST',
        body: { model, keep_alive: this.#keepAlive },
        timeoutMs: this.#requestTimeoutMs,
        signal: controller.signal,
      });
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    if (controller.signal.aborted) return this.#state;
    this.#inFlight = null;
    if (error === undefined) {
      this.#failures = 0;
      const expiresAt = Number.isFinite(this.#periodMs) ? new Date(this.#clock.now() + this.#periodMs) : null;
      this.#schedule(this.#renewEveryMs);
      this.#set({ enabled: true, model, expiresAt }, 'renewed');
    } else {
      this.#failures += 1;
      this.#schedule(backoffDelay(this.#failures, this.#minRetryMs, this.#maxRetryMs));
      // The previous load may still hold, so its expiry stays.
      this.#set({ enabled: true, model, expiresAt: this.#state.expiresAt, error }, 'failed');
    }
    return this.#state;
  }

  #set(state: KeepAliveState, event: 'renewed' | 'failed' | 'changed'): void {
    this.#state = Object.freeze(state);
    if (event !== 'changed') this.emit(event, this.#state);
    this.emit('changed', this.#state);
  }

  #schedule(delayMs: number): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      void this.renew();
    }, delayMs);
  }

  #cancel(): void {
    this.#clearTimer();
    this.#inFlight?.controller.abort();
    this.#inFlight = null;
    this.#failures = 0;
  }

  #clearTimer(): void {
    if (this.#timer === null) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }
}
