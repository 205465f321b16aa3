// What Claude Code is told when the backend fails. It understands errors in
// the Anthropic API's shape and shows their message; anything else (an HTML
// 500 page, an empty 529, a connection that died) reaches the user as a
// generic "unexpected response". So every failure goes back in that shape,
// with the backend's own status where it gave one and a message that says
// what happened. Pure functions; the forwarder does the I/O.
import type { AnthropicErrorType } from './anthropic-error.js';

export interface ClientError {
  readonly status: number;
  readonly type: AnthropicErrorType;
  readonly message: string;
}

/** The most of a failing backend's body read to explain it; the rest is not waited for. */
export const ERROR_BODY_BYTES = 64 * 1024;
/** The most of the backend's own words quoted in the message. */
const DETAIL_CHARS = 300;

/** The Anthropic API's error type for an HTTP status. */
export function errorTypeFor(status: number): AnthropicErrorType {
  switch (status) {
    case 400: return 'invalid_request_error';
    case 401: return 'authentication_error';
    case 403: return 'permission_error';
    case 404: return 'not_found_error';
    case 413: return 'request_too_large';
    case 429: return 'rate_limit_error';
    case 503:
    case 529: return 'overloaded_error';
    case 504: return 'timeout_error';
    default: return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The backend's own explanation: an error message from its JSON, or its text without markup. */
function detailOf(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed)) {
      const error = parsed['error'];
      if (typeof error === 'string') return error;
      if (isRecord(error) && typeof error['message'] === 'string') return error['message'];
      if (typeof parsed['message'] === 'string') return parsed['message'];
      if (typeof parsed['detail'] === 'string') return parsed['detail'];
    }
  } catch {
    // Not JSON: read it as text below.
  }
  return body.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
}

function clip(text: string): string {
  return text.length > DETAIL_CHARS ? `${text.slice(0, DETAIL_CHARS)}…` : text;
}

/**
 * The error to send for a backend's error answer, or null when its body is
 * already an Anthropic error (it then goes on untouched).
 */
export function backendErrorAnswer(status: number, statusMessage: string | undefined, body: string): ClientError | null {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed) && parsed['type'] === 'error' && isRecord(parsed['error']) && typeof parsed['error']['type'] === 'string') return null;
  } catch {
    // Not JSON: explained below.
  }
  const type = errorTypeFor(status);
  const said = clip(detailOf(body)) || statusMessage || '';
  const what = type === 'overloaded_error' ? 'is overloaded'
    : type === 'rate_limit_error' ? 'is limiting the request rate'
      : 'failed the request';
  return { status, type, message: `The model backend ${what} (HTTP ${status})${said ? `: ${said}` : ''}` };
}

export interface FailureContext {
  readonly target: string;
  /** The request went unanswered for --upstream-timeout. */
  readonly timedOutAfterMs: number | null;
  /** How long a connection may take before the backend counts as unreachable. */
  readonly connectTimeoutMs: number;
}

/** The error to send when the backend could not be asked or did not answer. */
export function upstreamFailure(err: NodeJS.ErrnoException, context: FailureContext): ClientError {
  const { target } = context;
  const code = err.code ?? err.message;
  if (context.timedOutAfterMs !== null) {
    return { status: 504, type: 'timeout_error', message: `The model backend at ${target} did not answer within ${context.timedOutAfterMs / 1000} s (--upstream-timeout), so llm-cache-proxy gave up on it.` };
  }
  if (target.startsWith('https:') && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) {
    return {
      status: 502, type: 'api_error', message: `llm-cache-proxy cannot verify the TLS certificate of ${target} (${code}). ` +
        'If the server uses a private certificate authority, pass its certificate with --upstream-ca <file.pem>.',
    };
  }
  const start = 'Is Ollama running? Start it with `ollama serve` (or open the Ollama app), or point the proxy elsewhere with --target.';
  if (code === 'ECONNREFUSED') {
    return { status: 502, type: 'api_error', message: `llm-cache-proxy cannot reach the model backend at ${target}: connection refused (ECONNREFUSED). ${start}` };
  }
  if (code === 'ETIMEDOUT') {
    return { status: 502, type: 'api_error', message: `llm-cache-proxy cannot reach the model backend at ${target}: it did not accept a connection within ${context.connectTimeoutMs / 1000} s (ETIMEDOUT). ${start}` };
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return { status: 502, type: 'api_error', message: `The model backend at ${target} closed the connection before answering (${code}); it may have crashed or restarted.` };
  }
  return { status: 502, type: 'api_error', message: `llm-cache-proxy cannot reach the model backend at ${target} (${code}). ${start}` };
}
