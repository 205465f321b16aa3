// The prompt text Ollama builds from an Anthropic /v1/messages body, so the
// engine's tokens (and so its cache reuse) match what a user's Ollama sees.
// Followed from ollama/ollama (fb30760, Aug 2026):
// - anthropic/anthropic.go FromMessagesRequest/convertMessage: `system` text
//   blocks joined with no separator into one leading system message; a string
//   content is one text block; per message, text blocks joined with no
//   separator; tool_result blocks become `tool` messages placed before the
//   user's own text; tool_use blocks become tool calls; thinking is kept on the
//   message (and then dropped by the template, which never prints it).
// - template/template.go collate: every `system` message, wherever it stands,
//   joined with "\n\n" into the one system prompt at the top; consecutive
//   messages of the same role (except `tool`) merged with "\n\n".
// - the Qwen 2.5 chat template from Ollama's library (ChatML with a `# Tools`
//   section listing each tool as JSON), the family most people run Claude Code
//   on; system messages are not rendered in place (the template has no branch
//   for them), and the turn ends with `<|im_start|>assistant\n`.

interface ChatMessage {
  role: string;
  content: string;
  toolCalls: { name: string; arguments: unknown }[];
}

interface AnthropicBlock {
  type?: unknown;
  text?: unknown;
  name?: unknown;
  input?: unknown;
  content?: unknown;
}

export class RenderError extends Error {}

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

/** convertMessage: one Anthropic message → Ollama chat messages. */
function convertMessage(message: { role?: unknown; content?: unknown }): ChatMessage[] {
  if (typeof message.role !== 'string') throw new RenderError('every message needs a role');
  const role = message.role.toLowerCase();
  let text = '';
  let thinking = false;
  const toolCalls: ChatMessage['toolCalls'] = [];
  const toolResults: ChatMessage[] = [];
  for (const block of blocksOf(message.content)) {
    if (block.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (block.type === 'tool_use' || block.type === 'server_tool_use') toolCalls.push({ name: String(block.name ?? ''), arguments: block.input ?? {} });
    else if (block.type === 'tool_result') toolResults.push({ role: 'tool', content: toolResultText(block.content), toolCalls: [] });
    else if (block.type === 'thinking') thinking = true;
  }
  const out: ChatMessage[] = [];
  if (role === 'user') out.push(...toolResults);
  if (text.length > 0 || toolCalls.length > 0 || thinking) out.push({ role, content: text, toolCalls });
  if (role !== 'user') out.push(...toolResults);
  return out;
}

/** collate: the joined system prompt, and the rest with same-role runs merged. */
function collate(messages: readonly ChatMessage[]): { system: string; collated: ChatMessage[] } {
  const system: string[] = [];
  const collated: ChatMessage[] = [];
  for (const m of messages) {
    if (m.role === 'system') system.push(m.content);
    const last = collated[collated.length - 1];
    if (last !== undefined && last.role === m.role && m.role !== 'tool') {
      last.content += '\n\n' + m.content;
    } else {
      collated.push({ ...m, toolCalls: [...m.toolCalls] });
    }
  }
  return { system: system.join('\n\n'), collated };
}

/** Go's json.Marshal: map keys sorted, `<`, `>`, `&` escaped. */
function goJson(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (typeof v === 'object' && v !== null) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return JSON.stringify(sorted(value)).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** api.ToolFunction as the template prints it: name, description, then the schema. */
function toolJson(tool: { name?: unknown; description?: unknown; input_schema?: unknown }): string {
  const head = JSON.stringify({ name: tool.name, description: tool.description }).slice(0, -1);
  return `{"type": "function", "function": ${head},"parameters":${goJson(tool.input_schema ?? {})}}}`;
}

function renderTools(tools: readonly { name?: unknown; description?: unknown; input_schema?: unknown }[]): string {
  return (
    '\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n' +
    'You are provided with function signatures within <tools></tools> XML tags:\n<tools>' +
    tools.map((t) => '\n' + toolJson(t)).join('') +
    '\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n' +
    '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
  );
}

/** The prompt Ollama would tokenize for this /v1/messages body. */
export function renderPrompt(body: { system?: unknown; messages?: unknown; tools?: unknown }): string {
  if (!Array.isArray(body.messages)) throw new RenderError('messages: an array is required');
  const messages: ChatMessage[] = [];
  if (typeof body.system === 'string' && body.system !== '') messages.push({ role: 'system', content: body.system, toolCalls: [] });
  else if (Array.isArray(body.system)) {
    const text = body.system.map((b: AnthropicBlock) => (b?.type === 'text' && typeof b.text === 'string' ? b.text : '')).join('');
    if (text !== '') messages.push({ role: 'system', content: text, toolCalls: [] });
  }
  for (const m of body.messages) messages.push(...convertMessage(m as { role?: unknown; content?: unknown }));
  const tools = Array.isArray(body.tools) ? (body.tools as { name?: unknown }[]) : [];
  const { system, collated } = collate(messages);

  let out = '';
  if (system !== '' || tools.length > 0) {
    out += '<|im_start|>system';
    if (system !== '') out += '\n' + system;
    if (tools.length > 0) out += renderTools(tools);
    out += '<|im_end|>\n';
  }
  collated.forEach((m, i) => {
    const last = i === collated.length - 1;
    if (m.role === 'user') out += `<|im_start|>user\n${m.content}<|im_end|>\n`;
    else if (m.role === 'assistant') {
      out += '<|im_start|>assistant\n';
      if (m.content !== '') out += m.content;
      else if (m.toolCalls.length > 0) {
        out += '<tool_call>\n' + m.toolCalls.map((c) => `{"name": "${c.name}", "arguments": ${goJson(c.arguments)}}\n`).join('') + '</tool_call>';
      }
      if (!last) out += '<|im_end|>\n';
    } else if (m.role === 'tool') out += `<|im_start|>user\n<tool_response>\n${m.content}\n</tool_response><|im_end|>\n`;
    if (m.role !== 'assistant' && last) out += '<|im_start|>assistant\n';
  });
  return out;
}
