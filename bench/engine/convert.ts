// An Anthropic /v1/messages body as Ollama's converter turns it into a chat
// request, followed from ollama/ollama anthropic/anthropic.go
// (FromMessagesRequest, convertMessage, convertToolResultContent, convertTool):
// - `system` text blocks joined with no separator into one leading system message;
// - a string content is one text block; per message, text blocks joined with no
//   separator; tool_result blocks become `tool` messages placed before the
//   user's own text; tool_use blocks become tool calls; the last non-empty
//   thinking block is kept as the message's `thinking` (each renderer decides
//   whether it prints it);
// - thinking: `enabled` → on, `disabled` → off, otherwise output_config.effort
//   high/medium/low/max (xhigh read as high) → that effort, else unset. Claude
//   Code 2.1.332 sends `adaptive` with effort `high`, so thinking is on.

export interface ToolCall {
  readonly name: string;
  /** The tool_use block's input, its keys in the order the client sent them. */
  readonly arguments: Readonly<Record<string, unknown>>;
}

export interface ChatMessage {
  readonly role: string;
  content: string;
  readonly thinking: string;
  readonly toolCalls: readonly ToolCall[];
}

export interface AnthropicTool {
  readonly name?: unknown;
  readonly description?: unknown;
  readonly input_schema?: unknown;
}

/** api.ThinkValue: unset, a switch, or an effort level. */
export type Think = boolean | 'high' | 'medium' | 'low' | 'max' | null;

export interface OllamaChat {
  readonly messages: readonly ChatMessage[];
  readonly tools: readonly AnthropicTool[];
  readonly think: Think;
}

export interface MessagesBody {
  readonly model?: unknown;
  readonly system?: unknown;
  readonly messages?: unknown;
  readonly tools?: unknown;
  readonly thinking?: unknown;
  readonly output_config?: unknown;
}

export class RenderError extends Error {}

interface AnthropicBlock {
  type?: unknown;
  text?: unknown;
  thinking?: unknown;
  name?: unknown;
  input?: unknown;
  content?: unknown;
}

function blocksOf(content: unknown): AnthropicBlock[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (Array.isArray(content)) return content.filter((b): b is AnthropicBlock => typeof b === 'object' && b !== null);
  throw new RenderError('message content must be a string or an array of blocks');
}

/** convertToolResultContent: a string, or its text blocks joined with no separator. */
function toolResultText(content: unknown): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((b: AnthropicBlock) => (b?.type === 'text' && typeof b.text === 'string' ? b.text : '')).join('');
  throw new RenderError('tool_result content must be a string or an array of blocks');
}

function message(role: string, content: string, thinking = '', toolCalls: ToolCall[] = []): ChatMessage {
  return { role, content, thinking, toolCalls };
}

/** convertMessage: one Anthropic message → Ollama chat messages. */
function convertMessage(raw: { role?: unknown; content?: unknown }): ChatMessage[] {
  if (typeof raw.role !== 'string') throw new RenderError('every message needs a role');
  const role = raw.role.toLowerCase();
  let text = '';
  let thinking = '';
  const toolCalls: ToolCall[] = [];
  const toolResults: ChatMessage[] = [];
  for (const block of blocksOf(raw.content)) {
    if (block.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (block.type === 'tool_use' || block.type === 'server_tool_use') {
      const input = typeof block.input === 'object' && block.input !== null && !Array.isArray(block.input) ? block.input as Record<string, unknown> : {};
      toolCalls.push({ name: String(block.name ?? ''), arguments: input });
    } else if (block.type === 'tool_result') toolResults.push(message('tool', toolResultText(block.content)));
    else if (block.type === 'thinking' && typeof block.thinking === 'string') thinking = block.thinking;
  }
  const out: ChatMessage[] = [];
  if (role === 'user') out.push(...toolResults);
  if (text.length > 0 || toolCalls.length > 0 || thinking !== '') out.push(message(role, text, thinking, toolCalls));
  if (role !== 'user') out.push(...toolResults);
  return out;
}

function thinkOf(body: MessagesBody): Think {
  const thinking = body.thinking as { type?: unknown } | undefined;
  if (thinking?.type === 'enabled') return true;
  if (thinking?.type === 'disabled') return false;
  const effort = (body.output_config as { effort?: unknown } | undefined)?.effort;
  if (typeof effort !== 'string') return null;
  const level = effort.trim().toLowerCase() === 'xhigh' ? 'high' : effort.trim().toLowerCase();
  return level === 'high' || level === 'medium' || level === 'low' || level === 'max' ? level : null;
}

/** The chat request Ollama builds from this /v1/messages body. */
export function convertRequest(body: MessagesBody): OllamaChat {
  if (!Array.isArray(body.messages)) throw new RenderError('messages: an array is required');
  const messages: ChatMessage[] = [];
  if (typeof body.system === 'string' && body.system !== '') messages.push(message('system', body.system));
  else if (Array.isArray(body.system)) {
    const text = body.system.map((b: AnthropicBlock) => (b?.type === 'text' && typeof b.text === 'string' ? b.text : '')).join('');
    if (text !== '') messages.push(message('system', text));
  }
  for (const m of body.messages) messages.push(...convertMessage(m as { role?: unknown; content?: unknown }));
  const tools = Array.isArray(body.tools) ? (body.tools as AnthropicTool[]) : [];
  return { messages, tools, think: thinkOf(body) };
}

/** api.ThinkValue.Bool(): an effort level counts as on. */
export function thinkOn(think: Think): boolean | null {
  if (think === null) return null;
  return think !== false;
}

/** Go's json.Marshal of decoded JSON: map keys sorted, `<`, `>`, `&` escaped. */
export function goJson(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (typeof v === 'object' && v !== null) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return JSON.stringify(sorted(value)).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

function blockChars(block: AnthropicBlock): number {
  let n = 0;
  if (typeof block.text === 'string') n += Buffer.byteLength(block.text);
  if (typeof block.thinking === 'string') n += Buffer.byteLength(block.thinking);
  if (block.type === 'tool_use' || block.type === 'tool_result') n += Buffer.byteLength(JSON.stringify(block));
  return n;
}

function contentChars(content: unknown): number {
  if (typeof content === 'string') return Buffer.byteLength(content);
  if (Array.isArray(content)) return content.reduce((n: number, b: unknown) => n + (typeof b === 'object' && b !== null ? blockChars(b as AnthropicBlock) : 0), 0);
  return 0;
}

/**
 * EstimateInputTokens: what Ollama's stream reports as input_tokens in
 * message_start, before the engine has counted: a quarter of the characters of
 * the system, the messages (with their roles) and the tools.
 */
export function estimateInputTokens(body: MessagesBody): number {
  let chars = contentChars(body.system);
  const messages = Array.isArray(body.messages) ? body.messages as { role?: unknown; content?: unknown }[] : [];
  for (const m of messages) chars += (typeof m.role === 'string' ? m.role.length : 0) + contentChars(m.content);
  for (const t of Array.isArray(body.tools) ? body.tools as AnthropicTool[] : []) {
    chars += String(t.name ?? '').length + String(t.description ?? '').length + (t.input_schema === undefined ? 0 : JSON.stringify(t.input_schema).length);
  }
  const tokens = Math.floor(chars / 4);
  return tokens === 0 && (messages.length > 0 || body.system !== undefined) ? 1 : tokens;
}
