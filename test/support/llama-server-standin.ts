// A stand-in for llama-server's Anthropic endpoint in what touches the cache
// figures (ggml-org/llama.cpp, tools/server: to_json_anthropic and
// to_json_anthropic_stream): message_start's usage carries
// `cache_read_input_tokens` (tokens reused from the slot) and `input_tokens`
// (the rest, evaluated); message_delta carries only `output_tokens`. One slot
// that keeps the last prompt, reused up to the longest common prefix. Its
// "tokens" are 3 characters of its own rendering, unlike the proxy's
// estimate, so a test can tell whose figure it is reading.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LlamaServerStandin {
  readonly url: string;
  /** Figures sent for each /v1/messages call, in order. */
  readonly sent: { cacheRead: number; input: number }[];
  close(): Promise<void>;
}

const CHARS_PER_TOKEN = 3;

function promptOf(body: Record<string, unknown>): string {
  return JSON.stringify([body.system ?? null, body.tools ?? null, body.messages ?? null]);
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

export async function startLlamaServerStandin(): Promise<LlamaServerStandin> {
  let slot = '';
  const sent: { cacheRead: number; input: number }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      const prompt = promptOf(body);
      const total = Math.ceil(prompt.length / CHARS_PER_TOKEN);
      const cacheRead = Math.floor(commonPrefix(slot, prompt) / CHARS_PER_TOKEN);
      slot = prompt;
      const usage = { cache_read_input_tokens: cacheRead, input_tokens: total - cacheRead, output_tokens: 0 };
      sent.push({ cacheRead, input: total - cacheRead });
      const message = { id: 'msg_llama', type: 'message', role: 'assistant', model: String(body.model), content: [] as unknown[], stop_reason: null, stop_sequence: null, usage };
      if (body.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ ...message, content: [{ type: 'text', text: 'Hello' }], stop_reason: 'end_turn', usage: { ...usage, output_tokens: 1 } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const event = (type: string, data: object): void => void res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
      event('message_start', { message });
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } });
      event('content_block_stop', { index: 0 });
      event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1 } });
      event('message_stop', {});
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
