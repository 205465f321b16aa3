// Sends recorded Claude Code calls to a URL the way the client did (same
// path, same headers, the raw body bytes) and measures what the user feels:
// the time to the first text token. Reads the answer's usage as it streams.
// A session keeps the recorded timing where it changes what the engine does:
// calls the client sent together go out together, and a pause longer than
// the engine's keep-alive gives it the chance to unload (see `planSession`).
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

/** The last usage object an answer carried, streamed or whole. */
export function lastUsage(text: string): Record<string, unknown> | null {
  let usage: Record<string, unknown> | null = null;
  for (const match of text.matchAll(/"usage":(\{[^{}]*\})/g)) usage = JSON.parse(match[1]!) as Record<string, unknown>;
  return usage;
}

export function replay(baseUrl: string, call: ReplayCall, extraHeaders: Readonly<Record<string, string>> = {}): Promise<ReplayResult> {
  const url = new URL(call.path, baseUrl);
  const body = Buffer.from(call.body, 'utf8');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { ...call.headers, ...extraHeaders, 'content-type': 'application/json', 'content-length': body.length, authorization: 'Bearer ollama' },
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
        usage = lastUsage(text);
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

export interface TimedCall extends ReplayCall {
  /** Milliseconds since the session's first call, as recorded. */
  readonly t: number;
}

export interface SessionStep {
  readonly index: number;
  /**
   * True when the client sent this call without waiting for the previous
   * one's answer (they were recorded under `concurrentMs` apart); it goes out
   * `delayMs` after the previous call was sent. Otherwise it waits until
   * every call in flight has been answered.
   */
  readonly concurrent: boolean;
  readonly delayMs: number;
  /** Recorded milliseconds since the previous call began: the client's pause, user included. */
  readonly gapMs: number;
}

/**
 * How a session is replayed. The recorder's upstream answered at once, so a
 * recorded gap is the client's own pause; a call recorded within
 * `concurrentMs` of the one before (an interactive session's title call and
 * main call, about 1 ms apart) was sent without waiting for its answer.
 * Pauses themselves are not waited out: they change nothing in the engine
 * but the keep-alive, which the caller applies from `gapMs`.
 */
export function planSession(calls: readonly Pick<TimedCall, 't'>[], concurrentMs: number): SessionStep[] {
  return calls.map((c, i) => {
    const gapMs = i === 0 ? 0 : Math.max(0, c.t - calls[i - 1]!.t);
    const concurrent = i > 0 && gapMs < concurrentMs;
    return { index: i, concurrent, delayMs: concurrent ? gapMs : 0, gapMs };
  });
}

/**
 * Replays a session along `planSession`. `beforeCall` runs before each call
 * that waited for the answers before it, while the engine is idle: where the
 * keep-alive is applied. Results are by call index; a call that could not be
 * sent comes back with status 0 and its error.
 */
export async function replaySession(
  baseUrl: string,
  calls: readonly TimedCall[],
  options: { readonly concurrentMs: number; readonly headers?: (index: number) => Readonly<Record<string, string>> },
  beforeCall: (index: number) => Promise<void> = async () => {},
): Promise<ReplayResult[]> {
  const results: Promise<ReplayResult>[] = [];
  for (const step of planSession(calls, options.concurrentMs)) {
    if (step.concurrent) {
      await new Promise((r) => setTimeout(r, step.delayMs));
    } else {
      await Promise.allSettled(results);
      await beforeCall(step.index);
    }
    results.push(replay(baseUrl, calls[step.index]!, options.headers?.(step.index) ?? {})
      .catch((err: Error): ReplayResult => ({ status: 0, ttftMs: null, totalMs: 0, usage: null, error: err.message })));
  }
  return Promise.all(results);
}
