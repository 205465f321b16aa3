// What Ollama's Anthropic converter makes of one body message
// (anthropic/anthropic.go, convertMessage), as runs of text that keep the JSON
// path they came from: text blocks joined with no separator, the last
// thinking block, images and tool calls apart; each tool result a `tool`
// message, before the rest of a user message. Every renderer family starts
// from this.

type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringify(value: unknown): string {
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

const RESULT_TYPES = new Set(['tool_result', 'web_search_tool_result']);

/** A run of rendered text and the JSON path (and body message) it comes from. */
export interface Part {
  readonly path: string;
  readonly text: string;
  readonly message: number;
}

/**
 * One message as Ollama's Anthropic converter makes it (anthropic.go,
 * convertMessage): text blocks joined with no separator, the last thinking
 * block, images and tool calls apart; each tool result a `tool` message.
 */
export interface Converted {
  readonly role: string;
  readonly message: number;
  /** The role header, or for a tool message its header with the call id. */
  readonly header: Part;
  readonly content: Part[];
  /** Images and tool calls, rendered after the content. */
  readonly extras: Part[];
  readonly thinking: Part | null;
  /** False for a system message the renderer keeps where it stands. */
  readonly lifted?: false;
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
export function convertMessage(message: unknown, i: number): Converted[] {
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

