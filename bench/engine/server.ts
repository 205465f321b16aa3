// An Anthropic Messages backend on the real llama.cpp engine, with Ollama's
// HTTP surface: `GET`/`HEAD /`, `/api/version`, `/api/tags`, `/api/ps` (with
// the context length), `POST /api/show` (the model file's metadata, and the
// renderer and parser its family names), `POST /api/generate` without a prompt
// (load, or unload with keep_alive 0), `POST /v1/messages` streamed or not,
// 404 for count_tokens, errors in Anthropic's shape. Each model name is
// rendered by its family (families.ts), served by the runner of its weights
// file (runners.ts), and a prompt longer than the context is cut as Ollama
// cuts it (truncate.ts) unless the engine is told to refuse it.
// As Ollama's (anthropic/anthropic.go), the answer's usage carries
// `input_tokens` and `output_tokens` only: no cache figures reach a client or
// the proxy. What the engine truly reused is kept for the bench beside the
// answer: `calls` in-process and `GET /engine/calls` (Ollama has no such route).
// A client that leaves while its prompt is read is noticed as Ollama notices it
// (disconnect.ts), and the call stops at the next batch boundary (slots.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendGinNotFound, sendOllamaRunning, showRequestModel } from '../../test/support/ollama-http.js';
import { anthropicErrorBody, type AnthropicErrorType } from '../../main/core/proxy/anthropic-error.js';
import { engineVersion, listedNames, resolveModel, type CatalogOptions, type ResolvedModel } from './catalog.js';
import { convertRequest, estimateInputTokens, thinkOn, RenderError, type MessagesBody } from './convert.js';
import { noticedBy, OLLAMA_DISCONNECT, type DisconnectRule } from './disconnect.js';
import type { Token } from './llama.js';
import type { RunnerFile, Runners } from './runners.js';
import { ContextTooSmall, type Completion, type Ending, type SlotEngine, type StopCheck } from './slots.js';
import { cutMiddle, fitMessages, type Overflow } from './truncate.js';

export interface EngineServerOptions {
  readonly runners: Runners;
  readonly catalog: CatalogOptions;
  /** The weights file a resolved name runs on. */
  readonly fileOf: (model: ResolvedModel) => RunnerFile;
  /** Bytes and POST /api/show's model_info (the file's GGUF keys, model-info.ts) of a resolved name's file. */
  readonly describe: (model: ResolvedModel) => Promise<{ readonly bytes: number; readonly modelInfo: Readonly<Record<string, unknown>> }>;
  readonly host?: string;
  readonly port?: number;
  /** Most tokens sampled per call, whatever max_tokens asks (random weights write junk; prefill is what we measure). */
  readonly maxTokens?: number;
  /** A prompt longer than the context: cut as Ollama does (default), or refused with a 400. */
  readonly overflow?: Overflow;
  /**
   * Live-client mode: every answer ends with `end_turn` after this many tokens,
   * whatever max_tokens asks, so a real client never runs its max-output recovery.
   */
  readonly liveClient?: number;
  /** When a client that left is noticed while its prompt is read (default: Ollama's, llama-server's 1 s poll). */
  readonly disconnect?: DisconnectRule;
}

/** What the engine did for one /v1/messages call, in arrival order. */
export interface EngineCall {
  /** The answer's message id: what joins a call seen on the wire to this record. */
  readonly id: string;
  /** The model name asked for. */
  readonly model: string;
  /** The runner that served it: its weights file. */
  readonly runner: string;
  readonly family: string;
  readonly slot: number;
  readonly promptTokens: number;
  /** Prompt tokens evaluated: counted a batch at a time while the call runs. */
  readonly evaluated: number;
  readonly reused: number;
  /** Messages Ollama's truncation dropped from the front, and prompt tokens it cut from the middle. */
  readonly droppedMessages: number;
  readonly cutTokens: number;
  /**
   * The client left while the prompt was read, and the engine stopped there:
   * `evaluated` is what it read, and the slot holds `reused + evaluated` tokens.
   */
  readonly cancelled: boolean;
  /**
   * The prompt cache at slot assignment (llama-server's `--cache-ram`): tokens
   * of what the slot held saved to RAM first, and tokens of a saved state
   * loaded into the slot for this call (then `reused` counts from it); 0 when none.
   */
  readonly savedTokens: number;
  readonly restoredTokens: number;
}

