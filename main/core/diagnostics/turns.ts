// Tells a user turn from the model calls inside it. Within a turn the model
// may call tools several times: each tool result goes back as a new call
// whose last message is a user message holding only tool_result blocks
// (plus, from Claude Code, `<system-reminder>` notes). A user turn begins
// when the last message carries text the user wrote.
//
// Definition: a call opens a user turn when its last message that is not a
// `role: "system"` one is a user message with text that is not wholly made
// of `<system-reminder>…</system-reminder>` notes.
import { isRecord } from './render.js';

const REMINDER = /<system-reminder>[\s\S]*?<\/system-reminder>/g;

function isUserText(text: unknown): boolean {
  return typeof text === 'string' && text.replace(REMINDER, '').trim().length > 0;
}

export function startsUserTurn(body: unknown): boolean {
  const messages = isRecord(body) ? body.messages : undefined;
  if (!Array.isArray(messages)) return true;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message: unknown = messages[i];
    if (!isRecord(message)) continue;
    if (message.role === 'system') continue;
    if (message.role !== 'user') return false;
    if (typeof message.content === 'string') return isUserText(message.content);
    if (!Array.isArray(message.content)) return false;
    return message.content.some((block) => isRecord(block) && block.type === 'text' && isUserText(block.text));
  }
  return true;
}
