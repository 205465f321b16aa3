// Recognises side calls by their shape: short single-purpose requests that
// are not the conversation, like Claude Code 2.1.139's title generation
// (DESIGN §5), sent ~10 ms before each prompt's first main call. A main call
// always carries the client's tools (even `--bare` sends three) and, after
// its first turn, a history; it asks for tens of thousands of output tokens.
// A side call has:
// - no tools;
// - exactly one message, a user one (no history);
// - a short system prompt (SIDE_CALL_MAX_SYSTEM_CHARS);
// - a small output budget (SIDE_CALL_MAX_TOKENS), when it states one.

/** Title and quick-question prompts are a few hundred characters; Claude Code's main one is kilobytes. */
export const SIDE_CALL_MAX_SYSTEM_CHARS = 4096;
/** A title asks for a handful of words; main calls ask for 32,000 by default. */
export const SIDE_CALL_MAX_TOKENS = 8192;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function systemChars(system: unknown): number {
  if (typeof system === 'string') return system.length;
  if (!Array.isArray(system)) return 0;
  let chars = 0;
  for (const block of system) if (isRecord(block) && typeof block.text === 'string') chars += block.text.length;
  return chars;
}

/** The members of a body this looks at; a parsed body will do. */
export interface SideCallShape {
  readonly tools?: unknown;
  readonly messages?: unknown;
  readonly system?: unknown;
  readonly max_tokens?: unknown;
}

export function isSideCall(body: SideCallShape): boolean {
  if (Array.isArray(body.tools) ? body.tools.length > 0 : body.tools !== undefined && body.tools !== null) return false;
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length !== 1) return false;
  const only: unknown = messages[0];
  if (!isRecord(only) || only.role !== 'user') return false;
  if (systemChars(body.system) > SIDE_CALL_MAX_SYSTEM_CHARS) return false;
  const maxTokens = body.max_tokens;
  return maxTokens === undefined || (typeof maxTokens === 'number' && maxTokens <= SIDE_CALL_MAX_TOKENS);
}
