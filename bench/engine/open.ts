// One loaded engine: our model of the given size, a llama.cpp context with N
// sequences, the slot engine over them, and its HTTP server.
import { statSync } from 'node:fs';
import { loadLlama, type Token } from './llama.js';
import { ensureModel, type ModelSize } from './model.js';
import { startEngineServer, type EngineServer } from './server.js';
import { SlotEngine } from './slots.js';

export interface EngineOptions {
  readonly size: ModelSize;
  readonly slots?: number;
  /** Tokens each slot can hold. */
  readonly contextSize?: number;
  readonly host?: string;
  readonly port?: number;
  readonly maxTokens?: number;
  readonly threads?: number;
}

export interface RunningEngine extends EngineServer {
  readonly modelPath: string;
  readonly modelBytes: number;
  /** Milliseconds to load the model and create the context. */
  readonly loadMs: number;
  /** The model's tokenizer, as the engine uses it on rendered prompts. */
  tokenize(text: string): Token[];
}

export async function startEngine(options: EngineOptions): Promise<RunningEngine> {
  const modelPath = await ensureModel(options.size);
  const started = Date.now();
  const llama = await loadLlama();
  const model = await llama.loadModel({ modelPath });
  const slots = options.slots ?? 1;
  const context = await model.createContext({
    contextSize: options.contextSize ?? 32768,
    sequences: slots,
    threads: options.threads ?? 2,
    batchSize: 512,
  });
  const loadMs = Date.now() - started;
  const modelBytes = statSync(modelPath).size;
  const engine = new SlotEngine(model, context, slots);
  const server = await startEngineServer({
    engine,
    modelName: `llm-cache-proxy-${options.size}:latest`,
    modelBytes,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
  });
  return {
    url: server.url,
    port: server.port,
    calls: server.calls,
    tokenize: (text) => engine.tokenize(text),
    modelPath,
    modelBytes,
    loadMs,
    close: async () => {
      await server.close();
      await context.dispose();
      await model.dispose();
    },
  };
}
