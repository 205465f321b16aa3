// What Ollama's Anthropic endpoint makes of a request before it tokenizes it,
// as its source (anthropic.go, template.go) does it: the top-level `system` text blocks joined with no
// separator, every `role: "system"` message lifted into that one system
// prompt at the top (joined with "\n\n", as template.go's collate does), tool
// results as messages of their own, consecutive same-role messages merged,
// then a ChatML-like template. Tests compare these prompts call to call: what
// a backend that lifts system messages can reuse of its cache.

type Block = { type?: string; text?: string; content?: unknown; name?: string; input?: unknown };
type Message = { role?: string; content?: string | Block[] };

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Block[]).map((block) => (block.type === 'text' ? block.text ?? '' : textOf(block.content))).join('');
}

/** One Anthropic message as Ollama's converter splits it: tool results first, then the rest. */
function convert(message: Message): { role: string; content: string }[] {
  const role = message.role ?? 'user';
  if (typeof message.content === 'string' || role === 'system') return [{ role, content: textOf(message.content) }];
  const blocks = message.content ?? [];
  const out = blocks.filter((block) => block.type === 'tool_result').map((block) => ({ role: 'tool', content: textOf(block.content) }));
  const rest = blocks.filter((block) => block.type !== 'tool_result')
    .map((block) => (block.type === 'tool_use' ? `<tool_call>${JSON.stringify({ name: block.name, arguments: block.input })}</tool_call>` : block.text ?? ''))
    .join('');
  if (rest !== '' || out.length === 0) out.push({ role, content: rest });
  return out;
}

export function renderLikeOllama(body: { system?: unknown; messages?: Message[] }): string {
  const systems = [textOf(body.system)];
  const turns: { role: string; content: string }[] = [];
  for (const message of body.messages ?? []) {
    for (const converted of convert(message)) {
      if (converted.role === 'system') systems.push(converted.content);
      else if (turns.at(-1)?.role === converted.role) turns.at(-1)!.content += `\n\n${converted.content}`;
      else turns.push(converted);
    }
  }
  const all = [{ role: 'system', content: systems.filter((s) => s !== '').join('\n\n') }, ...turns];
  return all.map(({ role, content }) => `<|im_start|>${role}\n${content}<|im_end|>\n`).join('');
}

/** The share of `previous` that `next` begins with: what one cache slot holding `previous` can reuse. */
export function reusedShare(previous: string, next: string): number {
  const limit = Math.min(previous.length, next.length);
  let i = 0;
  while (i < limit && previous.charCodeAt(i) === next.charCodeAt(i)) i++;
  return previous.length === 0 ? 1 : i / previous.length;
}
