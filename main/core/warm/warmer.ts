// Warm start, the stateful part: it remembers what Claude Code sent last for
// each model, notices from the proxy's calls and the monitor's looks when the
// backend has lost it, and re-sends it with one output token while the backend
// is idle, so that the user's next call (the next prompt, or a new session's
// first call, which shares the system prompt and tools) finds it cached.
//
// Never in the user's way: a user's call that starts while a warm-up runs
// aborts the warm-up at once; the backend keeps what it had already read.
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../backends/clock.js';
import { requestJson } from '../backends/http.js';
import type { BackendConnection } from '../backends/watch.js';
import { conversationWarmUp, prefixWarmUp, staticPrefixOf, type StaticPrefix } from './warm-body.js';
import { resolveWarmMode, type WarmContext } from './warm-mode.js';
import type { WarmMode, WarmSetting, WarmStatus, WarmTrigger, WarmUpRecord } from '../wire/types.js';
import { decideWarmUp, DEFAULT_WARM_LIMITS, type WarmLimits } from './warm-plan.js';
import type { WarmStore } from './warm-store.js';
import { triggerBetween, type LoadedEntry, type PsLook } from './warm-triggers.js';

export interface WarmerOptions {
  /** How to reach the backend (URL, the fetch that reaches it, a shared server's own auth); read at each warm-up. */
  readonly backend: () => BackendConnection;
  readonly clock: Clock;
  readonly store: WarmStore;
  readonly setting: WarmSetting;
  /** What the backend is and how the proxy is reached, read whenever `auto` is resolved. */
  readonly context: () => WarmContext;
  /** Whether two model names mean one model (tags, `:latest`). */
  readonly sameModel: (a: string, b: string) => boolean;
  /** True on battery, false on mains, null where the platform does not tell. */
  readonly onBattery?: () => boolean | null;
  readonly limits?: WarmLimits;
  /** Give up a warm-up after this long: re-reading a long prompt on a laptop takes minutes. */
  readonly timeoutMs?: number;
}

/** A call through the proxy, as the warmer needs to know it once it ended. */
export interface EndedCall {
  readonly model: string | null;
  /** Main conversation (a main agent's call), as opposed to a side call or a subagent's. */
  readonly main: boolean;
  /** The backend answered, so it read the prompt into its cache. */
  readonly answered: boolean;
  /** The body as forwarded, parsed on demand (only the last main call per model is ever parsed). */
  readonly body: () => unknown;
  /**
   * A side call or a subagent's after which the backend still holds the main
   * conversation (its prompt cache saved it: Ollama 0.30+, llama-server), as the
   * diagnostics estimate; absent where they cannot tell.
   */
  readonly keepsMain?: boolean;
}

export interface WarmerEvents {
  'warm-up': [record: WarmUpRecord];
  /** A warm-up finished: the backend's cache now holds the prompt of this body (its JSON, for the proxies' estimates). */
  warmed: [json: string];
}

interface ModelMemory {
  readonly model: string;
  /** The last main call's forwarded body, parsed on demand. */
  lastBody: (() => unknown) | null;
  /** Whether `prefix` (and its file) already follow `lastBody`. */
  prefixSaved: boolean;
  prefix: StaticPrefix | null;
  pending: WarmTrigger | null;
  usedAt: number;
  /** When a request of ours to this model last started or ended, and what that was at the monitor's last look. */
  lastOwn: number | null;
  lastOwnAtLook: number | null;
  /**
   * A keep-alive renewal since the last look: it sets the expiry with its own,
   * longer keep-alive, so that span says nothing about other clients.
   */
  renewedSinceLook: boolean;
}

/** Models remembered at once; the least recently used goes first. */
const MAX_MODELS = 4;
/**
 * How long a client's start-up request lets a warm-up load the model: the
 * first prompt is typed within seconds, and a warm-up held back by the gap
 * between warm-ups still starts within this.
 */
const CLIENT_START_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 10 * 60_000;

