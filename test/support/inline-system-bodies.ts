// Claude Code 2.1.332-shaped bodies, as measured with that client: `role: "system"` entries
// inside `messages`, the first-turn `# Environment` message at messages[1]
// (with cache_control), and with CLAUDE_CODE_TOTAL_TOKENS_REMINDER=countdown
// a new `<total_tokens>… tokens left</total_tokens>` system message after
// every tool result. Built on claude-code-bodies.ts, so the system prompt and
// tools are the realistic ones.
import { conversation, fullRequest, type MessagesRequest } from './claude-code-bodies.js';

export type InlineMessage = { role: 'user' | 'assistant' | 'system'; content: unknown };

export const ENVIRONMENT = '# Environment\nYou have been invoked in the following environment:\n - Primary working directory: /home/user/project\n - Is a git repository: true\n - Platform: linux';

export function tokensLeft(n: number): string {
  return `<total_tokens>${n} tokens left</total_tokens>`;
}

/**
 * The messages of call `calls` (1-based) of a countdown tool loop: the user's
 * prompt, the environment message, then per tool round trip the assistant's
 * call, the user's result and a fresh countdown system message.
 */
export function countdownMessages(calls: number, resultBytes = 3000): InlineMessage[] {
  const [first, ...turns] = conversation(calls - 1, resultBytes) as InlineMessage[];
  const messages: InlineMessage[] = [first!, { role: 'system', content: ENVIRONMENT }];
  let results = 0;
  for (const message of turns) {
    messages.push(message);
    if (message.role === 'user') messages.push({ role: 'system', content: tokensLeft(987_633 - 1000 * results++) });
  }
  return messages;
}

/** A full request with these messages (inline system entries and all). */
export function inlineRequest(messages: InlineMessage[], options: Parameters<typeof fullRequest>[0] = {}): MessagesRequest {
  return { ...fullRequest(options), messages: messages as MessagesRequest['messages'] };
}

/**
 * What a fold in place makes of inline system messages: each becomes a
 * `<system-reminder>` text block at the end of the user message before it
 * (tool results stay first). A stand-in for the `rewrite` engineer's rule, so
 * these tests hold the diagnostics, not the rule, to account.
 */
export function foldedInPlace(messages: readonly InlineMessage[]): InlineMessage[] {
  const out: InlineMessage[] = [];
  for (const message of messages) {
    if (message.role !== 'system') {
      out.push({ ...message, content: Array.isArray(message.content) ? [...message.content] : message.content });
      continue;
    }
    const previous = out[out.length - 1]!;
    const blocks = typeof previous.content === 'string' ? [{ type: 'text', text: previous.content }] : previous.content as unknown[];
    previous.content = [...blocks, { type: 'text', text: `<system-reminder>\n${String(message.content)}\n</system-reminder>` }];
  }
  return out;
}
