// Renders a /v1/messages body into the text a chat template sees, following
// what Ollama does to it (ollama/ollama, anthropic/anthropic.go
// FromMessagesRequest and convertMessage, then template/template.go collate):
// - system text blocks concatenated with no separator, cache_control ignored;
// - every `role: "system"` message lifted into the system prompt at the top,
//   after the top-level one, joined with `\n\n`;
// - a message's text blocks joined with no separator (a plain string is one
//   block), tool results of a user message rendered before its other content;
// - consecutive messages of one role merged, joined with `\n\n`;
// - thinking kept only after the last user message, as common templates do.
// Two prompts then compare equal exactly where the backend's KV cache would.

const BILLING_PREFIX = 'x-anthropic-billing-header:';

/** A range of the rendered text, end exclusive. */
export interface TextSpan {
  readonly start: number;
  readonly end: number;
}

/** Everything known about a rendered prompt except its text. */
export interface PromptLayout {
  readonly model: string | null;
  readonly toolNames: readonly string[];
  /** Ascending offsets where each segment begins; parallel to segmentPaths. */
  readonly segmentStarts: readonly number[];
  /** JSON path of each segment, e.g. `system[2].text`, `tools[5]`, `messages[3].content`. */
  readonly segmentPaths: readonly string[];
  /** Where the system text ends (it starts at 0). */
  readonly systemEnd: number;
  /** Where the tool definitions end and the messages begin. */
  readonly toolsEnd: number;
  /** Offset where each body message's rendering begins, by message index. */
  readonly messageStarts: readonly number[];
  /** How many of the body's messages are `role: "system"` ones, lifted into the system prompt. */
  readonly inlineSystemMessages: number;
  /** The `x-anthropic-billing-header:` line, when the system carries one. */
  readonly billing: TextSpan | null;
  /** False when the body has no `messages` array (not a Messages request). */
  readonly hasMessages: boolean;
}

export interface RenderedPrompt extends PromptLayout {
  readonly text: string;
}

type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Builder {
  readonly parts: string[] = [];
  readonly starts: number[] = [];
  readonly paths: string[] = [];
  length = 0;

  /** Text added from here on belongs to `path`. */
  mark(path: string): void {
    const last = this.starts.length - 1;
    if (last >= 0 && this.starts[last] === this.length) {
      // The previous segment is still empty: it owns no offset, so replace it.
      this.paths[last] = path;
      return;
    }
    this.starts.push(this.length);
    this.paths.push(path);
  }

  add(text: string): void {
    if (text.length === 0) return;
    this.parts.push(text);
    this.length += text.length;
  }
}

function stringify(value: unknown): string {
  return JSON.stringify(value) ?? '';
}

// Images can be megabytes of base64 repeated in every turn's history, so
// they are fingerprinted from their length and an evenly spaced sample
// rather than hashed whole; a real change alters both with near certainty.
const IMAGE_SAMPLE = 4096;

function sampleHash(data: string): string {
  let hash = 0x811c9dc5;
  const step = Math.max(1, Math.floor(data.length / IMAGE_SAMPLE));
  for (let i = 0; i < data.length; i += step) {
    hash = Math.imul(hash ^ data.charCodeAt(i), 0x01000193);
  }
  return `${data.length.toString(36)}.${(hash >>> 0).toString(16)}`;
}

function renderImage(block: Json): string {
  const source = isRecord(block.source) ? block.source : {};
  if (typeof source.data === 'string') {
    return `[image ${String(source.media_type ?? '')} ${sampleHash(source.data)}]`;
  }
  return `[image ${stringify(source)}]`;
}

function renderSystem(b: Builder, system: unknown): TextSpan | null {
  let billing: TextSpan | null = null;
  const addText = (text: string, path: string): void => {
    if (text.length === 0) return;
    b.mark(path);
    if (billing === null && text.startsWith(BILLING_PREFIX)) {
      const newline = text.indexOf('\n');
      billing = { start: b.length, end: b.length + (newline >= 0 ? newline : text.length) };
    }
    b.add(text);
  };
  if (typeof system === 'string') {
    addText(system, 'system');
  } else if (Array.isArray(system)) {
    system.forEach((block, i) => {
      // Ollama keeps only text blocks of the system prompt.
      if (isRecord(block) && block.type === 'text' && typeof block.text === 'string') {
        addText(block.text, `system[${i}].text`);
      }
    });
  }
  return billing;
}

/** What rendering one tools array did to a Builder, to do again without the work. */
interface RenderedTools {
  readonly steps: readonly (readonly ['mark' | 'add', string])[];
  readonly names: readonly string[];
}

/**
 * Renders by tools array: the body parser hands back the same array while
 * the client resends the same definitions, and stringifying 20-odd JSON
 * schemas is most of a call's rendering.
 */
