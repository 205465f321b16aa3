// One runner per model name, as Ollama keeps each model in a runner of its own
// with its own KV cache: a call for model B never evicts model A's slots. The
// weights are loaded once and shared; each runner is a llama.cpp context of its
// own (N sequences), created on first use. As Ollama, at most `maxLoaded`
// runners stay (OLLAMA_MAX_LOADED_MODELS, 3 on a CPU); the least recently used
// one is unloaded to make room. All runners take turns on the one CPU.
import type { LlamaModel, Token } from './llama.js';
import { Serial, SlotEngine } from './slots.js';

export interface RunnerOptions {
  readonly slots: number;
  /** Tokens each runner's context holds. */
  readonly contextSize: number;
  readonly threads: number;
  readonly maxLoaded?: number;
  /** Ollama's keep_alive: how long /api/ps says a runner stays (default 5 minutes). */
  readonly keepAliveMs?: number;
}

export interface LoadedRunner {
  readonly name: string;
  readonly contextSize: number;
  readonly expiresAt: Date;
}

interface Runner {
  readonly engine: Promise<SlotEngine>;
  used: number;
  lastMs: number;
}

export class Runners {
  private readonly runners = new Map<string, Runner>();
  private readonly serial = new Serial();
  private clock = 0;

  constructor(private readonly model: LlamaModel, private readonly options: RunnerOptions) {}

  tokenize(text: string): Token[] {
    return this.model.tokenize(text, false);
  }

  /** The runner serving `name`, loaded now if it is not. */
  async get(name: string): Promise<SlotEngine> {
    let runner = this.runners.get(name);
    if (runner === undefined) {
      await this.makeRoom();
      runner = { engine: this.open(), used: 0, lastMs: 0 };
      this.runners.set(name, runner);
    }
    runner.used = ++this.clock;
    runner.lastMs = Date.now();
    return runner.engine;
  }

  /** The runners loaded now, as /api/ps lists them, most recently used first. */
  loaded(): LoadedRunner[] {
    const keepAlive = this.options.keepAliveMs ?? 5 * 60_000;
    return [...this.runners.entries()]
      .sort(([, a], [, b]) => b.used - a.used)
      .map(([name, r]) => ({ name, contextSize: this.options.contextSize, expiresAt: new Date(r.lastMs + keepAlive) }));
  }

  /**
   * Unloads the runner serving `name`, as Ollama does once its keep-alive
   * expires: its KV cache goes with it, and its next call loads it afresh.
   * False when no runner serves that name.
   */
  async unload(name: string): Promise<boolean> {
    const runner = this.runners.get(name);
    if (runner === undefined) return false;
    this.runners.delete(name);
    const engine = await runner.engine;
    await this.serial.run(() => engine.dispose());
    return true;
  }

  async dispose(): Promise<void> {
    const all = [...this.runners.values()];
    this.runners.clear();
    for (const r of all) await (await r.engine).dispose();
  }

  private async open(): Promise<SlotEngine> {
    const { slots, contextSize, threads } = this.options;
    // Flash attention, as Ollama turns on where the model allows: a 17K-token cold prefill on the
    // test model takes 2.5 s with it and 10 s without (attention dominates a tiny model's prefill).
    // It changes no cache figure.
    const context = await this.model.createContext({ contextSize, sequences: slots, threads, batchSize: 512, flashAttention: true });
    return new SlotEngine(this.model, context, slots, this.serial);
  }

  private async makeRoom(): Promise<void> {
    const max = this.options.maxLoaded ?? 3;
    while (this.runners.size >= max) {
      const [name, oldest] = [...this.runners.entries()].reduce((a, b) => (b[1].used < a[1].used ? b : a));
      this.runners.delete(name);
      // Its calls still queued finish first: unloading waits for the CPU's turn.
      const engine = await oldest.engine;
      await this.serial.run(() => engine.dispose());
    }
  }
}
