// An in-repo stand-in for Ollama, speaking the HTTP surface its source and
// docs describe: health endpoints, model listings, keep-alive loads, and an
// Anthropic-compatible /v1/messages that streams SSE with realistic pauses.
// Tests and the benchmark run the proxy against it over real sockets.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { sendGinNotFound, sendOllamaRunning, showRequestModel } from './ollama-http.js';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** True when the client aborted before the response ended. */
  aborted: boolean;
}

export interface StandinModel {
  name: string;
  parameterSize?: string;
  quantization?: string;
  contextLength?: number;
  /** What POST /api/show gives as model_info (GGUF keys); qwen3-coder:30b's by default. */
  modelInfo?: Record<string, unknown>;
  /**
   * The built-in renderer its config names (Ollama's model/renderers: `qwen3-coder`, `qwen3.5`, …), which
   * /api/show reports as a `RENDERER` line of the Modelfile; none: the template path.
   */
  renderer?: string;
}

/**
 * qwen3-coder:30b's model_info as `ollama show` reads it from the GGUF (a
 * mixture of experts: 128 experts, 8 routed per token; Ollama empties arrays
 * over 5 entries unless verbose).
 */
export const QWEN3_CODER_MODEL_INFO: Readonly<Record<string, unknown>> = {
  'general.architecture': 'qwen3moe',
  'general.basename': 'Qwen3-Coder',
  'general.file_type': 15,
  'general.parameter_count': 30532122624,
  'general.quantization_version': 2,
  'qwen3moe.attention.head_count': 32,
  'qwen3moe.attention.head_count_kv': 4,
  'qwen3moe.attention.key_length': 128,
  'qwen3moe.attention.layer_norm_rms_epsilon': 0.000001,
  'qwen3moe.attention.value_length': 128,
  'qwen3moe.block_count': 48,
  'qwen3moe.context_length': 262144,
  'qwen3moe.embedding_length': 2048,
  'qwen3moe.expert_count': 128,
  'qwen3moe.expert_feed_forward_length': 768,
  'qwen3moe.expert_used_count': 8,
  'qwen3moe.feed_forward_length': 6144,
  'qwen3moe.rope.freq_base': 10000000,
  'tokenizer.ggml.model': 'gpt2',
  'tokenizer.ggml.tokens': [],
  'tokenizer.ggml.merges': [],
  'tokenizer.ggml.token_type': [],
};

export interface StreamTiming {
  /** Pause before message_start, standing in for prompt prefill. */
  prefillMs: number;
  /** Pause between text deltas. */
  tokenDelayMs: number;
  /** Number of text deltas sent. */
  tokens: number;
}

/** The engine's own endpoints, answered instead of Ollama's; returns false for a path it does not serve. */
export type Surface = (rec: RecordedRequest, res: http.ServerResponse) => boolean;

export interface StandinOptions {
  port?: number;
  /** Serve HTTPS with this key and certificate (a team's shared server). */
  tls?: { key: string; cert: string };
  /** Another engine's native endpoints in place of Ollama's (see engine-standins.ts). */
  surface?: Surface;
  /** How the engine answers a path it does not serve (Ollama: Gin's plain 404). */
  notFound?: (rec: RecordedRequest, res: http.ServerResponse) => void;
  /** Usage reports cache_read_input_tokens, from the prefix this prompt shares with the last one (vLLM). */
  cacheUsage?: boolean;
  /** Serve /v1/messages/count_tokens (llama-server, vLLM, SGLang); Ollama answers 404. */
  countTokens?: boolean;
  /** False for a router that does not route the Anthropic endpoint (vLLM production-stack). */
  servesMessages?: boolean;
  /** Refuse a prompt of more tokens than this with llama-server's 400 (exceed_context_size_error). */
  refuseOverContext?: number;
  /**
   * Cut a prompt longer than the model's context_length to fit, as Ollama does
   * silently: usage then counts the prompt after the cut (its runner's
   * PromptEvalCount is the length of the truncated input).
   */
  truncateToContext?: boolean;
  version?: string;
  models?: StandinModel[];
  /** Models reported by /api/ps as loaded. */
  loaded?: string[];
  /** Answer POST /api/show only after this long (an engine reading many models' files). */
  showDelayMs?: number;
  timing?: Partial<StreamTiming>;
  /** Keep request bodies in `requests` (off in the benchmark to save memory). */
  record?: boolean;
  /** The answer's text for a request body, sent in `timing.tokens` deltas (default: "Hello world world…"). */
  answer?: (body: unknown) => string;
}

