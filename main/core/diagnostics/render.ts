// Renders a /v1/messages body into the text a chat template sees, following
// what Ollama does to it (ollama/ollama, anthropic/anthropic.go
// FromMessagesRequest and convertMessage, then the model's renderer):
// - system text blocks concatenated with no separator, cache_control ignored;
// - a message's text blocks joined with no separator (a plain string is one
//   block), tool results of a user message rendered before its other content;
// then per renderer family (backends/renderer.ts):
// - template path (template/template.go collate): every `role: "system"`
//   message lifted into the system prompt at the top, after the top-level
//   one, joined with `\n\n`; consecutive messages of one role merged, joined
//   with `\n\n`; thinking kept only after the last user message;
// - qwen3-coder (model/renderers/qwen3coder.go): the first system message
//   wins (the top-level one when it has text) and the rest are dropped; no
//   merging; reasoning never rendered;
// - qwen3.5 (model/renderers/qwen35.go): the tools first, then the system
//   prompt; later system messages in place; no merging; with thinking on,
//   every assistant message after the last user query carries a think block
//   (even an empty one), every earlier one none. The order decides what two
//   conversations share: a subagent's system prompt differs from its main
//   agent's, their tools do not, so its first call reuses the tools.
// - qwen3.8 (qwen35.go's Qwen 3.8 variant): the tools first too; system
//   messages lifted like the template path, no merging, every assistant
//   message's think block kept.
// The tool definitions are written as each family's renderer writes them
// (render-tools.ts), so the rendered length follows the tokens it costs.
// Two prompts then compare equal exactly where the backend's KV cache would.
import type { PromptFamily } from '../wire/types.js';

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
  /** Where the system text begins and ends: at 0, or after the tools where the renderer writes them first. */
  readonly systemStart: number;
  readonly systemEnd: number;
  /** Where the tool definitions begin and end; the messages begin after both. */
  readonly toolsStart: number;
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

import { convertMessage, isRecord, type Converted, type Part } from './render-convert.js';
import { renderToolList } from './render-tools.js';

export { isRecord };

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

