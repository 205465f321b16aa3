// Who may talk to the proxy. Ollama defends itself against DNS rebinding by
// checking Host, but a forwarding proxy that rewrites Host defeats that, so the
// proxy has to do the check itself — and refuse browsers outright, because
// a web page has no business driving a local model with the user's prompts.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface GuardPolicy {
  /** Host names accepted besides the loopback names (lower case, no port). */
  readonly allowHosts: readonly string[];
  /** Browser origins accepted: the proxy's own pages plus any the user allowed. */
  readonly allowOrigins: readonly string[];
  /** When set, every request must carry it as a Bearer token or x-api-key. */
  readonly token: string | undefined;
}

export type GuardVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 401 | 403; readonly reason: string };

/** `Host: name[:port]` → `name`, with IPv6 literals kept in brackets. */
export function hostName(hostHeader: string): string {
  const host = hostHeader.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** The origins a browser uses for pages the proxy serves itself (its UI). */
export function ownOrigins(port: number): string[] {
  return [...LOOPBACK_NAMES].map((name) => `http://${name}:${port}`);
}

/** Where the proxy listens and whom the user allowed besides. */
export interface GuardSettings {
  readonly host: string;
  readonly allowHosts?: readonly string[];
  readonly allowOrigins?: readonly string[];
  readonly token?: string | undefined;
}

/** The policy of a proxy listening on `port`: its own origins name the port it is bound to. */
export function guardPolicy(settings: GuardSettings, port: number): GuardPolicy {
  const { allowHosts = [], allowOrigins = [], token, host } = settings;
  const hosts = allowHosts.map((h) => h.toLowerCase());
  // Binding to a specific LAN address implies clients will use that address.
  if (host !== '0.0.0.0' && host !== '::') hosts.push(host.includes(':') ? `[${host.toLowerCase()}]` : host.toLowerCase());
  return {
    allowHosts: hosts,
    allowOrigins: [...ownOrigins(port), ...allowOrigins.map((o) => o.toLowerCase())],
    token: token ? token : undefined,
  };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token a client presented, from `Authorization: Bearer` or `x-api-key`. */
export function presentedToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

export function checkRequest(headers: IncomingHttpHeaders, policy: GuardPolicy): GuardVerdict {
  const host = headers.host;
  if (!host) return { ok: false, status: 403, reason: 'request has no Host header' };
  const name = hostName(host);
  if (!LOOPBACK_NAMES.has(name) && !policy.allowHosts.includes(name)) {
    return { ok: false, status: 403, reason: `Host "${name}" is not allowed (DNS-rebinding protection); add it with --allow-host if you meant it` };
  }
  const origin = headers.origin;
  if (origin !== undefined && !policy.allowOrigins.includes(origin.toLowerCase())) {
    return { ok: false, status: 403, reason: `browser Origin "${origin}" is not allowed; add it with --allow-origin if you meant it` };
  }
  if (policy.token !== undefined) {
    const given = presentedToken(headers);
    if (given === undefined || !sameSecret(given, policy.token)) {
      return { ok: false, status: 401, reason: 'missing or wrong token: send it as "Authorization: Bearer <token>" or "x-api-key"' };
    }
  }
  return { ok: true };
}
