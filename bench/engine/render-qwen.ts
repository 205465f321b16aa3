// Ollama's two built-in renderers for the Qwen models people run Claude Code
// on, followed from ollama/ollama (fb30760, Aug 2026). Their handling of
// `role: "system"` messages inside the conversation is what decides reuse:
// - model/renderers/qwen3coder.go (`qwen3-coder`): the first system message
//   wins and every later one is dropped; thinking is never printed.
// - model/renderers/qwen35.go (`qwen3.5`, also what Qwen 3.6 models name): a
//   system message other than the first is rendered in place; an assistant
//   message's reasoning is printed (`<think>…</think>`) only after the last
//   real user query, so a new user prompt strips it from the previous turn;
//   every message's text is trimmed; thinking is on unless the request turns it off.
// Tools are projected through Ollama's api.Tool structs first (convertTool), so
// schema keys those structs lack (default, minimum, $schema…) never reach the prompt.
import { goJson, thinkOn, type AnthropicTool, type ChatMessage, type OllamaChat } from './convert.js';
import { withJsonSpaces } from '../../main/core/diagnostics/render-tools.js';

const IM_START = '<|im_start|>';
const IM_END = '<|im_end|>';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Decoded JSON as Go re-marshals an `any`: map keys sorted at every level. */
function goAny(v: unknown): unknown {
  return JSON.parse(goJson(v)) as unknown;
}

/** api.PropertyType: a string or a list of them; one type marshals as a string. */
function propertyType(t: unknown): string[] {
  if (typeof t === 'string') return [t];
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === 'string');
  return [];
}

/** api.ToolProperty, fields in its declaration order, empty ones left out. */
function toolProperty(p: unknown): Json {
  const src = isObject(p) ? p : {};
  const out: Json = {};
  if (Array.isArray(src['anyOf']) && src['anyOf'].length > 0) out['anyOf'] = src['anyOf'].map(toolProperty);
  const type = propertyType(src['type']);
  if (type.length > 0) out['type'] = type.length === 1 ? type[0] : type;
  if (src['items'] !== undefined && src['items'] !== null) out['items'] = goAny(src['items']);
  if (typeof src['description'] === 'string' && src['description'] !== '') out['description'] = src['description'];
  if (Array.isArray(src['enum']) && src['enum'].length > 0) out['enum'] = goAny(src['enum']);
  if (isObject(src['properties'])) out['properties'] = properties(src['properties']);
  if (Array.isArray(src['required']) && src['required'].length > 0) out['required'] = src['required'];
  return out;
}

/** api.ToolPropertiesMap: an ordered map, in the client's key order. */
function properties(src: Json): Json {
  return Object.fromEntries(Object.entries(src).map(([k, v]) => [k, toolProperty(v)]));
}

/** api.ToolFunctionParameters: type, $defs, items, required, properties (null when absent). */
function toolParameters(schema: unknown): Json {
  const src = isObject(schema) ? schema : {};
  const out: Json = { type: typeof src['type'] === 'string' ? src['type'] : '' };
  if (src['$defs'] !== undefined && src['$defs'] !== null) out['$defs'] = goAny(src['$defs']);
  if (src['items'] !== undefined && src['items'] !== null) out['items'] = goAny(src['items']);
  if (Array.isArray(src['required']) && src['required'].length > 0) out['required'] = src['required'];
  out['properties'] = isObject(src['properties']) ? properties(src['properties']) : null;
  return out;
}

