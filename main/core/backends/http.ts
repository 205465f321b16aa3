// One JSON request to the backend with a deadline on the injected clock, and
// error messages short enough for a menu item.
import type { Clock } from './clock.js';

export interface JsonRequest {
  readonly method?: 'GET' | 'POST';
  readonly body?: unknown;
  /** Abandon the request after this long (measured on the injected clock). */
  readonly timeoutMs: number;
  /** Aborts the request from outside, e.g. when the monitor stops. */
  readonly signal?: AbortSignal;
  /** Sent with the request, e.g. a shared server's own auth header. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A request that failed for a reason worth showing the user (refused, timed out, HTTP error, not JSON). */
export class BackendRequestError extends Error {
  override readonly name = 'BackendRequestError';
  /**
   * True when something answered over HTTP (an error status, or not JSON):
   * the target is there but is not what this request expected. Detection
   * reads that as "not this engine"; false means nothing answered at all.
   */
  readonly reachable: boolean;

  constructor(message: string, reachable = false) {
    super(message);
    this.reachable = reachable;
  }
}

/** The name the Ollama-only monitor gave it. */
export const OllamaRequestError = BackendRequestError;

/** Joins without `new URL(path, base)`, which would drop a path prefix such as a reverse proxy's `/ollama`. */
export function endpoint(target: string, path: string): string {
  return target.replace(/\/+$/, '') + path;
}

/**
 * Resolves with the parsed JSON body. Rejects with OllamaRequestError for any
 * failure of the request itself, or with the signal's own reason when the
 * caller aborted (so callers can tell "stopped" from "failed").
 */
export async function requestJson(
  fetchFn: typeof fetch, clock: Clock, target: string, path: string, request: JsonRequest,
): Promise<unknown> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, request.timeoutMs);
  const onOuterAbort = (): void => controller.abort();
  request.signal?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    request.signal?.throwIfAborted();
    const response = await fetchFn(endpoint(target, path), {
      method: request.method ?? 'GET',
      signal: controller.signal,
      headers: { ...request.headers, ...(request.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new BackendRequestError(`HTTP ${response.status} from ${path}${errorDetail(text)}`, true);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new BackendRequestError(`${path} did not answer JSON; is this Ollama?`, true);
    }
  } catch (err) {
    if (request.signal?.aborted) throw request.signal.reason;
    if (err instanceof BackendRequestError) throw err;
    if (timedOut) throw new BackendRequestError(`${path} timed out after ${formatSeconds(request.timeoutMs)}`);
    throw new BackendRequestError(describeNetworkError(err));
  } finally {
    clock.clearTimeout(timer);
    request.signal?.removeEventListener('abort', onOuterAbort);
  }
}

/** Ollama's native API answers `{"error": "..."}`; its Anthropic surface `{"error": {"message": "..."}}`. */
function errorDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    const message = typeof body.error === 'string' ? body.error
      : typeof body.error === 'object' && body.error !== null && typeof (body.error as { message?: unknown }).message === 'string'
        ? (body.error as { message: string }).message
        : '';
    return message ? `: ${message}` : '';
  } catch {
    return '';
  }
}

const NETWORK_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
};

/** undici reports every network failure as `TypeError: fetch failed` and keeps the reason in `cause`. */
function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code) return NETWORK_ERRORS[code] ?? code;
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
