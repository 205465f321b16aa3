import type { ServerResponse } from 'node:http';

/** Error types Claude Code understands (the Anthropic API's own vocabulary). */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

export function anthropicErrorBody(type: AnthropicErrorType, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}

/**
 * Answers with an error shaped like the Anthropic API's, so Claude Code shows
 * the message to the user instead of a generic "unexpected response".
 */
export function sendAnthropicError(res: ServerResponse, status: number, type: AnthropicErrorType, message: string, extraHeaders: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = anthropicErrorBody(type, message);
  // Set one by one rather than passed to writeHead, so that getHeader() sees
  // them: the request log reads the length of the proxy's own answers there.
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.setHeader('x-llm-cache-proxy', 'error');
  for (const [name, value] of Object.entries(extraHeaders)) res.setHeader(name, value);
  res.writeHead(status);
  res.end(body);
}