export interface EngineServer {
  readonly url: string;
  readonly port: number;
  readonly calls: readonly EngineCall[];
  close(): Promise<void>;
}

const TOO_LONG = 'the prompt is longer than the context length currently available to the model; shorten the prompt, adjust the context length in settings, or use a model with a longer context length';

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

/** One answer: the sampled pieces, the first `thinkingTokens` of them shown as the model's reasoning. */
interface Answer {
  readonly id: string;
  readonly model: string;
  readonly completion: Completion;
  readonly thinkingTokens: number;
  /** Ends the answer after this many tokens with end_turn (live-client mode). */
  readonly endAfter: number | null;
  readonly promptTokens: number;
  readonly estimatedInput: number;
}

async function* answerPieces(a: Answer): AsyncGenerator<{ kind: 'thinking' | 'text'; text: string }, Ending, void> {
  let n = 0;
  for (;;) {
    if (a.endAfter !== null && n >= a.endAfter) {
      await a.completion.pieces.return('end_turn');
      return 'end_turn';
    }
    const step = await a.completion.pieces.next();
    if (step.done === true) return step.value;
    yield { kind: n < a.thinkingTokens ? 'thinking' : 'text', text: step.value };
    n++;
  }
}

/** anthropic.go StreamConverter: message_start (estimated input), a thinking block, a text block, final usage. */
async function stream(res: http.ServerResponse, a: Answer, closed: () => boolean): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  sse(res, 'message_start', { message: { id: a.id, type: 'message', role: 'assistant', model: a.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: a.estimatedInput, output_tokens: 0 } } });
  let index = -1;
  let open: 'thinking' | 'text' | null = null;
  let outputTokens = 0;
  const pieces = answerPieces(a);
  let step = await pieces.next();
  while (step.done !== true) {
    outputTokens++;
    if (closed()) return void (await pieces.return('end_turn'));
    const { kind, text } = step.value;
    if (open !== kind) {
      if (open !== null) sse(res, 'content_block_stop', { index });
      open = kind;
      index++;
      sse(res, 'content_block_start', { index, content_block: kind === 'thinking' ? { type: 'thinking', thinking: '' } : { type: 'text', text: '' } });
    }
    sse(res, 'content_block_delta', { index, delta: kind === 'thinking' ? { type: 'thinking_delta', thinking: text } : { type: 'text_delta', text } });
    step = await pieces.next();
  }
  if (step.value === 'cancelled') return;
  if (open !== null) sse(res, 'content_block_stop', { index });
  sse(res, 'message_delta', { delta: { stop_reason: step.value, stop_sequence: null }, usage: { input_tokens: a.promptTokens, output_tokens: outputTokens } });
  sse(res, 'message_stop', {});
  res.end();
}

/** anthropic.go ToMessagesResponse: thinking, then text; usage without cache figures. */
async function whole(res: http.ServerResponse, a: Answer): Promise<void> {
  let thinking = '';
  let text = '';
  let outputTokens = 0;
  const pieces = answerPieces(a);
  let step = await pieces.next();
  while (step.done !== true) {
    if (step.value.kind === 'thinking') thinking += step.value.text;
    else text += step.value.text;
    outputTokens++;
    step = await pieces.next();
  }
  if (step.value === 'cancelled') return void res.destroy();
  const content = [...(thinking === '' ? [] : [{ type: 'thinking', thinking }]), ...(text === '' ? [] : [{ type: 'text', text }])];
  sendJson(res, 200, {
    id: a.id, type: 'message', role: 'assistant', model: a.model, content,
    stop_reason: step.value, stop_sequence: null, usage: { input_tokens: a.promptTokens, output_tokens: outputTokens },
  });
}

