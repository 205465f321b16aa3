// Recognises side calls by their shape: short single-purpose requests that
// are not the conversation. The `side-model` rule sends them to another
// model; the diagnostics keep them out of the conversation's history. The
// one measured (with the real client, and in the recorded session
// cc-2.1.139-interactive) is Claude Code 2.1.139's title call, sent ~10 ms
// before each prompt's first main call: `tools: []`, the prompt as its one
// message, an 838-character system prompt, no `thinking`, a JSON-schema
// `output_config.format`, and the same max_tokens (32,000) as a main call.
// Every recorded main and subagent call carries tools and asks for thinking.
//
// A side call has all of:
// - no tools;
// - exactly one message, a user one (no history);
// - a short system prompt (at most SIDE_CALL_MAX_SYSTEM_CHARS);
// and at least one sign of a single-purpose answer:
// - no thinking asked for (absent, or `disabled`);
// - a structured answer asked for (`output_config.format`);
// - a small output budget (max_tokens at most SIDE_CALL_MAX_TOKENS).

/** The title prompt is 838 characters; Claude Code's main one is 7–26 KB, a subagent's 3 KB with tools. */
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
  readonly thinking?: unknown;
  readonly output_config?: unknown;
}

export function isSideCall(body: SideCallShape): boolean {
  if (Array.isArray(body.tools) ? body.tools.length > 0 : body.tools !== undefined && body.tools !== null) return false;
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length !== 1) return false;
  const only: unknown = messages[0];
  if (!isRecord(only) || only.role !== 'user') return false;
  if (systemChars(body.system) > SIDE_CALL_MAX_SYSTEM_CHARS) return false;
  const noThinking = !isRecord(body.thinking) || body.thinking.type === 'disabled';
  const structured = isRecord(body.output_config) && body.output_config.format !== undefined && body.output_config.format !== null;
  const small = typeof body.max_tokens === 'number' && body.max_tokens <= SIDE_CALL_MAX_TOKENS;
  return noThinking || structured || small;
}
