// A pass-through in front of the engine that keeps what reached it: the body
// of each /v1/messages request (the bytes after the client's switches and the
// proxy's rewrite), and the engine's own usage from its answer. Every route
// goes through it, so the hop it adds is the same on each. It lets a loss be
// explained from what the engine was sent and did, not from the route's name.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { lastUsage } from './replay.js';

/** The header the replay tags each call with, so a request is known however the proxy forwards it. */
export const CALL_HEADER = 'x-bench-call';

export interface TappedCall {
  /** The replayed call's index, from its tag; null when untagged. */
  readonly call: number | null;
  /** The model name asked for: the runner that serves it. */
  readonly model: string;
  /** The request body exactly as it reached the engine. */
  readonly body: string;
  readonly status: number;
  /** The engine's usage: prompt tokens evaluated now and reused from its cache; null when it gave none. */
  readonly evaluated: number | null;
  readonly reused: number | null;
}

export interface Tap {
  readonly url: string;
  /** /v1/messages calls in the order their answers ended. */
  readonly calls: readonly TappedCall[];
  close(): Promise<void>;
}

/** The engine's own counts from its answer's last usage. */
function engineUsage(text: string): { evaluated: number; reused: number } | null {
  const u = lastUsage(text);
  if (typeof u?.['input_tokens'] !== 'number') return null;
  const reused = u['cache_read_input_tokens'];
  return { evaluated: u['input_tokens'], reused: typeof reused === 'number' ? reused : 0 };
}

export async function startTap(target: string): Promise<Tap> {
  const calls: TappedCall[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers = { ...req.headers };
      delete headers.host;
      const upstream = http.request(new URL(req.url ?? '/', target), { method: req.method ?? 'GET', headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        const seen: Buffer[] = [];
        answer.on('data', (c: Buffer) => {
          seen.push(c);
          res.write(c);
        });
        answer.on('end', () => {
          if ((req.url ?? '').startsWith('/v1/messages') && req.method === 'POST') {
            const text = body.toString('utf8');
            let model = '';
            try { model = String((JSON.parse(text) as { model?: unknown }).model ?? ''); } catch { /* an invalid body is the engine's to refuse */ }
            const tag = req.headers[CALL_HEADER];
            const usage = engineUsage(Buffer.concat(seen).toString('utf8'));
            calls.push({
              call: typeof tag === 'string' ? Number(tag) : null, model, body: text, status: answer.statusCode ?? 0,
              evaluated: usage?.evaluated ?? null, reused: usage?.reused ?? null,
            });
          }
          res.end();
        });
      });
      upstream.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(err.message);
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