export interface OllamaStandin {
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  timing: StreamTiming;
  version: string;
  models: StandinModel[];
  loaded: Map<string, { expiresAt: Date }>;
  /** Requests whose response is still open (for abort tests). */
  readonly inFlight: Set<RecordedRequest>;
  /** Answer every /v1/messages call with this HTTP error until cleared. */
  failWith: { status: number; type: string; message: string } | null;
  /** Drop the connection right after the first text delta (a backend crash mid-stream). */
  crashMidStream: boolean;
  close(): Promise<void>;
  /** Resolves when a request has been recorded as aborted, or rejects after ms. */
  waitForAbort(ms: number): Promise<RecordedRequest>;
}

const DEFAULT_TIMING: StreamTiming = { prefillMs: 20, tokenDelayMs: 5, tokens: 8 };

/** Roughly what a tokenizer would count for the prompt: one token per 4 chars. */
export function estimateInputTokens(body: unknown): number {
  return Math.max(1, Math.round(JSON.stringify(body).length / 4));
}

/**
 * The share of `body`'s prompt that a one-slot backend could take from its
 * cache after processing `previous`: the common prefix of the two prompts as
 * Ollama lays them out (system text, then tools, then messages), over the
 * prompt's length. Deliberately simple and written apart from the proxy's own
 * rendering, so that tests can hold the proxy's reuse figure against it.
 */
export function prefixReuse(previous: unknown, body: unknown): number {
  const prompt = (value: unknown): string => {
    const { system, tools, messages } = value as { system?: unknown; tools?: unknown; messages?: unknown };
    const systemText = Array.isArray(system) ? system.map((block: { text?: string }) => block.text ?? '').join('') : String(system ?? '');
    return `${systemText}${JSON.stringify(tools ?? [])}${JSON.stringify(messages ?? [])}`;
  };
  const [before, after] = [prompt(previous), prompt(body)];
  let common = 0;
  while (common < before.length && common < after.length && before.charCodeAt(common) === after.charCodeAt(common)) common++;
  return common / after.length;
}

function sse(res: http.ServerResponse, type: string, data: object): void {
  res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** Gin (Ollama) answers unknown routes like this. */
function ginNotFound(_rec: RecordedRequest, res: http.ServerResponse): void {
  sendGinNotFound(res);
}

function sendError(res: http.ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ type: 'error', error: { type, message } }));
}

