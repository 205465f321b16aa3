// Which conversation a request belongs to, from what Claude Code sends:
// the session header (stable across --resume), else the session id inside
// metadata.user_id, else the client and model. Within a session, each agent
// is a conversation of its own: since 2.1.268 a subagent's calls carry
// `x-claude-code-agent-id` (and `x-claude-code-parent-agent-id` when its
// parent is itself a subagent); the main agent sends neither.

type Headers = Record<string, string | string[] | undefined>;

const SESSION_HEADER = 'x-claude-code-session-id';
const AGENT_HEADER = 'x-claude-code-agent-id';
const PARENT_AGENT_HEADER = 'x-claude-code-parent-agent-id';
/** Between a session key and an agent id: no header value can hold it. */
const AGENT_SEPARATOR = '\u0000agent:';
const MAX_KEY_CHARS = 128;
const MAX_USER_ID_CHARS = 4096;
const SHORT_ID_CHARS = 6;
/** Older clients: `user_<hash>_account__session_<uuid>`. */
const LEGACY_SESSION = /session_([0-9A-Za-z-]{8,})$/;

function clean(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed.length > 0 ? trimmed.slice(0, MAX_KEY_CHARS) : null;
}

function headerValue(headers: Headers, name: string): string | null {
  const value = headers[name];
  return clean(Array.isArray(value) ? value[0] : value);
}

function sessionFromUserId(userId: string): string | null {
  if (userId.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(userId);
      if (typeof parsed === 'object' && parsed !== null) {
        return clean((parsed as Record<string, unknown>).session_id);
      }
    } catch {
      return null;
    }
    return null;
  }
  return clean(LEGACY_SESSION.exec(userId)?.[1]);
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

export function conversationKey(headers: Headers, body: unknown, client: string): string {
  const header = headerValue(headers, SESSION_HEADER);
  if (header !== null) return header;
  const userId = field(field(body, 'metadata'), 'user_id');
  // Bounded, since a client could send anything there; real ones are ~150 chars.
  const session = typeof userId === 'string' && userId.length <= MAX_USER_ID_CHARS ? sessionFromUserId(userId.trim()) : null;
  if (session !== null) return session;
  const model = field(body, 'model');
  return `${client}|${typeof model === 'string' ? model : ''}`;
}

/** A subagent's place in the agent tree; the main agent has none. */
export interface AgentRef {
  readonly id: string;
  /** The subagent that started this one; null when the main agent did. */
  readonly parent: string | null;
}

/** The agent a call comes from, by Claude Code's headers; null for the main agent and for clients older than 2.1.268. */
export function agentOf(headers: Headers): AgentRef | null {
  const id = headerValue(headers, AGENT_HEADER);
  if (id === null) return null;
  const parent = headerValue(headers, PARENT_AGENT_HEADER);
  return { id, parent: parent === id ? null : parent };
}

/** The conversation of one agent: the session's key for the main agent, the session plus the agent id for a subagent. */
export function agentConversationKey(sessionKey: string, agent: AgentRef | null): string {
  return agent === null ? sessionKey : `${sessionKey}${AGENT_SEPARATOR}${agent.id}`;
}

/** The session part of a conversation key (itself for the main agent's). */
export function sessionOfKey(key: string): string {
  const at = key.indexOf(AGENT_SEPARATOR);
  return at < 0 ? key : key.slice(0, at);
}

/** How an agent id is shown: its first characters, like a session's. */
export function shortAgentId(id: string): string {
  return /^[0-9a-z]{8}/i.test(id) ? id.slice(0, 8).toLowerCase() : fnv1a(id).toString(16).padStart(8, '0');
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * A short id to show for a conversation key: the first characters of a
 * session uuid, or a hash of anything else (so no client text is shown).
 */
export function shortSessionId(key: string): string {
  key = sessionOfKey(key);
  if (/^[0-9a-f]{6}/i.test(key)) return key.slice(0, SHORT_ID_CHARS).toLowerCase();
  return fnv1a(key).toString(16).padStart(8, '0').slice(0, SHORT_ID_CHARS);
}
