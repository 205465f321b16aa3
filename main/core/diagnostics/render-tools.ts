// The tool definitions as each renderer family writes them into the system
// prompt. Their size is what matters here: the proxy turns the rendered
// length into tokens with a ratio learnt from earlier calls, so text the
// renderer adds beyond the body's own (a fixed block of instructions, tags
// around every parameter) must be counted, or a ratio learnt on a short
// prompt, where that fixed part weighs a third, overestimates a long one,
// where it weighs a twentieth.
// - template path: the model's own template, which the proxy does not read;
//   each tool as its JSON and description, as before;
// - `qwen3-coder` (ollama/ollama model/renderers/qwen3coder.go): a `# Tools`
//   heading, each tool as XML (`<function>`, `<name>`, `<description>`,
//   `<parameters>`, and per parameter its name, type, description and any
//   other schema key), then the instructions for the `<tool_call>` format;
// - `qwen3.5` and `qwen3.8` (model/renderers/qwen35.go): the same heading and
//   instructions around one JSON line per tool, with spaces after `:` and `,`;
//   they open the system turn (the system prompt follows them), so the heading
//   has no blank line before it.
import type { PromptFamily } from '../wire/types.js';
import { isRecord, stringify } from './render-convert.js';

type Json = Record<string, unknown>;

/** Where rendered text goes: `mark` says which JSON path the text added next belongs to. */
export interface TextSink {
  mark(path: string): void;
  add(text: string): void;
}

const HEADING = '# Tools\n\nYou have access to the following functions:\n\n<tools>';

/** What both Qwen renderers write after the list: how to call a function. */
const CALL_FORMAT =
  '\n</tools>\n\nIf you choose to call a function ONLY reply in the following format with NO suffix:\n\n' +
  '<tool_call>\n<function=example_function_name>\n<parameter=example_parameter_1>\nvalue_1\n</parameter>\n' +
  '<parameter=example_parameter_2>\nThis is the value for the second parameter\nthat can span\nmultiple lines\n</parameter>\n' +
  '</function>\n</tool_call>\n\n<IMPORTANT>\nReminder:\n' +
  '- Function calls MUST follow the specified format: an inner <function=...></function> block must be nested within <tool_call></tool_call> XML tags\n' +
  '- Required parameters MUST be specified\n' +
  '- You may provide optional reasoning for your function call in natural language BEFORE the function call, but NOT after\n' +
  '- If there is no function call available, answer the question like normal with your current knowledge and do not tell the user about function calls\n' +
  '</IMPORTANT>';

/** Renders `tools` as `family` does; returns each tool's name ('' where it has none). */
export function renderToolList(b: TextSink, tools: readonly unknown[], family: PromptFamily): string[] {
  b.mark('tools');
  if (family === 'template') {
    b.add('\n<|tools|>\n');
    return tools.map((tool, i) => templateTool(b, tool, i));
  }
  // qwen3-coder writes them after the system prompt, a blank line apart; the Qwen 3.5 renderer first.
  b.add(family === 'qwen3-coder' ? `\n\n${HEADING}` : HEADING);
  const names = tools.map((tool, i) => (family === 'qwen3-coder' ? coderTool(b, tool, i) : jsonLineTool(b, tool, i)));
  b.mark('tools');
  b.add(CALL_FORMAT);
  return names;
}

const nameOf = (tool: unknown): string => (isRecord(tool) && typeof tool.name === 'string' ? tool.name : '');

function templateTool(b: TextSink, tool: unknown, i: number): string {
  b.mark(`tools[${i}]`);
  if (!isRecord(tool)) {
    b.add(stringify(tool));
    b.add('\n');
    return '';
  }
  // The description is most of a tool's bytes: adding it as is spares JSON.stringify escaping it.
  const { cache_control: _ignored, description, ...rest } = tool;
  if (typeof description === 'string') {
    b.add(stringify(rest));
    b.mark(`tools[${i}].description`);
    b.add(`\n${description}\n`);
  } else {
    b.add(stringify(description === undefined ? rest : { description, ...rest }));
    b.add('\n');
  }
  return nameOf(tool);
}