/** json.Marshal of a struct we built in field order: `<`, `>`, `&` escaped as Go does. */
function goMarshal(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** formatToolCallArgument: strings raw, objects and arrays as JSON, the rest as Go's %v. */
function toolCallArgument(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return goJson(value);
  return String(value);
}

/** formatToolDefinitionType: one type bare, several as a JSON list. */
function definitionType(type: unknown): string {
  if (typeof type === 'string') return type;
  return Array.isArray(type) ? (type.length === 0 ? '[]' : JSON.stringify(type)) : '[]';
}

/**
 * renderAdditionalKeys: every field but the handled ones, `\n<key>value</key>`.
 * Ollama walks a Go map here, whose order Go randomises, so a property with
 * two or more such keys (items and enum, say) can print in another order on
 * another call; we print them sorted, one of the orders Ollama may print.
 */
function additionalKeys(obj: Json, handled: ReadonlySet<string>): string {
  let out = '';
  for (const key of Object.keys(obj).sort()) {
    const value = obj[key];
    if (handled.has(key) || value === null || value === undefined) continue;
    out += typeof value === 'object' ? `\n<${key}>${goJson(value)}</${key}>` : `\n<${key}>${String(value)}</${key}>`;
  }
  return out;
}

const QWEN3_CODER_DEFAULT_SYSTEM = 'You are Qwen, a helpful AI assistant that can interact with a computer to solve tasks.';

const TOOL_FORMAT_NOTE = '\n\nIf you choose to call a function ONLY reply in the following format with NO suffix:\n\n<tool_call>\n<function=example_function_name>\n<parameter=example_parameter_1>\nvalue_1\n</parameter>\n<parameter=example_parameter_2>\nThis is the value for the second parameter\nthat can span\nmultiple lines\n</parameter>\n</function>\n</tool_call>\n\n<IMPORTANT>\nReminder:\n- Function calls MUST follow the specified format: an inner <function=...></function> block must be nested within <tool_call></tool_call> XML tags\n- Required parameters MUST be specified\n- You may provide optional reasoning for your function call in natural language BEFORE the function call, but NOT after\n- If there is no function call available, answer the question like normal with your current knowledge and do not tell the user about function calls\n</IMPORTANT>';

const CODER_HANDLED_PROPERTY = new Set(['type', 'description']);
const CODER_HANDLED_PARAMETERS = new Set(['type', 'properties']);

function coderTool(tool: AnthropicTool): string {
  const params = toolParameters(tool.input_schema);
  let out = `\n<function>\n<name>${String(tool.name ?? '')}</name>`;
  if (typeof tool.description === 'string' && tool.description !== '') out += `\n<description>${tool.description}</description>`;
  out += '\n<parameters>';
  for (const [name, prop] of Object.entries((params['properties'] ?? {}) as Record<string, Json>)) {
    out += `\n<parameter>\n<name>${name}</name>`;
    if (prop['type'] !== undefined) out += `\n<type>${definitionType(prop['type'])}</type>`;
    if (typeof prop['description'] === 'string') out += `\n<description>${prop['description']}</description>`;
    out += additionalKeys(prop, CODER_HANDLED_PROPERTY) + '\n</parameter>';
  }
  return out + additionalKeys(params, CODER_HANDLED_PARAMETERS) + '\n</parameters>\n</function>';
}

/** model/renderers/qwen3coder.go Render. */
export function renderQwen3Coder(chat: OllamaChat): string {
  let system = '';
  const rest: ChatMessage[] = [];
  for (const m of chat.messages) {
    if (m.role !== 'system') rest.push(m);
    else if (system === '') system = m.content;
  }
  let out = '';
  if (system !== '' || chat.tools.length > 0) {
    out += `${IM_START}system\n${system === '' ? QWEN3_CODER_DEFAULT_SYSTEM : system}`;
    if (chat.tools.length > 0) {
      out += '\n\n# Tools\n\nYou have access to the following functions:\n\n<tools>' + chat.tools.map(coderTool).join('') + '\n</tools>' + TOOL_FORMAT_NOTE;
    }
    out += `${IM_END}\n`;
  }
  rest.forEach((m, i) => {
    const last = i === rest.length - 1;
    const prefill = last && m.role === 'assistant';
    if (m.role === 'assistant' && m.toolCalls.length > 0) {
      out += `${IM_START}assistant\n` + (m.content !== '' ? `${m.content}\n` : '');
      for (const call of m.toolCalls) {
        out += `\n<tool_call>\n<function=${call.name}>`;
        for (const [name, value] of Object.entries(call.arguments)) out += `\n<parameter=${name}>\n${toolCallArgument(value)}\n</parameter>`;
        out += '\n</function>\n</tool_call>';
      }
      out += `${IM_END}\n`;
    } else if (m.role === 'assistant') {
      out += `${IM_START}assistant\n${m.content}` + (prefill ? '' : `${IM_END}\n`);
    } else if (m.role === 'tool') {
      if (i === 0 || rest[i - 1]!.role !== 'tool') out += `${IM_START}user`;
      out += `\n<tool_response>\n${m.content}\n</tool_response>`;
      if (last || rest[i + 1]!.role !== 'tool') out += `${IM_END}\n`;
    } else {
      out += `${IM_START}${m.role}\n${m.content}${IM_END}\n`;
    }
    if (last && !prefill) out += `${IM_START}assistant\n`;
  });
  return out;
}

function qwen35Tool(tool: AnthropicTool): string {
  const fn: Json = { name: String(tool.name ?? '') };
  if (typeof tool.description === 'string' && tool.description !== '') fn['description'] = tool.description;
  fn['parameters'] = toolParameters(tool.input_schema);
  return withJsonSpaces(goMarshal({ type: 'function', function: fn }));
}

function isToolResponse(text: string): boolean {
  return text.startsWith('<tool_response>') && text.endsWith('</tool_response>');
}

/** splitQwen35ReasoningContent: the message's thinking, else reasoning written inline before `</think>`. */
function splitReasoning(content: string, thinking: string, useThinking: boolean): { reasoning: string; content: string } {
  if (useThinking && thinking !== '') return { reasoning: thinking.trim(), content };
  const close = content.indexOf('</think>');
  if (close < 0) return { reasoning: '', content };
  const before = content.slice(0, close);
  const open = before.lastIndexOf('<think>');
  const reasoning = open >= 0 ? before.slice(open + '<think>'.length) : before;
  return { reasoning: reasoning.trim(), content: content.slice(close + '</think>'.length).replace(/^\n+/, '') };
}

/** model/renderers/qwen35.go Render, the `qwen3.5` variant (thinking model, empty think block when off). */
export function renderQwen35(chat: OllamaChat): string {
  const { messages, tools } = chat;
  const thinking = thinkOn(chat.think) ?? true;
  let out = '';
  const first = messages[0];
  const leadingSystem = first !== undefined && first.role === 'system' ? first.content.trim() : null;
  if (tools.length > 0) {
    out += `${IM_START}system\n# Tools\n\nYou have access to the following functions:\n\n<tools>` + tools.map((t) => '\n' + qwen35Tool(t)).join('');
    out += '\n</tools>' + TOOL_FORMAT_NOTE;
    if (leadingSystem !== null && leadingSystem !== '') out += `\n\n${leadingSystem}`;
    out += `${IM_END}\n`;
  } else if (leadingSystem !== null) {
    out += `${IM_START}system\n${leadingSystem}${IM_END}\n`;
  }
  let lastQuery = messages.length - 1;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role === 'user' && !isToolResponse(m.content.trim())) {
      lastQuery = i;
      break;
    }
  }
  messages.forEach((m, i) => {
    const content = m.content.trim();
    const last = i === messages.length - 1;
    const prefill = last && m.role === 'assistant';
    if (m.role === 'user' || (m.role === 'system' && i !== 0)) {
      out += `${IM_START}${m.role}\n${content}${IM_END}\n`;
    } else if (m.role === 'assistant') {
      const withThink = thinking && i > lastQuery;
      const split = splitReasoning(content, m.thinking, withThink);
      out += withThink ? `${IM_START}assistant\n<think>\n${split.reasoning}\n</think>\n\n${split.content}` : `${IM_START}assistant\n${split.content}`;
      m.toolCalls.forEach((call, j) => {
        if (j > 0) out += '\n';
        else if (split.content.trim() !== '') out += '\n\n';
        out += `<tool_call>\n<function=${call.name}>\n`;
        for (const [name, value] of Object.entries(call.arguments)) out += `<parameter=${name}>\n${toolCallArgument(value)}\n</parameter>\n`;
        out += '</function>\n</tool_call>';
      });
      if (!prefill) out += `${IM_END}\n`;
    } else if (m.role === 'tool') {
      if (i === 0 || messages[i - 1]!.role !== 'tool') out += `${IM_START}user`;
      out += `\n<tool_response>\n${content}\n</tool_response>`;
      if (last || messages[i + 1]!.role !== 'tool') out += `${IM_END}\n`;
    }
    if (last && !prefill) out += `${IM_START}assistant\n` + (thinking ? '<think>\n' : '<think>\n\n</think>\n\n');
  });
  return out;
}
