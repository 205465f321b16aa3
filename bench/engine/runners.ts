// Runners keyed by weights file, as Ollama's scheduler keys them
// (server/sched.go schedulerModelKey: `s.loaded[ModelPath]`): two model names
// for one file (an `ollama cp` alias) share one runner and its KV cache; a
// name for another file gets a runner of its own, which costs that file's
// memory and a context of its own. Each runner is a llama.cpp context (N
// sequences), created on first use. As Ollama, at most `maxLoaded` runners
// stay (OLLAMA_MAX_LOADED_MODELS, 3 on a CPU); the least recently used one is
// unloaded to make room. All runners take turns on the one CPU.
// Each runner has its own prompt cache in RAM (llama-server's `--cache-ram`,
// per process: one per weights file), its state files in a temporary
// directory that goes with the runner. A runner of an architecture Ollama
// forces to one slot gets one, whatever `slots` says.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CheckpointRule } from '../../main/core/diagnostics/checkpoints.js';
import { CACHE_RAM_MIB, defaultLimits } from '../../main/core/diagnostics/prompt-cache.js';
import type { LlamaModel } from './llama.js';
import { PROMPT_BATCH, Serial, SlotEngine } from './slots.js';

export interface RunnerOptions {
  readonly slots: number;
  /** Tokens each runner's context holds. */
  readonly contextSize: number;
  readonly threads: number;
  readonly maxLoaded?: number;
  /** Ollama's keep_alive: how long /api/ps says a runner stays (default 5 minutes). */
  readonly keepAliveMs?: number;
  /**
   * llama-server's `--cache-ram` in MiB: the host-memory prompt cache of each
   * runner (default 8,192, as Ollama 0.30+ leaves it); 0 turns it off, as
   * Ollama before 0.30 had none.
   */
  readonly cacheRamMib?: number;
}

/** What a runner serves: the weights file (its key) and how its cache can be reused. */
export interface RunnerFile {
  /** The weights file; names with the same key share the runner. */
  readonly key: string;
  readonly load: () => Promise<LlamaModel>;
  readonly checkpoints: CheckpointRule | null;
  /** Ollama forces one slot on this architecture (backends/renderer.ts forcesOneSlot). */
  readonly oneSlot?: boolean;
}

export interface LoadedRunner {
  /** The model name that loaded the runner, as /api/ps lists it. */
  readonly name: string;
  readonly key: string;
  readonly contextSize: number;
  readonly expiresAt: Date;
}

interface Runner {
  readonly name: string;
  readonly engine: Promise<SlotEngine>;
  used: number;
  lastMs: number;
}

export class Runners {
  private readonly runners = new Map<string, Runner>();
  private readonly serial = new Serial();
  private clock = 0;

  constructor(private readonly options: RunnerOptions) {}

  /** The runner serving `file` for model `name`, loaded now if it is not. */
  async get(file: RunnerFile, name: string): Promise<SlotEngine> {
    let runner = this.runners.get(file.key);
    if (runner === undefined) {
      await this.makeRoom();
      runner = { name, engine: this.open(file), used: 0, lastMs: 0 };
      this.runners.set(file.key, runner);
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
      .map(([key, r]) => ({ name: r.name, key, contextSize: this.options.contextSize, expiresAt: new Date(r.lastMs + keepAlive) }));
  }

  /**
   * Unloads the runner of weights file `key`, as Ollama does once its
   * keep-alive expires: its KV cache goes with it, and its next call loads it
   * afresh. False when no runner is loaded for that file.
   */
  async unload(key: string): Promise<boolean> {
    const runner = this.runners.get(key);
    if (runner === undefined) return false;
    this.runners.delete(key);
    const engine = await runner.engine;
    await this.serial.run(() => engine.dispose());
    return true;
  }

  async dispose(): Promise<void> {
    const all = [...this.runners.values()];
    this.runners.clear();
    for (const r of all) await (await r.engine).dispose();
  }

  private async open(file: RunnerFile): Promise<SlotEngine> {
    const { contextSize, threads } = this.options;
    const slots = file.oneSlot === true ? 1 : this.options.slots;
    const model = await file.load();
    // Flash attention, as Ollama turns on where the model allows: a 17K-token cold prefill on the
    // test model takes 2.5 s with it and 10 s without (attention dominates a tiny model's prefill).
    // It changes no cache figure.
    const context = await model.createContext({ contextSize, sequences: slots, threads, batchSize: PROMPT_BATCH, flashAttention: true });
    const mib = this.options.cacheRamMib ?? CACHE_RAM_MIB;
    const cache = mib > 0 ? { limits: defaultLimits(contextSize, mib), dir: mkdtempSync(path.join(os.tmpdir(), 'llm-cache-engine-')) } : null;
    return new SlotEngine(model, context, slots, this.serial, file.checkpoints, cache);
  }

  private async makeRoom(): Promise<void> {
    const max = this.options.maxLoaded ?? 3;
    while (this.runners.size >= max) {
      const [key, oldest] = [...this.runners.entries()].reduce((a, b) => (b[1].used < a[1].used ? b : a));
      this.runners.delete(key);
      // Its calls still queued finish first: unloading waits for the CPU's turn.
      const engine = await oldest.engine;
      await this.serial.run(() => engine.dispose());
    }
  }
}
