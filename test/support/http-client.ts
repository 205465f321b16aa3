// A small HTTP client for tests: raw control over headers, chunked bodies and
// aborts, and it records when the first body byte arrived.
import http from 'node:http';

export interface SendOptions {
  method?: string;
  path?: string;
  headers?: http.OutgoingHttpHeaders;
  /** A Buffer is sent with Content-Length; an array is sent chunked, one write each. */
  body?: Buffer | string | Buffer[];
  /** Abort the request once this many body bytes have arrived. */
  abortAfterBytes?: number;
  /** Abort the request this long after sending it, response or not. */
  abortAfterMs?: number;
  agent?: http.Agent | false;
}

export interface SendResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  /** Body chunks as they arrived, with whether the upstream was still sending. */
  chunks: Buffer[];
  aborted: boolean;
}

export function send(baseUrl: string, options: SendOptions = {}, onChunk?: (chunk: Buffer) => void): Promise<SendResult> {
  const url = new URL(options.path ?? '/', baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      let aborted = false;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        onChunk?.(chunk);
        if (options.abortAfterBytes !== undefined && received >= options.abortAfterBytes && !aborted) {
          aborted = true;
          req.destroy();
          finish();
        }
      });
      const finish = () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8'), chunks, aborted });
      };
      res.on('end', finish);
      res.on('error', (err) => (aborted ? undefined : reject(err)));
    });
    const abortable = options.abortAfterBytes !== undefined || options.abortAfterMs !== undefined;
    req.on('error', (err) => (req.destroyed && abortable ? undefined : reject(err)));
    if (options.abortAfterMs !== undefined) {
      setTimeout(() => {
        if (req.destroyed || req.writableFinished === false) return;
        req.destroy();
        resolve({ status: 0, headers: {}, body: Buffer.alloc(0), text: '', chunks: [], aborted: true });
      }, options.abortAfterMs);
    }
    const body = options.body;
    if (Array.isArray(body)) {
      let i = 0;
      const next = () => {
        if (i < body.length) req.write(body[i++], () => setTimeout(next, 5));
        else req.end();
      };
      next();
    } else {
      req.end(body);
    }
  });
}

/** Parses an SSE body into its events. */
export function sseEvents(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  return text.split('\n\n').filter((block) => block.trim()).map((block) => {
    const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
    const data = /^data: (.*)$/m.exec(block)?.[1];
    return { event, data: data ? (JSON.parse(data) as Record<string, unknown>) : {} };
  });
}

/** Follows an SSE stream (the proxy's /_proxy/events), handing over each complete event as it arrives, until stopped. */
export function followEvents(url: string, onEvent: (e: { event: string; data: Record<string, unknown> }) => void): { stop(): void } {
  const req = http.get(url, (res) => {
    let buffer = '';
    res.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const end = buffer.lastIndexOf('\n\n');
      if (end === -1) return;
      for (const e of sseEvents(buffer.slice(0, end + 2))) onEvent(e);
      buffer = buffer.slice(end + 2);
    });
  });
  req.on('error', () => undefined);
  return { stop: () => req.destroy() };
}