export async function startOllamaStandin(options: StandinOptions = {}): Promise<OllamaStandin> {
  const record = options.record ?? true;
  const abortWaiters: Array<(r: RecordedRequest) => void> = [];
  const state: Omit<OllamaStandin, 'url' | 'port' | 'close' | 'waitForAbort'> = {
    requests: [],
    inFlight: new Set(),
    timing: { ...DEFAULT_TIMING, ...options.timing },
    version: options.version ?? '0.12.6',
    models: options.models ?? [
      { name: 'qwen3-coder:30b', parameterSize: '30.5B', quantization: 'Q4_K_M', contextLength: 65536 },
      { name: 'gpt-oss:20b', parameterSize: '20.9B', quantization: 'MXFP4', contextLength: 131072 },
    ],
    loaded: new Map((options.loaded ?? []).map((name) => [name, { expiresAt: new Date(Date.now() + 5 * 60_000) }])),
    failWith: null,
    crashMidStream: false,
  };

  /** The answer in `tokens` pieces. */
  function answerDeltas(body: unknown): string[] {
    const { tokens } = state.timing;
    const text = options.answer?.(body);
    if (text === undefined) return Array.from({ length: tokens }, (_, i) => (i === 0 ? 'Hello' : ' world'));
    const size = Math.ceil(text.length / Math.max(1, tokens));
    return Array.from({ length: tokens }, (_, i) => text.slice(i * size, (i + 1) * size));
  }

  async function streamMessage(res: http.ServerResponse, model: string, usage: Record<string, number>, rec: RecordedRequest, body: unknown): Promise<void> {
    const { prefillMs, tokenDelayMs, tokens } = state.timing;
    const deltas = answerDeltas(body);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    await sleep(prefillMs);
    const id = `msg_${Math.random().toString(36).slice(2, 14)}`;
    sse(res, 'message_start', {
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 0 } },
    });
    sse(res, 'content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    for (let i = 0; i < tokens && !rec.aborted; i++) {
      await sleep(tokenDelayMs);
      sse(res, 'content_block_delta', { index: 0, delta: { type: 'text_delta', text: deltas[i] } });
      if (state.crashMidStream) return void res.socket?.destroy();
    }
    if (rec.aborted) return;
    sse(res, 'content_block_stop', { index: 0 });
    sse(res, 'message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { ...usage, output_tokens: tokens } });
    sse(res, 'message_stop', {});
    res.end();
  }

  function jsonMessage(res: http.ServerResponse, model: string, usage: Record<string, number>, body: unknown): void {
    const { tokens } = state.timing;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({
      id: `msg_${Math.random().toString(36).slice(2, 14)}`, type: 'message', role: 'assistant', model,
      content: [{ type: 'text', text: answerDeltas(body).join('') }],
      stop_reason: 'end_turn', stop_sequence: null, usage: { ...usage, output_tokens: tokens },
    }));
  }

  async function handleMessages(rec: RecordedRequest, res: http.ServerResponse): Promise<void> {
    if (state.failWith) return sendError(res, state.failWith.status, state.failWith.type, state.failWith.message);
    let body: { model?: unknown; stream?: unknown };
    try {
      body = JSON.parse(rec.body.toString('utf8')) as typeof body;
    } catch (err) {
      return sendError(res, 400, 'invalid_request_error', `invalid JSON: ${(err as Error).message}`);
    }
    const model = typeof body.model === 'string' ? body.model : '';
    if (!model) return sendError(res, 400, 'invalid_request_error', 'model is required');
    state.loaded.set(model, { expiresAt: new Date(Date.now() + 5 * 60_000) });
    const window = state.models.find((m) => m.name === model)?.contextLength;
    const promptTokens = options.truncateToContext && window !== undefined ? Math.min(window, estimateInputTokens(body)) : estimateInputTokens(body);
    const limit = options.refuseOverContext;
    if (limit !== undefined && promptTokens > limit) {
      res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' });
      return void res.end(JSON.stringify({ error: { code: 400, type: 'exceed_context_size_error', n_prompt_tokens: promptTokens, n_ctx: limit,
        message: 'the request exceeds the available context size, try increasing it' } }));
    }
    const usage = options.cacheUsage ? cachedUsage(body, promptTokens) : { input_tokens: promptTokens };
    if (body.stream === true) return streamMessage(res, model, usage, rec, body);
    await sleep(state.timing.prefillMs);
    return jsonMessage(res, model, usage, body);
  }

  /** The engine's prefix cache: tokens of this prompt its last prompt began with (4 characters a token). */
  let lastPrompt = '';
  function cachedUsage(body: unknown, promptTokens: number): Record<string, number> {
    const text = JSON.stringify({ ...(body as object), stream: undefined, max_tokens: undefined });
    let shared = 0;
    while (shared < text.length && shared < lastPrompt.length && text.charCodeAt(shared) === lastPrompt.charCodeAt(shared)) shared++;
    lastPrompt = text;
    const cached = Math.min(promptTokens, Math.floor(shared / 4));
    return { input_tokens: promptTokens - cached, cache_read_input_tokens: cached, cache_creation_input_tokens: 0 };
  }

  /** Ollama's native API answers errors as {"error": "..."}, unlike its Anthropic endpoint. */
  function nativeError(res: http.ServerResponse, status: number, message: string): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ error: message }));
  }

  function handleGenerate(rec: RecordedRequest, res: http.ServerResponse): void {
    let body: { model?: string; keep_alive?: string | number };
    try {
      body = JSON.parse(rec.body.toString('utf8') || '{}') as typeof body;
    } catch {
      return nativeError(res, 400, 'invalid JSON');
    }
    if (!body.model) return nativeError(res, 400, 'model is required');
    if (!state.models.some((m) => m.name === body.model || m.name === `${body.model}:latest`)) {
      return nativeError(res, 404, `model "${body.model}" not found, try pulling it first`);
    }
    const keepAliveMs = typeof body.keep_alive === 'number' ? body.keep_alive * 1000 : parseDuration(body.keep_alive ?? '5m');
    if (keepAliveMs === 0) state.loaded.delete(body.model);
    else state.loaded.set(body.model, { expiresAt: new Date(Date.now() + keepAliveMs) });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ model: body.model, created_at: new Date().toISOString(), response: '', done: true, done_reason: keepAliveMs === 0 ? 'unload' : 'load' }));
  }

  function json(res: http.ServerResponse, value: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(value));
  }

  /** server/routes.go ShowHandler; 404 `model 'x' not found` for a model it does not have. */
  function show(rec: RecordedRequest, res: http.ServerResponse): void {
    const asked = showRequestModel(rec.body);
    if ('error' in asked) return nativeError(res, asked.status, asked.error);
    const name = asked.model;
    const model = state.models.find((m) => m.name === name);
    if (!model) return nativeError(res, 404, `model '${name}' not found`);
    json(res, {
      modelfile: `# Modelfile generated by "ollama show"\nFROM ${name}\n${model.renderer ? `RENDERER ${model.renderer}\nPARSER ${model.renderer}\n` : ''}`,
      parameters: '', template: '{{ .Prompt }}',
      details: { parent_model: '', format: 'gguf', family: 'qwen3moe', families: ['qwen3moe'], parameter_size: model.parameterSize ?? '30.5B', quantization_level: model.quantization ?? 'Q4_K_M' },
      model_info: model.modelInfo ?? QWEN3_CODER_MODEL_INFO, tensors: [], capabilities: ['completion', 'tools'], modified_at: new Date().toISOString(),
    });
  }

  function countTokens(rec: RecordedRequest, res: http.ServerResponse): void {
    try {
      json(res, { input_tokens: estimateInputTokens(JSON.parse(rec.body.toString('utf8'))) });
    } catch (err) {
      sendError(res, 400, 'invalid_request_error', `invalid JSON: ${(err as Error).message}`);
    }
  }

  function route(rec: RecordedRequest, res: http.ServerResponse): void | Promise<void> {
    const path = rec.url.split('?')[0];
    if (path === '/v1/messages' && rec.method === 'POST' && options.servesMessages !== false) return handleMessages(rec, res);
    if (path === '/v1/messages/count_tokens' && rec.method === 'POST' && options.countTokens) return countTokens(rec, res);
    if (options.surface) {
      if (options.surface(rec, res)) return;
      return (options.notFound ?? ginNotFound)(rec, res);
    }
    if (path === '/' && (rec.method === 'GET' || rec.method === 'HEAD')) {
      return sendOllamaRunning(res, rec.method);
    }
    if (path === '/api/version' && rec.method === 'GET') return json(res, { version: state.version });
    if (path === '/api/tags' && rec.method === 'GET') {
      return json(res, {
        models: state.models.map((m) => ({
          name: m.name, model: m.name, size: 18_000_000_000, digest: 'sha256:' + '0'.repeat(64),
          // Real /api/tags has no context length; /api/ps reports it for loaded models.
          details: { format: 'gguf', family: 'qwen3', parameter_size: m.parameterSize ?? '7B', quantization_level: m.quantization ?? 'Q4_K_M' },
        })),
      });
    }
    if (path === '/api/ps' && rec.method === 'GET') {
      return json(res, {
        models: [...state.loaded].map(([name, { expiresAt }]) => ({
          name, model: name, size: 19_000_000_000, size_vram: 19_000_000_000, expires_at: expiresAt.toISOString(),
          context_length: state.models.find((m) => m.name === name)?.contextLength ?? 4096,
        })),
      });
    }
    if (path === '/api/generate' && rec.method === 'POST') return handleGenerate(rec, res);
    if (path === '/api/show' && rec.method === 'POST') {
      if (options.showDelayMs === undefined) return show(rec, res);
      return void setTimeout(() => show(rec, res), options.showDelayMs);
    }
    // Ollama serves no count_tokens.
    return ginNotFound(rec, res);
  }

  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), aborted: false };
      if (record) state.requests.push(rec);
      state.inFlight.add(rec);
      res.on('close', () => {
        state.inFlight.delete(rec);
        if (!res.writableFinished) {
          rec.aborted = true;
          abortWaiters.splice(0).forEach((w) => w(rec));
        }
      });
      Promise.resolve(route(rec, res)).catch((err: Error) => {
        if (!res.headersSent) sendError(res, 500, 'api_error', err.message);
        else res.destroy();
      });
    });
  };
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return Object.assign(state, {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
    waitForAbort: (ms: number) => new Promise<RecordedRequest>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no upstream abort within ${ms} ms`)), ms);
      abortWaiters.push((r) => { clearTimeout(timer); resolve(r); });
    }),
  });
}

/** Ollama's keep_alive durations: "5m", "60m", "1h", "30s", or seconds. */
function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value * 1000;
  const match = /^(-?\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) return 5 * 60_000;
  const n = Number(match[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  return n < 0 ? Number.POSITIVE_INFINITY : n * unit;
}