export class Warmer extends EventEmitter<WarmerEvents> {
  readonly #options: WarmerOptions;
  readonly #limits: WarmLimits;
  readonly #models = new Map<string, ModelMemory>();
  #setting: WarmSetting;
  #look: PsLook | null = null;
  #backendUp = false;
  #callsInFlight = 0;
  #lastActivityAt: number | null = null;
  #lastWarmUpAt: number | null = null;
  #clientStartAt: number | null = null;
  #running: { record: WarmUpRecord; controller: AbortController; started: number } | null = null;
  #last: WarmUpRecord | null = null;
  #count = 0;
  #timer: TimerHandle | null = null;
  #stopped = false;

  constructor(options: WarmerOptions) {
    super();
    this.#options = options;
    this.#limits = options.limits ?? DEFAULT_WARM_LIMITS;
    this.#setting = options.setting;
  }

  /** Loads the prefix remembered by an earlier run; with one, the backend may be warmed before anyone asks. */
  async start(): Promise<void> {
    const prefix = await this.#options.store.load();
    if (prefix === null || this.#stopped) return;
    const memory = this.#memoryFor(prefix.model);
    memory.prefix = prefix;
    memory.pending ??= 'start';
    this.#evaluate();
  }

  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
    this.#running?.controller.abort();
  }

