// A pass-through in front of the engine that keeps what reached it: the body
// of each /v1/messages request (the bytes after the client's switches and the
// proxy's rewrite), and the engine's own record of the call. Every route
// goes through it, so the hop it adds is the same on each. It lets a loss be
// explained from what the engine was sent and did, not from the route's name.
// As Ollama's, the engine's answer carries no cache figures; what it truly
// evaluated and reused comes from its side record (`calls`, also served as
// GET /engine/calls), joined by the answer's message id. Nothing of it goes
// back on the wire, so the proxy never sees it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EngineCall } from './server.js';

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
  /** The engine's record of it (prompt tokens evaluated now and reused, runner, slot); null when it has none. */
  readonly engine: EngineCall | null;
}

export interface Tap {
  readonly url: string;
  /** /v1/messages calls in the order their answers ended. */
  readonly calls: readonly TappedCall[];
  close(): Promise<void>;
}

/** The message id of an answer, streamed (message_start) or whole: the first `"id"` it carries. */
export function answerId(text: string): string | null {
  return /"id":"(msg_[^"]*)"/.exec(text)?.[1] ?? null;
}

/** A tap in front of the engine at `target`, whose side record of each call is `record`. */
export async function startTap(target: string, record: readonly EngineCall[]): Promise<Tap> {
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
            const id = answerId(Buffer.concat(seen).toString('utf8'));
            calls.push({
              call: typeof tag === 'string' ? Number(tag) : null, model, body: text, status: answer.statusCode ?? 0,
              engine: id === null ? null : record.find((e) => e.id === id) ?? null,
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
