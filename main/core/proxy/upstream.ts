// The connection to the upstream: plain HTTP to a local engine, or TLS to a
// team's shared router or engine, with that server's own auth header set from
// the configuration (never from, nor shown to, the client).
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

/** A kept-alive agent for the target: reusing connections is most of the proxy's speed on small calls. */
export function upstreamAgent(target: string, ca: string | undefined, keepAlive = true): http.Agent {
  if (!target.startsWith('https:')) return new http.Agent({ keepAlive, scheduling: 'lifo' });
  // A private CA adds to the system's roots rather than replacing them.
  return new https.Agent({ keepAlive, scheduling: 'lifo', ...(ca ? { ca: [...rootCertificates, ca] } : {}) });
}

/**
 * `--upstream-auth`: a whole header (`x-api-key: sk-…`, `Authorization: Bearer …`),
 * or a bare token sent as `Authorization: Bearer <token>`. Throws with a
 * message that never repeats the value.
 */
export function parseUpstreamAuth(text: string): [name: string, value: string] {
  const colon = text.indexOf(':');
  const name = colon > 0 ? text.slice(0, colon).trim().toLowerCase() : 'authorization';
  const secret = colon > 0 ? text.slice(colon + 1).trim() : text.trim();
  const value = colon > 0 ? secret : `Bearer ${secret}`;
  if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name) || secret === '' || /[\r\n]/.test(value)) {
    throw new Error('--upstream-auth must be a header like "Authorization: Bearer <key>" or a bare token');
  }
  return [name, value];
}