  get mode(): WarmMode {
    return resolveWarmMode(this.#setting, this.#options.context());
  }

  setSetting(setting: WarmSetting): void {
    this.#setting = setting;
    if (this.mode === 'off') this.#running?.controller.abort();
    this.#evaluate();
  }

  status(): WarmStatus {
    const waiting = [...this.#models.values()].sort((a, b) => b.usedAt - a.usedAt).find((m) => m.pending !== null)?.pending ?? null;
    return { setting: this.#setting, mode: this.mode, waiting, running: this.#running?.record ?? null, last: this.#last, count: this.#count };
  }

  /** A user's call is being forwarded: nothing of ours may stand in its way. */
  callStarted(model: string | null): void {
    this.#callsInFlight++;
    this.#activity(model);
    this.#running?.controller.abort(new WarmUpCancelled());
    this.#clearTimer();
  }

  /** The call's answer ended (or it failed); its record may follow with callAnswered(). */
  callFinished(model: string | null): void {
    this.#callsInFlight = Math.max(0, this.#callsInFlight - 1);
    this.#activity(model);
    this.#evaluate();
  }

  /** A finished call's record: what the backend's slot holds now. */
  callAnswered(call: EndedCall): void {
    if (call.model === null || !call.answered) return;
    if (call.main) this.#rememberMain(call.model, call);
    // Where the backend's prompt cache kept the conversation, its next call loads it back: no loss to repair.
    else if (call.keepsMain !== true) this.#otherCall(call.model);
    this.#evaluate();
  }

  /** A keep-alive renewal of ours reached the backend: it moves the model's expiry by a keep-alive of its own. */
  ownRequest(model: string): void {
    this.#activity(model);
    const memory = [...this.#models.values()].find((m) => this.#options.sameModel(m.model, model));
    if (memory !== undefined) memory.renewedSinceLook = true;
  }

  /**
   * A Claude Code client is starting: its user's first call comes once a
   * prompt is typed. Worth a warm-up only where the backend is not known to
   * hold the conversation's prompt: the model is not loaded (its keep-alive
   * ran out, the backend restarted), or a loss is still waiting.
   */
  clientStarting(): void {
    const memory = [...this.#models.values()].filter((m) => m.lastBody !== null || m.prefix !== null).sort((a, b) => b.usedAt - a.usedAt)[0];
    if (memory === undefined) return;
    const loaded = this.#look?.loaded.some((m) => this.#options.sameModel(m.name, memory.model)) ?? null;
    if (memory.pending === null && loaded !== false) return;
    memory.pending ??= 'client-start';
    this.#clientStartAt = this.#options.clock.now();
    this.#evaluate();
  }

  /** The monitor looked at the backend. */
  backendLooked(up: boolean, loaded: readonly LoadedEntry[]): void {
    this.#backendUp = up;
    if (!up) {
      this.#look = null;
      return;
    }
    const look: PsLook = { at: this.#options.clock.now(), loaded };
    for (const memory of this.#models.values()) {
      const own = { before: memory.lastOwnAtLook, after: memory.lastOwn };
      const trigger = memory.renewedSinceLook ? null : triggerBetween(this.#look, look, memory.model, this.#options.sameModel, own);
      if (trigger !== null && this.#running === null) memory.pending ??= trigger;
      memory.lastOwnAtLook = memory.lastOwn;
      memory.renewedSinceLook = false;
    }
    this.#look = look;
    this.#evaluate();
  }

  /** Forgets every remembered prompt, here and on disk (with the conversation data). */
  async forget(): Promise<void> {
    this.#running?.controller.abort(new WarmUpCancelled());
    this.#models.clear();
    await this.#options.store.clear();
  }

  #memoryFor(model: string): ModelMemory {
    const key = [...this.#models.keys()].find((k) => this.#options.sameModel(k, model)) ?? model;
    let memory = this.#models.get(key);
    if (memory === undefined) {
      memory = { model, lastBody: null, prefixSaved: true, prefix: null, pending: null, usedAt: 0, lastOwn: null, lastOwnAtLook: null, renewedSinceLook: false };
      this.#models.set(key, memory);
      if (this.#models.size > MAX_MODELS) {
        const oldest = [...this.#models.entries()].sort((a, b) => a[1].usedAt - b[1].usedAt)[0]!;
        this.#models.delete(oldest[0]);
      }
    }
    return memory;
  }

  #activity(model: string | null): void {
    const now = this.#options.clock.now();
    this.#lastActivityAt = now;
    if (model === null) return;
    const memory = [...this.#models.values()].find((m) => this.#options.sameModel(m.model, model));
    if (memory !== undefined) memory.lastOwn = now;
  }

  #rememberMain(model: string, call: EndedCall): void {
    const memory = this.#memoryFor(model);
    memory.lastBody = call.body;
    memory.usedAt = this.#options.clock.now();
    // The conversation itself just used the slot: whatever was lost is back.
    memory.pending = null;
    memory.prefixSaved = false;
    memory.lastOwn = this.#options.clock.now();
  }

  /** A side call or a subagent's (even one of the same session) put another prompt into the model's slot. */
  #otherCall(model: string): void {
    const memory = [...this.#models.values()].find((m) => this.#options.sameModel(m.model, model));
    if (memory !== undefined) memory.pending ??= 'other-call';
  }

  /**
   * Stores the static prefix of the model's last main call, if it changed. Run
   * when the backend is quiet: it parses a body that may be megabytes long.
   */
  #savePrefix(memory: ModelMemory): void {
    if (memory.prefixSaved || memory.lastBody === null) return;
    memory.prefixSaved = true;
    let prefix: StaticPrefix | null;
    try {
      prefix = staticPrefixOf(memory.lastBody());
    } catch {
      return;
    }
    if (prefix === null || (memory.prefix !== null && JSON.stringify(memory.prefix) === JSON.stringify(prefix))) return;
    memory.prefix = prefix;
    // The disk is a convenience for the next start: its failure costs only that.
    this.#options.store.save(prefix).catch(() => undefined);
  }

  #clearTimer(): void {
    if (this.#timer !== null) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** The most recently used model with something lost, if any. */
  #candidate(): ModelMemory | null {
    return [...this.#models.values()].filter((m) => m.pending !== null).sort((a, b) => b.usedAt - a.usedAt)[0] ?? null;
  }

  #evaluate(): void {
    if (this.#stopped) return;
    this.#clearTimer();
    const now = this.#options.clock.now();
    if (this.#callsInFlight === 0 && this.#running === null) {
      const quietAt = (this.#lastActivityAt ?? now) + this.#limits.quietMs;
      const unsaved = [...this.#models.values()].filter((m) => !m.prefixSaved);
      if (unsaved.length > 0 && quietAt > now) {
        this.#timer = this.#options.clock.setTimeout(() => this.#evaluate(), quietAt - now);
        return;
      }
      for (const m of unsaved) this.#savePrefix(m);
    }
    const memory = this.#candidate();
    if (memory === null) return;
    const loadedEntry = this.#look?.loaded.some((m) => this.#options.sameModel(m.name, memory.model));
    const decision = decideWarmUp({
      mode: this.mode,
      now,
      pending: memory.pending,
      remembered: memory.lastBody !== null || memory.prefix !== null,
      backendUp: this.#backendUp,
      modelLoaded: this.#look === null ? null : (loadedEntry ?? false),
      callsInFlight: this.#callsInFlight,
      warmUpInFlight: this.#running !== null,
      lastActivityAt: this.#lastActivityAt,
      lastWarmUpAt: this.#lastWarmUpAt,
      onBattery: this.#options.onBattery?.() ?? null,
      clientStarting: this.#clientStartAt !== null && now - this.#clientStartAt < CLIENT_START_MS,
    }, this.#limits);
    if (decision.action === 'later') this.#timer = this.#options.clock.setTimeout(() => this.#evaluate(), decision.at - now);
    else if (decision.action === 'warm') void this.#warm(memory, decision.trigger);
  }

  async #warm(memory: ModelMemory, trigger: WarmTrigger): Promise<void> {
    const body = this.#warmUpBody(memory);
    if (body === null) {
      memory.pending = null;
      return;
    }
    const started = this.#options.clock.now();
    const controller = new AbortController();
    const record: WarmUpRecord = {
      id: ++this.#count, model: memory.model, trigger, kind: body.kind, time: new Date(started).toISOString(),
      outcome: 'running', durationMs: null, promptTokens: null,
    };
    this.#running = { record, controller, started };
    this.#lastWarmUpAt = started;
    this.#activity(memory.model);
    this.emit('warm-up', record);
    let finished: WarmUpRecord;
    try {
      const backend = this.#options.backend();
      const answer = await requestJson(backend.fetch, this.#options.clock, backend.target, '/v1/messages', {
        method: 'POST',
        body: body.body,
        timeoutMs: this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        signal: controller.signal,
        headers: { 'anthropic-version': '2023-06-01', ...backend.headers },
      });
      memory.pending = null;
      finished = { ...record, outcome: 'done', durationMs: this.#options.clock.now() - started, promptTokens: promptTokensOf(answer) };
      this.emit('warmed', JSON.stringify(body.body));
    } catch (error) {
      const cancelled = controller.signal.aborted;
      finished = {
        ...record,
        outcome: cancelled ? 'cancelled' : 'failed',
        durationMs: this.#options.clock.now() - started,
        ...(cancelled ? {} : { error: error instanceof Error ? error.message : String(error) }),
      };
      // A failed warm-up is not retried for this loss: the next call or look decides anew.
      if (!cancelled) memory.pending = null;
    }
    this.#running = null;
    this.#last = finished;
    this.#activity(memory.model);
    this.emit('warm-up', finished);
    this.#evaluate();
  }

  #warmUpBody(memory: ModelMemory): { kind: WarmUpRecord['kind']; body: Record<string, unknown> } | null {
    if (memory.lastBody !== null) {
      try {
        const body = memory.lastBody();
        if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
          return { kind: 'conversation', body: conversationWarmUp(body as Record<string, unknown>) };
        }
      } catch {
        // fall back to the prefix
      }
    }
    return memory.prefix === null ? null : { kind: 'prefix', body: prefixWarmUp(memory.prefix) };
  }
}

/** Why a warm-up was aborted: a user's call came. */
export class WarmUpCancelled extends Error {
  override readonly name = 'WarmUpCancelled';
  constructor() {
    super('a call arrived');
  }
}

/** Anthropic's usage counts the prompt as input plus cache reads. */
function promptTokensOf(answer: unknown): number | null {
  const usage = (answer as { usage?: Record<string, unknown> } | null)?.usage;
  if (typeof usage !== 'object' || usage === null) return null;
  const input = typeof usage['input_tokens'] === 'number' ? usage['input_tokens'] : null;
  const read = typeof usage['cache_read_input_tokens'] === 'number' ? usage['cache_read_input_tokens'] : 0;
  return input === null ? null : input + read;
}
