// An Anthropic Messages backend on the real llama.cpp engine, with Ollama's
// HTTP surface (DESIGN §2): `GET`/`HEAD /`, `/api/version`, `/api/tags`,
// `/api/ps` (with the context length), `POST /api/show` (the model file's
// metadata), `POST /v1/messages` streamed or not,
// 404 for count_tokens, errors in Anthropic's shape. Unlike Ollama, its usage
// carries the true cache figures: `input_tokens` is what was evaluated and
// `cache_read_input_tokens` what was reused. It answers every model name with
// its one model, so recordings replay whatever model they name, but each name
// gets a runner of its own (its own context and slots, see runners.ts), as
// Ollama keeps each model in its own runner and cache.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendGinNotFound, sendOllamaRunning, showRequestModel } from '../../test/support/ollama-http.js';
import { anthropicErrorBody, type AnthropicErrorType } from '../../main/core/proxy/anthropic-error.js';
import { renderPrompt, RenderError } from './render.js';
import type { Runners } from './runners.js';
import { ContextTooSmall, type Completion } from './slots.js';

export interface EngineServerOptions {
  readonly runners: Runners;
  /** Name /api/tags lists. */
  readonly modelName: string;
  readonly modelBytes: number;
  /** POST /api/show's model_info: the model file's GGUF keys (model-info.ts). */
  readonly modelInfo: Readonly<Record<string, unknown>>;
  readonly host?: string;
  readonly port?: number;
  /** Most tokens sampled per call, whatever max_tokens asks (random weights write junk; prefill is what we measure). */
  readonly maxTokens?: number;
}

/** What the engine did for one /v1/messages call, in arrival order. */
export interface EngineCall {
  /** The model name asked for: the runner that served the call. */
  readonly model: string;
  readonly slot: number;
  readonly promptTokens: number;
  readonly evaluated: number;
  readonly reused: number;
}

export interface EngineServer {
  readonly url: string;
  readonly port: number;
  readonly calls: readonly EngineCall[];
  close(): Promise<void>;
}

