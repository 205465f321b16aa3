// Tools for the hostile-input suite: a backend whose every answer the test
// writes, a raw TCP client that sends exactly the bytes it is given, and a
// meter of how long the proxy's event loop (shared with every other client)
// was held up.
import http from 'node:http';
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';

export interface ScriptedBackend {
  readonly url: string;
  readonly port: number;
  /** Every request as the backend received it, body included. */
  readonly requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer }>;
  close(): Promise<void>;
}

/** A backend that reads each request whole, then lets `answer` respond however it likes. */
export async function scriptedBackend(answer: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void): Promise<ScriptedBackend> {
  const requests: ScriptedBackend['requests'] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      answer(req, res, body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface RawReply {
  /** Everything the server sent. */
  readonly text: string;
  /** Whether the server closed the connection (rather than the wait running out). */
  readonly closed: boolean;
  /** Milliseconds from the first byte written to the close or the end of the wait. */
  readonly ms: number;
}

/**
 * Writes `parts` to the proxy over one TCP connection (a pause of `gapMs`
 * between them), then reads until the server closes it or `waitMs` passes.
 */
export function rawExchange(port: number, parts: ReadonlyArray<string | Buffer>, options: { waitMs?: number; gapMs?: number; until?: RegExp } = {}): Promise<RawReply> {
  const { waitMs = 3000, gapMs = 0 } = options;
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const started = performance.now();
    let text = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed, ms: performance.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (options.until?.test(text)) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.once('connect', async () => {
      for (const part of parts) {
        if (socket.destroyed) return;
        socket.write(part);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

/** The longest the event loop was blocked while `run` ran, in milliseconds (10 ms resolution). */
export async function longestStall<T>(run: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  try {
    const result = await run();
    return { result, stallMs: histogram.max / 1e6 };
  } finally {
    histogram.disable();
  }
}

/** JSON nested `depth` levels deep: `{"a":{"a":…1…}}`. */
export function nested(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** The resident memory of another process, from /proc (Linux); null elsewhere. */
export async function rssOf(pid: number): Promise<number | null> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}
