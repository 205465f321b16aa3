// Sends one recorded Claude Code call to a URL the way the client did (same
// path, same headers, the raw body bytes) and measures what the user feels:
// the time to the first text token. Reads the answer's usage as it streams.
import http from 'node:http';

export interface ReplayCall {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface ReplayResult {
  readonly status: number;
  /** Milliseconds from sending to the first text delta (the whole answer for stream: false); null when none came. */
  readonly ttftMs: number | null;
  readonly totalMs: number;
  /** The last usage object the answer carried. */
  readonly usage: Record<string, unknown> | null;
  readonly error: string | null;
}

export function replay(baseUrl: string, call: ReplayCall): Promise<ReplayResult> {
  const url = new URL(call.path, baseUrl);
  const body = Buffer.from(call.body, 'utf8');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { ...call.headers, 'content-type': 'application/json', 'content-length': body.length, authorization: 'Bearer ollama' },
    }, (res) => {
      let ttftMs: number | null = null;
      let usage: Record<string, unknown> | null = null;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (ttftMs === null && chunk.includes('content_block_delta')) ttftMs = performance.now() - started;
        text += chunk;
      });
      res.on('end', () => {
        const totalMs = performance.now() - started;
        const status = res.statusCode ?? 0;
        let error: string | null = null;
        for (const match of text.matchAll(/"usage":(\{[^{}]*\})/g)) usage = JSON.parse(match[1]!) as Record<string, unknown>;
        if (status !== 200) error = text.slice(0, 300);
        else if (!(res.headers['content-type'] ?? '').includes('event-stream')) ttftMs = totalMs;
        resolve({ status, ttftMs, totalMs, usage, error });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
