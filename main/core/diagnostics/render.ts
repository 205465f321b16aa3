// Renders a /v1/messages body into the text a chat template sees, following
// Ollama's Anthropic conversion: system text blocks concatenated with no
// separator, cache_control ignored, a plain-string content equal to one text
// block, tool results of a user message rendered before its other content.
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
  /** The `x-anthropic-billing-header:` line, when the system carries one. */
  readonly billing: TextSpan | null;
  /** False when the body has no `messages` array (not a Messages request). */
  readonly hasMessages: boolean;
}

export interface RenderedPrompt extends PromptLayout {
  readonly text: string;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
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

function renderToolResult(b: Builder, block: Json, path: string): void {
  const id = typeof block.tool_use_id === 'string' ? block.tool_use_id : '';
  b.mark(path);
  b.add(`\n<|tool ${id}${block.is_error === true ? ' error' : ''}|>\n`);
  const content = block.content;
  if (typeof content === 'string') {
    b.mark(`${path}.content`);
    b.add(content);
  } else if (Array.isArray(content) && block.type === 'tool_result') {
    content.forEach((part, k) => {
      if (!isRecord(part)) return;
      if (part.type === 'text' && typeof part.text === 'string') {
        b.mark(`${path}.content[${k}].text`);
        b.add(part.text);
      } else if (part.type === 'image') {
        b.mark(`${path}.content[${k}]`);
        b.add(renderImage(part));
      }
    });
  } else if (content !== undefined) {
    b.mark(`${path}.content`);
    b.add(stringify(content));
  }
}

/** Whether a block adds anything to the message Ollama builds (empty text does not). */
function rendersSomething(block: Json): boolean {
  switch (block.type) {
    case 'text':
      return typeof block.text === 'string' && block.text.length > 0;
    case 'thinking':
      return typeof block.thinking === 'string' && block.thinking.length > 0;
    case 'image':
    case 'tool_use':
    case 'server_tool_use':
      return true;
    default:
      return false;
  }
}

function renderBlock(b: Builder, block: Json, path: string): void {
  switch (block.type) {
    case 'text':
      b.mark(`${path}.text`);
      b.add(block.text as string);
      return;
    case 'thinking':
      b.mark(`${path}.thinking`);
      b.add(`<think>${block.thinking as string}</think>`);
      return;
    case 'image':
      b.mark(path);
      b.add(renderImage(block));
      return;
    case 'tool_use':
    case 'server_tool_use':
      b.mark(path);
      b.add(`<tool_use ${String(block.name ?? '')} ${String(block.id ?? '')}>`);
      b.mark(`${path}.input`);
      b.add(stringify(block.input ?? {}));
      b.mark(path);
      b.add('</tool_use>');
      return;
    default:
      // Ollama drops block types it does not know; so do we.
      return;
  }
}

function renderMessage(b: Builder, message: unknown, i: number): void {
  if (!isRecord(message)) return;
  const base = `messages[${i}]`;
  const role = typeof message.role === 'string' ? message.role.toLowerCase() : '';
  const header = `\n<|${role}|>\n`;
  const content = message.content;
  if (typeof content === 'string') {
    if (content.length === 0) return;
    b.mark(base);
    b.add(header);
    b.mark(`${base}.content`);
    b.add(content);
    return;
  }
  if (!Array.isArray(content)) return;

  const renderResults = (): void => {
    content.forEach((block, j) => {
      if (isRecord(block) && RESULT_TYPES.has(block.type as string)) {
        renderToolResult(b, block, `${base}.content[${j}]`);
      }
    });
  };
  const renderOwn = (): void => {
    if (!content.some((block) => isRecord(block) && rendersSomething(block))) return;
    b.mark(base);
    b.add(header);
    content.forEach((block, j) => {
      if (isRecord(block) && rendersSomething(block)) renderBlock(b, block, `${base}.content[${j}]`);
    });
  };
  // Ollama turns a user message's tool results into tool messages placed
  // before the user's own text; an assistant's come after its tool calls.
  if (role === 'user') {
    renderResults();
    renderOwn();
  } else {
    renderOwn();
    renderResults();
  }
}

/** Renders a parsed /v1/messages body; pure, and tolerant of any shape. */
export function renderPrompt(body: unknown): RenderedPrompt {
  const request = isRecord(body) ? body : {};
  const b = new Builder();
  const billing = renderSystem(b, request.system);
  const systemEnd = b.length;
  const toolNames = renderTools(b, request.tools);
  const toolsEnd = b.length;
  const messageStarts: number[] = [];
  const hasMessages = Array.isArray(request.messages);
  if (hasMessages) {
    (request.messages as unknown[]).forEach((message, i) => {
      messageStarts.push(b.length);
      renderMessage(b, message, i);
    });
  }
  return {
    text: b.parts.join(''),
    model: typeof request.model === 'string' ? request.model : null,
    toolNames,
    segmentStarts: b.starts,
    segmentPaths: b.paths,
    systemEnd,
    toolsEnd,
    messageStarts,
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