// Ollama reads a tool's schema into its own structs (api.ToolFunctionParameters,
// api.ToolProperty), so only the keys they hold reach the prompt: `default`,
// `$schema`, `additionalProperties` and the like never do.
const PARAMETERS_KEYS = ['type', '$defs', 'items', 'required', 'properties'];
const PROPERTY_KEYS = ['anyOf', 'type', 'items', 'description', 'enum', 'properties', 'required'];

function pick(obj: Json, keys: readonly string[], property: (value: unknown) => Json): Json {
  const out: Json = {};
  for (const key of keys) {
    const value = obj[key];
    if (value === undefined || value === null) continue;
    if (key === 'anyOf' && Array.isArray(value)) out[key] = value.map(property);
    else if (key === 'properties' && isRecord(value)) out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, property(v)]));
    else out[key] = value;
  }
  return out;
}

const toolProperty = (value: unknown): Json => pick(isRecord(value) ? value : {}, PROPERTY_KEYS, toolProperty);
const toolParameters = (value: unknown): Json => pick(isRecord(value) ? value : {}, PARAMETERS_KEYS, toolProperty);

/** The schema's value for one tag: text as it is, anything else as JSON. */
const tagValue = (value: unknown): string => (typeof value === 'string' ? value : stringify(value));

/** Every key of `obj` but `handled`, as `\n<key>value</key>`. */
function otherKeys(obj: Json, handled: readonly string[]): string {
  let out = '';
  for (const key of Object.keys(obj).sort()) {
    const value = obj[key];
    if (handled.includes(key) || value === null || value === undefined) continue;
    out += `\n<${key}>${tagValue(value)}</${key}>`;
  }
  return out;
}

function coderTool(b: TextSink, tool: unknown, i: number): string {
  const t = isRecord(tool) ? tool : {};
  b.mark(`tools[${i}]`);
  b.add(`\n<function>\n<name>${nameOf(tool)}</name>`);
  if (typeof t.description === 'string' && t.description !== '') {
    b.add('\n<description>');
    b.mark(`tools[${i}].description`);
    b.add(t.description);
    b.mark(`tools[${i}]`);
    b.add('</description>');
  }
  const schema = toolParameters(t.input_schema);
  let out = '\n<parameters>';
  const properties = isRecord(schema.properties) ? schema.properties : {};
  for (const [name, value] of Object.entries(properties)) {
    const p = toolProperty(value);
    out += `\n<parameter>\n<name>${name}</name>`;
    if (p.type !== undefined) out += `\n<type>${tagValue(p.type)}</type>`;
    if (typeof p.description === 'string') out += `\n<description>${p.description}</description>`;
    out += `${otherKeys(p, ['type', 'description'])}\n</parameter>`;
  }
  b.add(`${out}${otherKeys(schema, ['type', 'properties'])}\n</parameters>\n</function>`);
  return nameOf(tool);
}

/** JSON text with a space after every `:` and `,` outside strings, as the Qwen 3.5 renderer writes its tools (addJSONSpaces). */
export function withJsonSpaces(json: string): string {
  let out = '';
  let inString = false;
  let escaped = false;
  for (const c of json) {
    out += c;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === ':' || c === ',') out += ' ';
  }
  return out;
}

/**
 * The renderer marshals each tool with Go's encoding/json, which writes `<`,
 * `>` and `&` inside strings as `\u003c`, `\u003e`, `\u0026`: six characters
 * for one (Claude Code's tool descriptions carry a few dozen).
 */
const spacedJson = (value: unknown): string => withJsonSpaces(stringify(value)).replace(/[<>&]/g, (c) => (c === '<' ? '\\u003c' : c === '>' ? '\\u003e' : '\\u0026'));

function jsonLineTool(b: TextSink, tool: unknown, i: number): string {
  const t = isRecord(tool) ? tool : {};
  b.mark(`tools[${i}]`);
  b.add(`\n{"type": "function", "function": {"name": ${spacedJson(nameOf(tool))}`);
  if (typeof t.description === 'string' && t.description !== '') {
    b.add(', "description": ');
    b.mark(`tools[${i}].description`);
    b.add(spacedJson(t.description));
    b.mark(`tools[${i}]`);
  }
  b.add(`, "parameters": ${spacedJson(toolParameters(t.input_schema))}}}`);
  return nameOf(tool);
}
