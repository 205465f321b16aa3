// Conversation affinity for routers: a router keeps a conversation on the
// engine that holds its cache when every request says which conversation it
// belongs to. The proxy adds that, as a key derived from the diagnostics'
// conversation key (a hash: no client identifier reaches a shared server),
// in the headers or cookies backends/router-affinity.ts names.
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { COOKIE } from '../backends/router-affinity.js';
import { agentConversationKey, agentOf, conversationKey } from '../diagnostics/conversation-key.js';
import { detach } from '../diagnostics/stored-prompt.js';
import { commonPrefixChars } from '../common-prefix.js';

/** The key a router sees: stable for a conversation, and revealing nothing of it. */
export function affinityKey(conversation: string): string {
  return createHash('sha256').update('llm-cache-proxy affinity\0').update(conversation).digest('hex').slice(0, 32);
}

/** A subagent goes where its parent's cache is only when most of its prompt is in it. */
const SHARED_FRACTION = 0.5;
/** Parents remembered for that comparison, least recently used out. */
const MAX_REMEMBERED = 32;
/** Characters of each remembered prompt: enough to see a shared prefix, bounded memory. */
const MAX_REMEMBERED_CHARS = 256 * 1024;

export interface AffinityCall {
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
  /** Who is calling, for conversations without a session id. */
  readonly client: string;
  /** The prompt as the backend renders it. */
  readonly promptText: string;
}

/**
 * Picks each call's key and remembers each conversation's last prompt, so a
 * subagent whose prompt begins with its parent's (a fork) follows the parent
 * to the engine that holds it, while one with a prompt of its own (Explore,
 * Plan) gets its own key and leaves the parent's cache alone.
 */
export class AffinityKeys {
  private readonly prompts = new Map<string, string>();
  /**
   * The choice made on a subagent's first call, kept for its later ones: a
   * conversation that changed keys midway would leave its cache behind (a
   * system message the backend lifts to the top can make a later call share
   * less with the parent than the first did).
   */
  private readonly chosen = new Map<string, string>();

  keyFor(call: AffinityCall): string {
    // The diagnostics' conversation of this agent (one function, so both follow the agent tree alike).
    const agent = agentOf(call.headers);
    const session = conversationKey(call.headers, call.body, call.client);
    const own = agentConversationKey(session, agent);
    let chosen = agent === null ? own : this.chosen.get(own);
    if (chosen === undefined && agent !== null) {
      const parent = agentConversationKey(session, agent.parent === null ? null : { id: agent.parent, parent: null });
      const parentPrompt = this.prompts.get(parent);
      chosen = parentPrompt !== undefined && commonPrefixChars(parentPrompt, call.promptText) >= SHARED_FRACTION * call.promptText.length ? parent : own;
      remember(this.chosen, own, chosen);
    }
    remember(this.prompts, own, detach(call.promptText.slice(0, MAX_REMEMBERED_CHARS)));
    return affinityKey(chosen ?? own);
  }
}

/** Sets `key` as the most recent entry, the least recent out past MAX_REMEMBERED. */
function remember(map: Map<string, string>, key: string, value: string): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value as string);
}

/** Header name/value pairs that carry `key` to the router, cookies merged into one Cookie header. */
export function affinityHeaders(targets: readonly string[], key: string, existingCookie: string | undefined): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  const cookies: string[] = [];
  for (const target of targets) {
    if (target.startsWith(COOKIE)) cookies.push(`${target.slice(COOKIE.length)}=${key}`);
    else headers.push([target, key]);
  }
  if (cookies.length > 0) headers.push(['cookie', [existingCookie, ...cookies].filter(Boolean).join('; ')]);
  return headers;
}
