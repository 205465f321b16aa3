// Where each router reads a conversation's affinity key, and the check of a
// header (or cookie) named by the user. The settings, the CLI's flags and the
// proxy all read these, so they live with the backends, below all three.
//
// Presets, from each router's source and docs:
// - NVIDIA Dynamo: `x-dynamo-session-id` (with --router-session-affinity-ttl-secs on its frontend);
// - SGLang Model Gateway: `X-SMG-Routing-Key` (policies consistent_hashing or manual);
// - vLLM production-stack: session routing reads the header named by its --session-key,
//   `x-user-id` in its tutorials;
// - llm-d: the `llm-d-session` cookie (session-id-producer with cookieName: llm-d-session).
import type { RouterFlavour } from '../wire/types.js';

export const ROUTER_AFFINITY: Readonly<Record<RouterFlavour, string>> = {
  dynamo: 'x-dynamo-session-id',
  sglang: 'x-smg-routing-key',
  'vllm-router': 'x-user-id',
  'llm-d': 'cookie:llm-d-session',
};

export const COOKIE = 'cookie:';
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the proxy owns on the way upstream; an affinity key must not replace them. */
const RESERVED = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'authorization', 'x-api-key', 'accept-encoding']);

/** A header name, or `cookie:NAME` for a cookie; lower-cased. Throws with a message fit for a flag error. */
export function parseAffinityTarget(text: string): string {
  const value = text.trim().toLowerCase();
  const name = value.startsWith(COOKIE) ? value.slice(COOKIE.length) : value;
  if (!TOKEN.test(name)) throw new Error(`--affinity-header must be a header name like x-dynamo-session-id (or cookie:NAME), got "${text}"`);
  if (!value.startsWith(COOKIE) && RESERVED.has(name)) throw new Error(`--affinity-header cannot replace the ${name} header`);
  return value;
}

/** Validated, de-duplicated affinity targets: the named router's own, then the extra ones. */
export function affinityTargets(extra: readonly string[], router: RouterFlavour | null): string[] {
  const all = [...(router === null ? [] : [ROUTER_AFFINITY[router]]), ...extra.map(parseAffinityTarget)];
  return [...new Set(all)];
}
