// Everything under /_proxy is the proxy's own: its pages and APIs answer
// there, and nothing under it is ever forwarded to the backend, whatever the
// path or method.
import type express from 'express';
import { sendAnthropicError } from './anthropic-error.js';

const OWN_PREFIX = '/_proxy';

/** The proxy's own endpoints that answer GET (and HEAD) only. */
const OWN_GET_PATHS = new Set(['/_proxy/status', '/_proxy/events', '/_proxy/ui', '/_proxy/ui/']);

/** What no route under /_proxy answers is a 404, a known path with another method a 405. */
export function ownRoutesOnly(router: express.Router): express.RequestHandler {
  return (req, res, next) => {
    if (!req.url.startsWith(OWN_PREFIX)) return next();
    // JSON and event streams are not for a browser to guess into something else.
    res.setHeader('x-content-type-options', 'nosniff');
    router(req, res, (err?: unknown) => {
      if (err) return next(err);
      const path = req.url.split('?')[0] ?? '';
      if (OWN_GET_PATHS.has(path)) {
        res.setHeader('allow', 'GET, HEAD');
        return sendAnthropicError(res, 405, 'invalid_request_error', `${req.method} is not allowed on ${path}; use GET`);
      }
      sendAnthropicError(res, 404, 'not_found_error', `llm-cache-proxy has no endpoint ${path}`);
    });
  };
}
