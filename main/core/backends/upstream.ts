// The connection to the upstream: plain HTTP to a local engine, or TLS to a
// team's shared router or engine, with that server's own auth header set from
// the configuration (never from, nor shown to, the client); and which engine
// the settings say answers there. The proxy forwards over it and the backend
// monitor watches over it, so it lives here, below both.
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import type { BackendChoice } from './types.js';
import type { RouterFlavour } from '../wire/types.js';

/** Where the upstream is and how to reach it. */
export interface UpstreamConnection {
  /** The backend's base URL, e.g. http://127.0.0.1:11434. */
  readonly target: string;
  /** The upstream's own auth header, `Name: value`; never logged or shown. */
  readonly upstreamAuth?: string | undefined;
  /** PEM certificates to trust for an https target, besides the system's. */
  readonly upstreamCa?: string | undefined;
  /** Cache slots the backend holds, where it does not report them (OLLAMA_NUM_PARALLEL). */
  readonly slots?: number;
}

/** Which engine the backend monitor expects, as the settings say. */
export interface BackendSettings {
  readonly backend: BackendChoice;
  readonly routerFlavour: RouterFlavour | undefined;
}

/** A named router means the target is a router, unless the user named the engine too. */
export function backendFromSettings(backend: BackendChoice, router: RouterFlavour | null): BackendSettings {
  return { backend: backend === 'auto' && router !== null ? 'router' : backend, routerFlavour: router ?? undefined };
}

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
