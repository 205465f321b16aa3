// One loaded engine: our generated models (one weights file per size and copy,
// loaded when a name first asks for it), a runner per weights file, and the
// Ollama-shaped HTTP server.
import { statSync } from 'node:fs';
import { resolveModel, type CatalogOptions, type ModelEntry, type ResolvedModel } from './catalog.js';
import type { DisconnectRule } from './disconnect.js';
import type { CheckpointEngine, FamilyName } from './families.js';
import { loadLlama, type LlamaModel, type Token } from './llama.js';
import { ensureHybridModel } from './hybrid-model.js';
import { ensureModel, type ModelSize } from './model.js';
import { ollamaModelInfo } from './model-info.js';
import { startEngineServer, type EngineServer } from './server.js';
import { Runners } from './runners.js';
import { forcesOneSlot } from '../../main/core/backends/renderer.js';
import { CACHE_RAM_MIB } from '../../main/core/diagnostics/prompt-cache.js';
import type { Overflow } from './truncate.js';

export interface EngineOptions {
  /** The default weights file: every name not in `models` runs on it. */
  readonly size: ModelSize;
  readonly slots?: number;
  /** Tokens each runner's context holds (shared by its slots). */
  readonly contextSize?: number;
  /** Runners kept at once, one per weights file (Ollama's OLLAMA_MAX_LOADED_MODELS; default 3). */
  readonly maxLoaded?: number;
  readonly host?: string;
  readonly port?: number;
  readonly maxTokens?: number;
  readonly threads?: number;
  /** The family of every name not in `models` (default: the one Ollama's library gives that name). */
  readonly family?: FamilyName;
  /** Model names and the weights file and family each names; names sharing size and copy are aliases. */
  readonly models?: Readonly<Record<string, ModelEntry>>;
  /** A prompt longer than the context: cut as Ollama does (default) or refused. */
  readonly overflow?: Overflow;
  /** Live-client mode: end every answer with end_turn after this many tokens. */
  readonly liveClient?: number;
  /**
   * Hybrid families (qwen3.5) run on a generated hybrid model whose recurrent
   * state really goes back to checkpoints, instead of the dense stand-in.
   */
  readonly hybrid?: boolean;
  /**
   * Hybrid families' checkpoint rule: `llama-server` (Ollama ≥ 0.30, the
   * default) or `go-engine` (Ollama 0.17.1–0.29's); /api/version answers
   * accordingly (catalog.ts engineVersion).
   */
  readonly checkpoints?: CheckpointEngine;
  /** When a client that left is noticed while its prompt is read (disconnect.ts; default: Ollama's). */
  readonly disconnect?: DisconnectRule;
  /**
   * llama-server's `--cache-ram` in MiB per runner (default 8,192, as Ollama
   * 0.30+ runs it; 0 with `checkpoints: 'go-engine'`); 0 for none, as Ollama
   * before 0.30.
   */
  readonly cacheRamMib?: number;
}

export interface RunningEngine extends EngineServer {
  /** The default weights file. */
  readonly modelPath: string;
  readonly modelBytes: number;
  /** Milliseconds to load the default model (each runner's context is created on its first call). */
  readonly loadMs: number;
  /** The default model's tokenizer, as the engine uses it on rendered prompts (every generated file shares it). */
  tokenize(text: string): Token[];
  /** Unloads the runner of a model name's weights file, as Ollama's keep-alive expiry does (runners.ts). */
  unload(name: string): Promise<boolean>;
}

/** Generated weights files, each loaded once and kept until the engine closes. */
class Weights {
  private readonly loaded = new Map<string, { readonly path: Promise<string>; readonly model: Promise<LlamaModel> }>();

  load(size: ModelSize, copy: number, hybrid = false): { readonly path: Promise<string>; readonly model: Promise<LlamaModel> } {
    const key = `${size}-${copy}${hybrid ? '-hybrid' : ''}`;
    let entry = this.loaded.get(key);
    if (entry === undefined) {
      const path = hybrid ? ensureHybridModel(size, copy) : ensureModel(size, copy);
      entry = { path, model: path.then(async (modelPath) => (await loadLlama()).loadModel({ modelPath })) };
      this.loaded.set(key, entry);
    }
    return entry;
  }

  async dispose(): Promise<void> {
    const all = [...this.loaded.values()];
    this.loaded.clear();
    for (const { model } of all) await (await model).dispose();
  }
}

/**
 * The prompt cache's size per runner: as asked, else llama-server's default,
 * except for an engine run as Ollama before 0.30 (the Go engine's
 * checkpoints), which had no llama-server and so no prompt cache.
 */
export function cacheRamMibOf(options: Pick<EngineOptions, 'cacheRamMib' | 'checkpoints'>): number {
  return options.cacheRamMib ?? (options.checkpoints === 'go-engine' ? 0 : CACHE_RAM_MIB);
}

export async function startEngine(options: EngineOptions): Promise<RunningEngine> {
  const started = Date.now();
  const weights = new Weights();
  const main = weights.load(options.size, 0);
  const modelPath = await main.path;
  const model = await main.model;
  const loadMs = Date.now() - started;
  const modelBytes = statSync(modelPath).size;
  const runners = new Runners({
    slots: options.slots ?? 1,
    contextSize: options.contextSize ?? 32768,
    threads: options.threads ?? 2,
    ...(options.maxLoaded === undefined ? {} : { maxLoaded: options.maxLoaded }),
    cacheRamMib: cacheRamMibOf(options),
  });
  const describe = async (m: ResolvedModel): Promise<{ bytes: number; modelInfo: Record<string, unknown> }> => {
    const file = weights.load(m.size, m.copy, m.hybrid);
    return { bytes: statSync(await file.path).size, modelInfo: ollamaModelInfo((await file.model).fileInfo.metadata) };
  };
  const catalog: CatalogOptions = {
    size: options.size,
    ...(options.family === undefined ? {} : { family: options.family }),
    ...(options.models === undefined ? {} : { models: options.models }),
    ...(options.hybrid === undefined ? {} : { hybrid: options.hybrid }),
    ...(options.checkpoints === undefined ? {} : { checkpoints: options.checkpoints }),
  };
  const server = await startEngineServer({
    runners,
    catalog,
    fileOf: (m) => ({ key: m.fileKey, load: () => weights.load(m.size, m.copy, m.hybrid).model, checkpoints: m.family.checkpoints, oneSlot: forcesOneSlot(m.family.architecture) }),
    describe,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
    ...(options.overflow === undefined ? {} : { overflow: options.overflow }),
    ...(options.liveClient === undefined ? {} : { liveClient: options.liveClient }),
    ...(options.disconnect === undefined ? {} : { disconnect: options.disconnect }),
  });
  return {
    url: server.url,
    port: server.port,
    calls: server.calls,
    tokenize: (text) => model.tokenize(text, false),
    unload: (name) => runners.unload(resolveModel(catalog, name).fileKey),
    modelPath,
    modelBytes,
    loadMs,
    close: async () => {
      await server.close();
      await runners.dispose();
      await weights.dispose();
    },
  };
}