const renderedTools = new WeakMap<object, RenderedTools>();

function renderTools(b: Builder, tools: unknown): string[] {
  if (!Array.isArray(tools) || tools.length === 0) return [];
  let rendered = renderedTools.get(tools);
  if (rendered === undefined) {
    const steps: ['mark' | 'add', string][] = [];
    const names = renderToolList({ mark: (path) => steps.push(['mark', path]), add: (text) => steps.push(['add', text]) }, tools);
    rendered = { steps, names };
    renderedTools.set(tools, rendered);
  }
  for (const [step, value] of rendered.steps) {
    if (step === 'mark') b.mark(value);
    else b.add(value);
  }
  return [...rendered.names];
}

function renderToolList(b: Pick<Builder, 'mark' | 'add'>, tools: readonly unknown[]): string[] {
  const names: string[] = [];
  b.mark('tools');
  b.add('\n<|tools|>\n');
  tools.forEach((tool, i) => {
    b.mark(`tools[${i}]`);
    if (!isRecord(tool)) {
      names.push('');
      b.add(stringify(tool));
      b.add('\n');
      return;
    }
    names.push(typeof tool.name === 'string' ? tool.name : '');
    // The description is most of a tool's bytes: adding it as is spares
    // JSON.stringify escaping it.
    const { cache_control: _ignored, description, ...rest } = tool;
    if (typeof description === 'string') {
      b.add(stringify(rest));
      b.mark(`tools[${i}].description`);
      b.add(`\n${description}\n`);
    } else {
      b.add(stringify(description === undefined ? rest : { description, ...rest }));
      b.add('\n');
    }
  });
  return names;
}

const RESULT_TYPES = new Set(['tool_result', 'web_search_tool_result']);

/** A run of rendered text and the JSON path (and body message) it comes from. */
interface Part {
  readonly path: string;
  readonly text: string;
  readonly message: number;
}

/**
 * One message as Ollama's Anthropic converter makes it (anthropic.go,
 * convertMessage): text blocks joined with no separator, the last thinking
 * block, images and tool calls apart; each tool result a `tool` message.
 */
interface Converted {
  readonly role: string;
  readonly message: number;
  /** The role header, or for a tool message its header with the call id. */
  readonly header: Part;
  readonly content: Part[];
  /** Images and tool calls, rendered after the content. */
  readonly extras: Part[];
  readonly thinking: Part | null;
}

function toolResultParts(block: Json, path: string, message: number): Converted {
  const id = typeof block.tool_use_id === 'string' ? block.tool_use_id : '';
  const content: Part[] = [];
  const add = (subpath: string, text: string): void => {
    if (text.length > 0) content.push({ path: subpath, text, message });
  };
  const value = block.content;
  if (typeof value === 'string') {
    add(`${path}.content`, value);
  } else if (Array.isArray(value) && block.type === 'tool_result') {
    value.forEach((part, k) => {
      if (!isRecord(part)) return;
      if (part.type === 'text' && typeof part.text === 'string') add(`${path}.content[${k}].text`, part.text);
      else if (part.type === 'image') add(`${path}.content[${k}]`, renderImage(part));
    });
  } else if (value !== undefined) {
    add(`${path}.content`, stringify(value));
  }
  const header = { path, text: `\n<|tool ${id}${block.is_error === true ? ' error' : ''}|>\n`, message };
  return { role: 'tool', message, header, content, extras: [], thinking: null };
}

function toolCallParts(block: Json, path: string, message: number): Part[] {
  return [
    { path, text: `<tool_use ${String(block.name ?? '')} ${String(block.id ?? '')}>`, message },
    { path: `${path}.input`, text: stringify(block.input ?? {}), message },
    { path, text: '</tool_use>', message },
  ];
}