/** Whether Ollama's request gets a top-level system message: any non-empty text block. */
function systemHasText(system: unknown): boolean {
  if (typeof system === 'string') return system.length > 0;
  return Array.isArray(system) && system.some((block) => isRecord(block) && block.type === 'text' && typeof block.text === 'string' && block.text.length > 0);
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
 * Renders by tools array and family: the body parser hands back the same
 * array while the client resends the same definitions, and stringifying
 * 20-odd JSON schemas is most of a call's rendering.
 */
const renderedTools = new WeakMap<object, Map<PromptFamily, RenderedTools>>();

function renderTools(b: Builder, tools: unknown, family: PromptFamily): string[] {
  if (!Array.isArray(tools) || tools.length === 0) return [];
  let byFamily = renderedTools.get(tools);
  if (byFamily === undefined) renderedTools.set(tools, (byFamily = new Map()));
  let rendered = byFamily.get(family);
  if (rendered === undefined) {
    const steps: ['mark' | 'add', string][] = [];
    const names = renderToolList({ mark: (path) => steps.push(['mark', path]), add: (text) => steps.push(['add', text]) }, tools, family);
    rendered = { steps, names };
    byFamily.set(family, rendered);
  }
  for (const [step, value] of rendered.steps) {
    if (step === 'mark') b.mark(value);
    else b.add(value);
  }
  return [...rendered.names];
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

/** Where an assistant message's think block renders, for each family that renders one. */
type ThinkRule = (m: Converted, k: number) => boolean;

/**
 * Renders the conversation. `think` says which assistant messages carry their
 * reasoning; `always` renders the think block even without reasoning text
 * (qwen3.5 writes `<think>\n\n</think>` for them).
 */
function renderMessages(b: Builder, messages: readonly Converted[], count: number, think: ThinkRule, always: boolean): number[] {
  const starts: number[] = [];
  messages.forEach((m, k) => {
    if (m.role === 'system' && m.lifted !== false) return;
    addPart(b, m.header, starts);
    if (m.role === 'assistant' && think(m, k) && (always || m.thinking !== null)) {
      const path = m.thinking?.path ?? `${m.header.path}.thinking`;
      addPart(b, { path, message: m.message, text: `<think>${m.thinking?.text ?? ''}</think>` }, starts);
    }
    for (const part of m.content) addPart(b, part, starts);
    for (const part of m.extras) addPart(b, part, starts);
  });
  while (starts.length < count) starts.push(b.length);
  return starts;
}

/** The index of the last message of `role`, or -1. */
function lastOf(messages: readonly Converted[], role: string): number {
  for (let k = messages.length - 1; k >= 0; k--) if (messages[k]!.role === role) return k;
  return -1;
}

/**
 * Whether Ollama runs the model with thinking on (anthropic.go maps
 * `thinking.type` enabled/disabled, else an effort, to its think value; with
 * none the qwen3.5 renderer thinks by default): only `disabled` turns it off.
 */
function thinkingOn(request: Record<string, unknown>): boolean {
  return !(isRecord(request.thinking) && request.thinking.type === 'disabled');
}

interface FamilyLayout {
  /** The system messages that join the system prompt. */
  readonly lifted: readonly Converted[];
  /** The conversation as rendered, system messages that stay in place marked `lifted: false`. */
  readonly messages: readonly Converted[];
  readonly think: ThinkRule;
  readonly always: boolean;
}

function familyLayout(family: PromptFamily, converted: readonly Converted[], hasSystem: boolean, request: Record<string, unknown>): FamilyLayout {
  const systems = converted.filter((m) => m.role === 'system');
  if (family === 'template') {
    const collated = collate(converted);
    const lastUser = lastOf(collated, 'user');
    return { lifted: systems, messages: collated, think: (_m, k) => k > lastUser, always: false };
  }
  if (family === 'qwen3.8') return { lifted: systems, messages: converted, think: () => true, always: true };
  // Both Qwen renderers take a leading system message as the system prompt when the top-level one is empty.
  const leading = !hasSystem && converted[0]?.role === 'system' ? [converted[0]] : [];
  const rest = converted.slice(leading.length);
  if (family === 'qwen3-coder') {
    const lifted = hasSystem ? [] : systems.slice(0, 1);
    return { lifted, messages: converted.filter((m) => m.role !== 'system'), think: () => false, always: false };
  }
  const lastQuery = lastOf(rest, 'user');
  const on = thinkingOn(request);
  return {
    lifted: leading,
    messages: rest.map((m) => (m.role === 'system' ? { ...m, lifted: false } : m)),
    think: (_m, k) => on && k > lastQuery,
    always: true,
  };
}

/** The families whose renderer writes the tools before the system prompt (qwen35.go: `# Tools`, then `\n\n` and the system). */
export function rendersToolsFirst(family: PromptFamily): boolean {
  return family === 'qwen3.5' || family === 'qwen3.8';
}

/** Where the conversation's messages begin: after the system prompt and the tools, whichever came last. */
export function messagesStart(layout: PromptLayout): number {
  return Math.max(layout.systemEnd, layout.toolsEnd);
}

/** Renders a parsed /v1/messages body as `family` does (the template path by default); pure, and tolerant of any shape. */
export function renderPrompt(body: unknown, family: PromptFamily = 'template'): RenderedPrompt {
  const request = isRecord(body) ? body : {};
  const hasMessages = Array.isArray(request.messages);
  const messages: readonly unknown[] = hasMessages ? request.messages as unknown[] : [];
  const converted = messages.flatMap(convertMessage);
  const b = new Builder();
  const layout = familyLayout(family, converted, systemHasText(request.system), request);
  const toolsFirst = rendersToolsFirst(family) && Array.isArray(request.tools) && request.tools.length > 0;
  let toolNames: string[] = [];
  let toolsStart = 0;
  let toolsEnd = 0;
  if (toolsFirst) {
    toolNames = renderTools(b, request.tools, family);
    toolsEnd = b.length;
    // The system prompt follows the tools after a blank line, when there is one (a lifted one adds its own).
    if (systemHasText(request.system)) {
      b.mark('system');
      b.add('\n\n');
    }
  }
  const systemStart = toolsEnd;
  const billing = renderSystem(b, request.system);
  renderLiftedSystem(b, layout.lifted);
  const systemEnd = b.length;
  if (!toolsFirst) {
    toolsStart = b.length;
    toolNames = renderTools(b, request.tools, family);
    toolsEnd = b.length;
  }
  const messageStarts = renderMessages(b, layout.messages, messages.length, layout.think, layout.always);
  return {
    text: b.parts.join(''),
    model: typeof request.model === 'string' ? request.model : null,
    toolNames,
    segmentStarts: b.starts,
    segmentPaths: b.paths,
    systemStart,
    systemEnd,
    toolsStart,
    toolsEnd,
    messageStarts,
    inlineSystemMessages: new Set(converted.filter((m) => m.role === 'system').map((m) => m.message)).size,
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