export async function startEngineServer(options: EngineServerOptions): Promise<EngineServer> {
  const { runners } = options;
  const cap = options.maxTokens ?? 4;
  const overflow = options.overflow ?? 'truncate';
  const disconnect = options.disconnect ?? OLLAMA_DISCONNECT;
  const calls: EngineCall[] = [];

  /** The prompt's tokens, fitted to the context as Ollama fits them (or whole, to be refused). */
  function promptTokens(engine: SlotEngine, model: ResolvedModel, request: MessagesBody): { tokens: readonly Token[]; dropped: number; cut: number; think: boolean } {
    const chat = convertRequest(request);
    const think = model.family.thinks && (thinkOn(chat.think) ?? true);
    const render = (messages: typeof chat.messages): Token[] => engine.tokenize(model.family.render({ ...chat, messages }));
    if (overflow === 'refuse') return { tokens: render(chat.messages), dropped: 0, cut: 0, think };
    const fitted = fitMessages(chat.messages, render, engine.contextSize);
    const tokens = cutMiddle(fitted.tokens, engine.contextSize);
    return { tokens, dropped: fitted.dropped, cut: fitted.tokens.length - tokens.length, think };
  }

  async function messages(body: Buffer, res: http.ServerResponse, closed: () => boolean, gone: StopCheck): Promise<void> {
    let request: MessagesBody & { stream?: unknown; max_tokens?: unknown };
    try {
      request = JSON.parse(body.toString('utf8')) as typeof request;
    } catch (err) {
      return sendError(res, 400, 'invalid_request_error', `invalid JSON: ${(err as Error).message}`);
    }
    const name = typeof request.model === 'string' ? request.model : '';
    if (name === '') return sendError(res, 400, 'invalid_request_error', 'model is required');
    const model = resolveModel(options.catalog, name);
    const asked = typeof request.max_tokens === 'number' && request.max_tokens > 0 ? request.max_tokens : cap;
    try {
      const engine = await runners.get(options.fileOf(model), name);
      const prompt = promptTokens(engine, model, request);
      if (prompt.tokens.length >= engine.contextSize) return sendError(res, 400, 'invalid_request_error', TOO_LONG);
      const limit = options.liveClient ?? Math.min(asked, cap);
      await engine.run(prompt.tokens, limit, (c) => {
        const id = messageId();
        calls.push({
          id, model: name, runner: model.fileKey, family: model.family.name, slot: c.slot, promptTokens: prompt.tokens.length,
          reused: c.reused, droppedMessages: prompt.dropped, cutTokens: prompt.cut,
          savedTokens: c.cache.saved, restoredTokens: c.cache.restored,
          // Counted as the prompt is read, a batch at a time; final once the call has ended.
          get evaluated() { return c.progress.evaluated; },
          get cancelled() { return c.progress.cancelled; },
        });
        const answer: Answer = {
          id, model: name,
          completion: c,
          // Random weights never close `</think>`; the first half stands for the reasoning the parser would split off.
          thinkingTokens: prompt.think ? Math.floor(limit / 2) : 0,
          endAfter: options.liveClient ?? null,
          promptTokens: prompt.tokens.length,
          estimatedInput: estimateInputTokens(request),
        };
        return request.stream === true ? stream(res, answer, closed) : whole(res, answer);
      }, gone);
    } catch (err) {
      if (err instanceof RenderError) return sendError(res, 400, 'invalid_request_error', err.message);
      if (err instanceof ContextTooSmall) return sendError(res, 400, 'invalid_request_error', err.message);
      throw err;
    }
  }

  /**
   * Ollama's way to load or unload a model by hand: POST /api/generate with no
   * prompt loads it (`ollama run` does so first), with `keep_alive: 0` unloads
   * it (`ollama stop`). The runner's KV cache goes with an unload.
   */
  async function generate(body: Buffer, res: http.ServerResponse): Promise<void> {
    let request: { model?: unknown; prompt?: unknown; keep_alive?: unknown };
    try {
      request = JSON.parse(body.toString('utf8') || '{}') as typeof request;
    } catch (err) {
      return sendJson(res, 400, { error: `invalid JSON: ${(err as Error).message}` });
    }
    if (typeof request.model !== 'string' || request.model === '') return sendJson(res, 400, { error: 'model is required' });
    if (typeof request.prompt === 'string' && request.prompt !== '') return sendJson(res, 400, { error: 'this engine answers /api/generate only to load or unload a model (no prompt)' });
    const model = resolveModel(options.catalog, request.model);
    const unload = request.keep_alive === 0 || request.keep_alive === '0' || request.keep_alive === '0s';
    if (unload) await runners.unload(model.fileKey);
    else await runners.get(options.fileOf(model), request.model);
    sendJson(res, 200, { model: request.model, created_at: new Date().toISOString(), response: '', done: true, done_reason: unload ? 'unload' : 'load' });
  }

  /** ShowHandler: details, the file's keys, capabilities, and the renderer and parser the family names. */
  async function show(body: Buffer, res: http.ServerResponse): Promise<void> {
    const asked = showRequestModel(body);
    if ('error' in asked) return sendJson(res, asked.status, { error: asked.error });
    const model = resolveModel(options.catalog, asked.model);
    const { modelInfo } = await options.describe(model);
    const f = model.family;
    sendJson(res, 200, {
      ...(f.renderer === '' ? {} : { renderer: f.renderer }),
      ...(f.parser === '' ? {} : { parser: f.parser }),
      details: { format: 'gguf', family: 'llama', parameter_size: 'random', quantization_level: 'Q8_0' },
      model_info: modelInfo, tensors: [], capabilities: ['completion', 'tools', ...(f.thinks ? ['thinking'] : [])],
    });
  }

  async function tags(res: http.ServerResponse): Promise<void> {
    const models = await Promise.all(listedNames(options.catalog).map(async (name) => {
      const { bytes } = await options.describe(resolveModel(options.catalog, name));
      return {
        name, model: name, size: bytes, digest: 'sha256:' + '0'.repeat(64),
        details: { format: 'gguf', family: 'llama', parameter_size: 'random', quantization_level: 'Q8_0' },
      };
    }));
    sendJson(res, 200, { models });
  }

  async function ps(res: http.ServerResponse): Promise<void> {
    const live = runners.loaded().filter((m) => m.expiresAt.getTime() > Date.now());
    const models = await Promise.all(live.map(async (m) => {
      const { bytes } = await options.describe(resolveModel(options.catalog, m.name));
      return { name: m.name, model: m.name, size: bytes, size_vram: 0, expires_at: m.expiresAt.toISOString(), context_length: m.contextSize };
    }));
    sendJson(res, 200, { models });
  }

  function route(method: string, path: string, body: Buffer, res: http.ServerResponse, closed: () => boolean, gone: StopCheck): void | Promise<void> {
    if (path === '/' && (method === 'GET' || method === 'HEAD')) return sendOllamaRunning(res, method);
    if (path === '/api/version' && method === 'GET') return sendJson(res, 200, { version: engineVersion(options.catalog) });
    if (path === '/api/tags' && method === 'GET') return tags(res);
    if (path === '/api/ps' && method === 'GET') return ps(res);
    if (path === '/api/show' && method === 'POST') return show(body, res);
    if (path === '/api/generate' && method === 'POST') return generate(body, res);
    if (path === '/v1/messages' && method === 'POST') return messages(body, res, closed, gone);
    if (path === '/engine/calls' && method === 'GET') return sendJson(res, 200, { calls });
    sendGinNotFound(res);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let closedAt: number | null = null;
      res.on('close', () => { if (!res.writableFinished) closedAt ??= Date.now(); });
      const gone = noticedBy(disconnect, Date.now(), () => closedAt);
      const path = (req.url ?? '/').split('?')[0]!;
      Promise.resolve(route(req.method ?? '', path, Buffer.concat(chunks), res, () => closedAt !== null, gone)).catch((err: Error) => {
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