const VERSION = '0.30.0-llama.cpp-engine';

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: http.ServerResponse, status: number, type: AnthropicErrorType, message: string): void {
  if (res.headersSent) return void res.destroy();
  const body = anthropicErrorBody(type, message);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sse(res: http.ServerResponse, type: string, data: object): void {
  res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
}

function messageId(): string {
  return `msg_${Math.random().toString(36).slice(2, 14)}`;
}

function usage(c: Completion, outputTokens: number): Record<string, number> {
  return { input_tokens: c.evaluated, cache_creation_input_tokens: 0, cache_read_input_tokens: c.reused, output_tokens: outputTokens };
}

async function stream(res: http.ServerResponse, model: string, c: Completion, closed: () => boolean): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  sse(res, 'message_start', { message: { id: messageId(), type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: usage(c, 0) } });
  sse(res, 'content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  let outputTokens = 0;
  let stop: 'max_tokens' | 'end_turn' = 'end_turn';
  for (;;) {
    const step = await c.pieces.next();
    if (step.done === true) {
      stop = step.value;
      break;
    }
    outputTokens++;
    if (closed()) return void (await c.pieces.return('end_turn'));
    sse(res, 'content_block_delta', { index: 0, delta: { type: 'text_delta', text: step.value } });
  }
  sse(res, 'content_block_stop', { index: 0 });
  sse(res, 'message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: usage(c, outputTokens) });
  sse(res, 'message_stop', {});
  res.end();
}

async function whole(res: http.ServerResponse, model: string, c: Completion): Promise<void> {
  let text = '';
  let outputTokens = 0;
  let step = await c.pieces.next();
  while (step.done !== true) {
    text += step.value;
    outputTokens++;
    step = await c.pieces.next();
  }
  sendJson(res, 200, {
    id: messageId(), type: 'message', role: 'assistant', model, content: [{ type: 'text', text }],
    stop_reason: step.value, stop_sequence: null, usage: usage(c, outputTokens),
  });
}

export async function startEngineServer(options: EngineServerOptions): Promise<EngineServer> {
  const { runners } = options;
  const cap = options.maxTokens ?? 4;
  const calls: EngineCall[] = [];

  async function messages(body: Buffer, res: http.ServerResponse, closed: () => boolean): Promise<void> {
    let request: { model?: unknown; stream?: unknown; max_tokens?: unknown; system?: unknown; messages?: unknown; tools?: unknown };
    try {
      request = JSON.parse(body.toString('utf8')) as typeof request;
    } catch (err) {
      return sendError(res, 400, 'invalid_request_error', `invalid JSON: ${(err as Error).message}`);
    }
    const model = typeof request.model === 'string' ? request.model : '';
    if (model === '') return sendError(res, 400, 'invalid_request_error', 'model is required');
    let prompt: string;
    try {
      prompt = renderPrompt(request);
    } catch (err) {
      if (err instanceof RenderError) return sendError(res, 400, 'invalid_request_error', err.message);
      throw err;
    }
    const asked = typeof request.max_tokens === 'number' && request.max_tokens > 0 ? request.max_tokens : cap;
    try {
      const tokens = runners.tokenize(prompt);
      const engine = await runners.get(model);
      await engine.run(tokens, Math.min(asked, cap), (c) => {
        calls.push({ model, slot: c.slot, promptTokens: tokens.length, evaluated: c.evaluated, reused: c.reused });
        return request.stream === true ? stream(res, model, c, closed) : whole(res, model, c);
      });
    } catch (err) {
      if (err instanceof ContextTooSmall) return sendError(res, 400, 'invalid_request_error', err.message);
      throw err;
    }
  }

  /** Every model name is this one model (see above), so any name gets its metadata. */
  function show(body: Buffer, res: http.ServerResponse): void {
    const asked = showRequestModel(body);
    if ('error' in asked) return sendJson(res, asked.status, { error: asked.error });
    sendJson(res, 200, {
      details: { format: 'gguf', family: 'llama', parameter_size: 'random', quantization_level: 'Q8_0' },
      model_info: options.modelInfo, tensors: [], capabilities: ['completion'],
    });
  }

  function route(method: string, path: string, body: Buffer, res: http.ServerResponse, closed: () => boolean): void | Promise<void> {
    if (path === '/' && (method === 'GET' || method === 'HEAD')) {
      return sendOllamaRunning(res, method);
    }
    if (path === '/api/version' && method === 'GET') return sendJson(res, 200, { version: VERSION });
    if (path === '/api/tags' && method === 'GET') {
      return sendJson(res, 200, {
        models: [{
          name: options.modelName, model: options.modelName, size: options.modelBytes, digest: 'sha256:' + '0'.repeat(64),
          details: { format: 'gguf', family: 'llama', parameter_size: 'random', quantization_level: 'Q8_0' },
        }],
      });
    }
    if (path === '/api/ps' && method === 'GET') {
      const live = runners.loaded().filter((m) => m.expiresAt.getTime() > Date.now());
      return sendJson(res, 200, {
        models: live.map((m) => ({
          name: m.name, model: m.name, size: options.modelBytes, size_vram: 0, expires_at: m.expiresAt.toISOString(), context_length: m.contextSize,
        })),
      });
    }
    if (path === '/api/show' && method === 'POST') return show(body, res);
    if (path === '/v1/messages' && method === 'POST') return messages(body, res, closed);
    sendGinNotFound(res);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let closed = false;
      res.on('close', () => { closed = !res.writableFinished; });
      const path = (req.url ?? '/').split('?')[0]!;
      Promise.resolve(route(req.method ?? '', path, Buffer.concat(chunks), res, () => closed)).catch((err: Error) => {
        sendError(res, 500, 'api_error', err.message);
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    calls,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
