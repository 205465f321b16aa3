// Independent references of what Ollama renders from an Anthropic body, per
// renderer family, written from its source (anthropic/anthropic.go
// FromMessagesRequest and convertMessage; template/template.go collate;
// model/renderers/qwen3coder.go; model/renderers/qwen35.go), to hold the
// proxy's fold and its diagnostics to account. Tool definitions render as
// their JSON, one a line: about the size the renderers give them, and a
// stable part of the prompt that does not decide where two calls part.
import type { PromptFamily } from '../../main/core/backends/renderer.js';

type Block = { type?: string; text?: string; thinking?: string; content?: unknown; name?: string; input?: unknown };
interface Body { system?: unknown; messages?: { role?: string; content?: unknown }[]; tools?: unknown[]; thinking?: { type?: string } }
interface Message { role: string; content: string; thinking: string; calls: string[] }

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Block[]).map((block) => (block.type === 'text' ? block.text ?? '' : '')).join('');
}

/** anthropic.go: the top-level system as one system message, then each message (tool results as `tool` messages). */
function convert(body: Body): Message[] {
  const out: Message[] = [];
  const system = textOf(body.system);
  if (system !== '') out.push({ role: 'system', content: system, thinking: '', calls: [] });
  for (const message of body.messages ?? []) {
    const role = (message.role ?? '').toLowerCase();
    const blocks: Block[] = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : (message.content as Block[] | undefined) ?? [];
    const results = blocks.filter((b) => b.type === 'tool_result')
      .map((b) => ({ role: 'tool', content: typeof b.content === 'string' ? b.content : textOf(b.content), thinking: '', calls: [] }));
    const own: Message = { role, content: '', thinking: '', calls: [] };
    for (const b of blocks) {
      if (b.type === 'text') own.content += b.text ?? '';
      else if (b.type === 'thinking') own.thinking = b.thinking ?? '';
      else if (b.type === 'tool_use') own.calls.push(`${b.name ?? ''}(${JSON.stringify(b.input ?? {})})`);
    }
    const hasOwn = own.content !== '' || own.thinking !== '' || own.calls.length > 0;
    if (role === 'user') out.push(...results, ...(hasOwn ? [own] : []));
    else out.push(...(hasOwn ? [own] : []), ...results);
  }
  return out;
}

const turn = (role: string, content: string): string => `<|im_start|>${role}\n${content}<|im_end|>\n`;
const calls = (m: Message): string => m.calls.map((c) => `\n<tool_call>${c}</tool_call>`).join('');
const tools = (body: Body): string => `\n# Tools\n<tools>\n${(body.tools ?? []).map((t) => JSON.stringify(t)).join('\n')}\n</tools>`;

/** template.go collate: every system message into the first, consecutive same-role messages merged. */
function renderTemplate(body: Body, messages: readonly Message[]): string {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
  const rest: Message[] = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    const last = rest[rest.length - 1];
    if (last && last.role === m.role && m.role !== 'tool') rest[rest.length - 1] = { ...last, content: `${last.content}\n\n${m.content}`, calls: [...last.calls, ...m.calls] };
    else rest.push(m);
  }
  return turn('system', system + tools(body)) + rest.map((m) => turn(m.role, m.content + calls(m))).join('');
}

/** qwen3coder.go: the first system message wins, the rest are dropped; no reasoning. */
function renderQwen3Coder(body: Body, messages: readonly Message[]): string {
  const system = messages.find((m) => m.role === 'system')?.content ?? '';
  return turn('system', system + tools(body)) + messages.filter((m) => m.role !== 'system').map((m) => turn(m.role, m.content + calls(m))).join('');
}

/** qwen35.go: later system messages in place; think blocks only after the last user query, with thinking on. */
function renderQwen35(body: Body, messages: readonly Message[]): string {
  const first = messages[0]?.role === 'system' ? messages[0] : null;
  const rest = first ? messages.slice(1) : messages;
  let lastQuery = rest.length - 1;
  for (let i = rest.length - 1; i >= 0; i--) {
    if (rest[i]!.role === 'user') {
      lastQuery = i;
      break;
    }
  }
  const thinking = body.thinking?.type !== 'disabled';
  const out = rest.map((m, i) => {
    if (m.role !== 'assistant') return turn(m.role, m.content);
    const think = thinking && i > lastQuery ? `<think>\n${m.thinking.trim()}\n</think>\n\n` : '';
    return turn('assistant', think + m.content + calls(m));
  });
  return turn('system', tools(body) + (first ? `\n\n${first.content.trim()}` : '')) + out.join('');
}

export function renderAs(family: PromptFamily, body: Body): string {
  const messages = convert(body);
  if (family === 'qwen3-coder') return renderQwen3Coder(body, messages);
  if (family === 'qwen3.5') return renderQwen35(body, messages);
  return renderTemplate(body, messages);
}
