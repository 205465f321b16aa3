// The answer when a request's body cannot be read (too large, an encoding the
// proxy does not decode, the memory budget spent, malformed), in the
// Anthropic error shape Claude Code shows, with the reason kept for the log.
import type http from 'node:http';
import type { ErrorRequestHandler } from 'express';
import { sendAnthropicError } from './anthropic-error.js';
import type { Exchange } from './exchange.js';

interface BodyError {
  type?: string;
  status?: number;
  message?: string;
  limit?: number;
}

export function bodyErrors(exchangeOf: (req: http.IncomingMessage) => Exchange | undefined): ErrorRequestHandler {
  return (err: BodyError, req, res, _next) => {
    const exchange = exchangeOf(req);
    const note = (text: string): string => {
      if (exchange) exchange.note = text;
      return text;
    };
    if (err.type === 'entity.too.large') {
      return sendAnthropicError(res, 413, 'request_too_large', note(`request body is larger than the proxy's limit of ${err.limit} bytes; raise it with --max-body`));
    }
    if (err.type === 'encoding.unsupported') {
      return sendAnthropicError(res, 415, 'invalid_request_error', `unsupported Content-Encoding: ${err.message ?? ''}`);
    }
    if (err.type === 'body.budget') {
      return sendAnthropicError(res, 503, 'overloaded_error', note(`request body refused: ${err.message ?? ''}; try again shortly`));
    }
    if (err.type === 'request.aborted') return void res.destroy();
    const message = note(`llm-cache-proxy could not read the request: ${err.message ?? String(err)}`);
    sendAnthropicError(res, err.status && err.status >= 400 && err.status < 500 ? err.status : 400, 'invalid_request_error', message);
  };
}
