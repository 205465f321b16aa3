// One loaded engine: our model of the given size, a runner (llama.cpp context
// with N sequences) per model name asked for, and its HTTP server.
import { statSync } from 'node:fs';
import { loadLlama, type Token } from './llama.js';
import { ensureModel, type ModelSize } from './model.js';
import { ollamaModelInfo } from './model-info.js';
import { startEngineServer, type EngineServer } from './server.js';
import { Runners } from './runners.js';

export interface EngineOptions {
  readonly size: ModelSize;
  readonly slots?: number;
  /** Tokens each runner's context holds (shared by its slots). */
  readonly contextSize?: number;
  /** Runners kept at once, one per model name (Ollama's OLLAMA_MAX_LOADED_MODELS; default 3). */
  readonly maxLoaded?: number;
  readonly host?: string;
  readonly port?: number;
  readonly maxTokens?: number;
  readonly threads?: number;
}

export interface RunningEngine extends EngineServer {
  readonly modelPath: string;
  readonly modelBytes: number;
  /** Milliseconds to load the model (each runner's context is created on its first call). */
  readonly loadMs: number;
  /** The model's tokenizer, as the engine uses it on rendered prompts. */
  tokenize(text: string): Token[];
  /** Unloads the runner serving a model name, as Ollama's keep-alive expiry does (runners.ts). */
  unload(name: string): Promise<boolean>;
}

export async function startEngine(options: EngineOptions): Promise<RunningEngine> {
  const modelPath = await ensureModel(options.size);
  const started = Date.now();
  const llama = await loadLlama();
  const model = await llama.loadModel({ modelPath });
  const runners = new Runners(model, {
    slots: options.slots ?? 1,
    contextSize: options.contextSize ?? 32768,
    threads: options.threads ?? 2,
    ...(options.maxLoaded === undefined ? {} : { maxLoaded: options.maxLoaded }),
  });
  const loadMs = Date.now() - started;
  const modelBytes = statSync(modelPath).size;
  const server = await startEngineServer({
    runners,
    modelName: `llm-cache-proxy-${options.size}:latest`,
    modelBytes,
    modelInfo: ollamaModelInfo(model.fileInfo.metadata),
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
  });
  return {
    url: server.url,
    port: server.port,
    calls: server.calls,
    tokenize: (text) => runners.tokenize(text),
    unload: (name) => runners.unload(name),
    modelPath,
    modelBytes,
    loadMs,
    close: async () => {
      await server.close();
      await runners.dispose();
      await model.dispose();
    },
  };
}
