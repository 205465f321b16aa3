// The scripted upstream the recorder points real Claude Code at: it speaks
// Anthropic's SSE Messages stream the way Ollama does (HEAD / answers, GET /
// says it runs, count_tokens is a 404), captures every /v1/messages call as
// the client sent it, and answers each one with what the session's script
// says: real `tool_use` blocks to drive a tool loop, then text to end the turn.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export type ReplyBlock =
  | { readonly type: 'text'; readonly text: string }
  /** Reasoning, streamed as Ollama's converter streams it: a thinking block with no signature. */
  | { readonly type: 'thinking'; readonly thinking: string }
  | { readonly type: 'tool_use'; readonly id: string; readonly name: string; readonly input: Record<string, unknown> };

export interface CapturedCall {
  /** performance.now() when the request's first byte arrived. */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  /** As Node gives them: lowercase names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface Reply {
  readonly content: readonly ReplyBlock[];
  /** What usage reports; defaults to a rough chars/4 of the request. */
  readonly inputTokens?: number;
  /** Reported as cache_read_input_tokens when set, as an engine that reused a prefix does. */
  readonly cacheReadTokens?: number;
  /** `max_tokens` makes the answer look cut at the output limit (the client then runs its recovery). */
  readonly stopReason?: 'max_tokens';
}

function stopReasonOf(reply: Reply): string {
  return reply.stopReason ?? (reply.content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn');
}

/** Decides the answer to one captured call; `index` counts /v1/messages calls from 0. */
export type Script = (call: CapturedCall, index: number) => Reply;

/** Any request the upstream saw, whatever its path: what a client sends besides its calls. */
export interface SeenRequest {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface ScriptedUpstream {
  readonly url: string;
  readonly calls: readonly CapturedCall[];
  /** Every request in arrival order, the calls among them. */
  readonly seen: readonly SeenRequest[];
  setScript(script: Script): void;
  close(): Promise<void>;
}

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The SSE events Anthropic (and Ollama's converter) send for one message. */
export function messageEvents(reply: Reply, model: string, messageId: string, inputTokens: number): string[] {
  const outputTokens = reply.content.reduce((n, block) => n + Math.ceil(JSON.stringify(block).length / 4), 0);
  const cache = reply.cacheReadTokens === undefined ? {} : { cache_read_input_tokens: reply.cacheReadTokens };
  const events = [sse('message_start', {
    type: 'message_start',
    message: { id: messageId, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: inputTokens, ...cache, output_tokens: 0 } },
  })];
  reply.content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push(sse('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
      events.push(sse('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: block.text } }));
    } else if (block.type === 'thinking') {
      events.push(sse('content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '' } }));
      events.push(sse('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: block.thinking } }));
    } else {
      events.push(sse('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } }));
      events.push(sse('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } }));
    }
    events.push(sse('content_block_stop', { type: 'content_block_stop', index }));
  });
  const stopReason = stopReasonOf(reply);
  events.push(sse('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { input_tokens: inputTokens, ...cache, output_tokens: outputTokens } }));
  events.push(sse('message_stop', { type: 'message_stop' }));
  return events;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function flatHeaders(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export async function startScriptedUpstream(initial: Script): Promise<ScriptedUpstream> {
  const calls: CapturedCall[] = [];
  const seen: SeenRequest[] = [];
  let script = initial;
  const server = http.createServer((req, res) => {
    const at = performance.now();
    const path = req.url ?? '/';
    seen.push({ at, method: req.method ?? '', path, headers: flatHeaders(req) });
    if (req.method === 'HEAD' || (req.method === 'GET' && path === '/')) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(req.method === 'GET' ? 'Ollama is running' : undefined);
      return;
    }
    if (req.method !== 'POST' || !path.startsWith('/v1/messages') || path.startsWith('/v1/messages/')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found');
      return;
    }
    void readBody(req).then((body) => {
      const call: CapturedCall = { at, method: req.method!, path, headers: flatHeaders(req), body };
      const index = calls.push(call) - 1;
      let reply: Reply;
      let parsed: { model?: string; stream?: boolean };
      try {
        parsed = JSON.parse(body) as typeof parsed;
        reply = script(call, index);
      } catch (err) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: String(err) } }));
        return;
      }
      const model = parsed.model ?? 'unknown';
      const inputTokens = reply.inputTokens ?? Math.ceil(body.length / 4);
      const messageId = `msg_rec_${String(index).padStart(4, '0')}`;
      if (parsed.stream === false) {
        const content = reply.content.map((block) => ({ ...block }));
        const stopReason = stopReasonOf(reply);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: messageId, type: 'message', role: 'assistant', model, content, stop_reason: stopReason, stop_sequence: null, usage: { input_tokens: inputTokens, output_tokens: 10 } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      for (const event of messageEvents(reply, model, messageId, inputTokens)) res.write(event);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    seen,
    setScript(next) { script = next; },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
