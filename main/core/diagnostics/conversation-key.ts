// Which conversation a request belongs to, from what Claude Code sends:
// the session header (stable across --resume), else the session id inside
// metadata.user_id, else the client and model.

type Headers = Record<string, string | string[] | undefined>;

const SESSION_HEADER = 'x-claude-code-session-id';
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
  if (/^[0-9a-f]{6}/i.test(key)) return key.slice(0, SHORT_ID_CHARS).toLowerCase();
  return fnv1a(key).toString(16).padStart(8, '0').slice(0, SHORT_ID_CHARS);
}