/** What Ollama makes of one body message: tool results first for a user, after the message otherwise. */
function convertMessage(message: unknown, i: number): Converted[] {
  if (!isRecord(message)) return [];
  const base = `messages[${i}]`;
  const role = typeof message.role === 'string' ? message.role.toLowerCase() : '';
  const own: Converted = { role, message: i, header: { path: base, text: `\n<|${role}|>\n`, message: i }, content: [], extras: [], thinking: null };
  let thinking: Part | null = null;
  const results: Converted[] = [];
  if (typeof message.content === 'string') {
    if (message.content.length > 0) own.content.push({ path: `${base}.content`, text: message.content, message: i });
  } else if (Array.isArray(message.content)) {
    message.content.forEach((block, j) => {
      if (!isRecord(block)) return;
      const path = `${base}.content[${j}]`;
      switch (block.type) {
        case 'text':
          if (typeof block.text === 'string' && block.text.length > 0) own.content.push({ path: `${path}.text`, text: block.text, message: i });
          return;
        case 'thinking':
          // Ollama keeps the last thinking block's text.
          if (typeof block.thinking === 'string') thinking = { path: `${path}.thinking`, text: block.thinking, message: i };
          return;
        case 'image':
          own.extras.push({ path, text: renderImage(block), message: i });
          return;
        case 'tool_use':
        case 'server_tool_use':
          own.extras.push(...toolCallParts(block, path, i));
          return;
        default:
          if (RESULT_TYPES.has(block.type as string)) results.push(toolResultParts(block, path, i));
          // Ollama drops block types it does not know; so do we.
      }
    });
  }
  const ownThinking = thinking as Part | null;
  const hasOwn = own.content.length > 0 || own.extras.length > 0 || (ownThinking !== null && ownThinking.text.length > 0);
  const converted: Converted = { ...own, thinking: ownThinking !== null && ownThinking.text.length > 0 ? ownThinking : null };
  if (role === 'user') return hasOwn ? [...results, converted] : results;
  return hasOwn ? [converted, ...results] : results;
}

/**
 * Ollama's template path (template.go, collate): consecutive messages of one
 * role (tool messages apart) become one, contents joined with `\n\n`, and
 * only the content of the later message survives the merge. System messages
 * take part, so one between two user messages keeps them apart.
 */
function collate(messages: readonly Converted[]): Converted[] {
  const out: Converted[] = [];
  for (const m of messages) {
    const last = out[out.length - 1];
    if (last !== undefined && last.role === m.role && m.role !== 'tool') {
      last.content.push({ path: m.header.path, text: '\n\n', message: m.message }, ...m.content);
    } else {
      out.push({ ...m, content: [...m.content] });
    }
  }
  return out;
}

function addPart(b: Builder, part: Part, starts: number[]): void {
  while (starts.length <= part.message) starts.push(b.length);
  b.mark(part.path);
  b.add(part.text);
}

/**
 * Every `role: "system"` message's text joins the system prompt, after the
 * top-level one, with `\n\n` between them (template.go, collate): this is how
 * a reminder added in call N comes to stand before the whole conversation.
 */
function renderLiftedSystem(b: Builder, lifted: readonly Converted[]): void {
  for (const m of lifted) {
    const text = m.content.map((part) => part.text).join('');
    if (text.length === 0) continue;
    if (b.length > 0) {
      b.mark(m.header.path);
      b.add('\n\n');
    }
    for (const part of m.content) {
      b.mark(part.path);
      b.add(part.text);
    }
  }
}

/**
 * Renders the conversation. Thinking is kept only after the last user
 * message, as common chat templates do (Qwen3's among them): an earlier
 * turn's thinking drops out of the prompt once the user speaks again.
 */
function renderMessages(b: Builder, collated: readonly Converted[], count: number): number[] {
  const starts: number[] = [];
  let lastUser = -1;
  collated.forEach((m, k) => {
    if (m.role === 'user') lastUser = k;
  });
  collated.forEach((m, k) => {
    if (m.role === 'system') return;
    addPart(b, m.header, starts);
    if (m.thinking !== null && k > lastUser) addPart(b, { ...m.thinking, text: `<think>${m.thinking.text}</think>` }, starts);
    for (const part of m.content) addPart(b, part, starts);
    for (const part of m.extras) addPart(b, part, starts);
  });
  while (starts.length < count) starts.push(b.length);
  return starts;
}

/** Renders a parsed /v1/messages body; pure, and tolerant of any shape. */
export function renderPrompt(body: unknown): RenderedPrompt {
  const request = isRecord(body) ? body : {};
  const hasMessages = Array.isArray(request.messages);
  const messages: readonly unknown[] = hasMessages ? request.messages as unknown[] : [];
  const converted = messages.flatMap(convertMessage);
  const b = new Builder();
  const billing = renderSystem(b, request.system);
  const lifted = converted.filter((m) => m.role === 'system');
  renderLiftedSystem(b, lifted);
  const collated = collate(converted);
  const systemEnd = b.length;
  const toolNames = renderTools(b, request.tools);
  const toolsEnd = b.length;
  const messageStarts = renderMessages(b, collated, messages.length);
  return {
    text: b.parts.join(''),
    model: typeof request.model === 'string' ? request.model : null,
    toolNames,
    segmentStarts: b.starts,
    segmentPaths: b.paths,
    systemEnd,
    toolsEnd,
    messageStarts,
    inlineSystemMessages: new Set(lifted.map((m) => m.message)).size,
    billing,
    hasMessages,
  };
}

/** The JSON path whose rendering covers `offset` (the last segment for the end of the text). */
export function pathAt(layout: PromptLayout, offset: number): string {
  const starts = layout.segmentStarts;
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found >= 0 ? layout.segmentPaths[found] : '';
}
