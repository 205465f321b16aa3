// Where folded notes go inside a user message, and how much client text a
// note would be moved past (inline-system.ts decides which notes go where).
// A user message takes notes at three places: `before` its own text (after
// any leading tool results, which must stay first), `task` before the words
// that are the agent's own task (after the tool results and the client's own
// leading `<system-reminder>` blocks, which every agent of a session shares),
// and `after` all of it.
import type { Edit } from './edits.js';
import { findMember, keyEquals, OPEN_ARRAY, OPEN_OBJECT, QUOTE, type JsonScanner, type Span } from './json-scan.js';

export const COMMA = Buffer.from(',');
const ARRAY_OPEN = Buffer.from('[');
const ARRAY_CLOSE = Buffer.from(']');
export const BLOCK_CLOSE = Buffer.from('}');
const TEXT_BLOCK_OPEN = Buffer.from('{"type":"text","text":');
/** A text literal that opens with one of the client's own reminders. */
const REMINDER_LITERAL = Buffer.from('"<system-reminder>');

/** Nesting depths (root = 0) as the scanner counts them in a Messages body. */
export const MESSAGES_DEPTH = 1;
export const MESSAGE_DEPTH = 2;
export const CONTENT_DEPTH = 3;
export const BLOCK_DEPTH = 4;

/** A user message that takes in folded notes. */
export interface Target {
  readonly content: Span;
  readonly before: Buffer[];
  readonly task: Buffer[];
  readonly after: Buffer[];
}

export function joined(blocks: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  blocks.forEach((block, index) => {
    if (index > 0) parts.push(COMMA);
    parts.push(block);
  });
  return Buffer.concat(parts);
}

function isString(b: Buffer, span: Span): boolean {
  return b[span.start] === QUOTE;
}

function blockMembers(b: Buffer, scanner: JsonScanner, element: Span): ReturnType<JsonScanner['objectMembers']> {
  return b[element.start] === OPEN_OBJECT ? scanner.objectMembers(element.start, BLOCK_DEPTH) : null;
}

function blockType(b: Buffer, scanner: JsonScanner, element: Span): { type: Span | null | undefined; block: ReturnType<JsonScanner['objectMembers']> } {
  const block = blockMembers(b, scanner, element);
  return { type: block === null ? undefined : findMember(b, block.members, 'type'), block };
}

function typeIs(b: Buffer, type: Span | null | undefined, name: string): boolean {
  return type != null && isString(b, type) && keyEquals(b, type, name);
}

/** How many of the content's first blocks are tool results, which must stay first in their message. */
function leadingToolResults(b: Buffer, scanner: JsonScanner, elements: readonly Span[]): number {
  let count = 0;
  for (const element of elements) {
    if (!typeIs(b, blockType(b, scanner, element).type, 'tool_result')) break;
    count++;
  }
  return count;
}

/** Whether a block is text that opens with `<system-reminder>`: the client's own note, not the agent's task. */
function isReminderText(b: Buffer, scanner: JsonScanner, element: Span): boolean {
  const { type, block } = blockType(b, scanner, element);
  if (block === null || !typeIs(b, type, 'text')) return false;
  const text = findMember(b, block.members, 'text');
  return text != null && b.compare(REMINDER_LITERAL, 0, REMINDER_LITERAL.length, text.start, Math.min(text.end, text.start + REMINDER_LITERAL.length)) === 0;
}

/** Where a message's task begins among its content blocks: after its tool results and the client's reminders. */
function taskIndex(b: Buffer, scanner: JsonScanner, elements: readonly Span[]): number {
  let index = leadingToolResults(b, scanner, elements);
  while (index < elements.length && isReminderText(b, scanner, elements[index]!)) index++;
  return index;
}

/** The edits that put a target's notes into its content, or null when its content has another shape. */
export function targetEdits(b: Buffer, scanner: JsonScanner, target: Target): Edit[] | null {
  const { content, before, task, after } = target;
  if (isString(b, content)) {
    // A string becomes one text block (none when empty: an empty text block is refused).
    const own = content.end - content.start > 2 ? [Buffer.concat([TEXT_BLOCK_OPEN, b.subarray(content.start, content.end), BLOCK_CLOSE])] : [];
    return [{ start: content.start, end: content.end, replacement: Buffer.concat([ARRAY_OPEN, joined([...before, ...task, ...own, ...after]), ARRAY_CLOSE]) }];
  }
  if (b[content.start] !== OPEN_ARRAY) return null;
  const array = scanner.arrayElements(content.start, CONTENT_DEPTH);
  if (array === null) return null;
  const elements = array.elements;
  if (elements.length === 0) {
    return [{ start: content.start, end: content.end, replacement: Buffer.concat([ARRAY_OPEN, joined([...before, ...task, ...after]), ARRAY_CLOSE]) }];
  }
  // Notes by the element index they go in front of (the length: after the last), in order.
  const at = new Map<number, Buffer[]>();
  const put = (index: number, notes: readonly Buffer[]): void => {
    if (notes.length > 0) at.set(index, [...(at.get(index) ?? []), ...notes]);
  };
  if (before.length > 0) put(leadingToolResults(b, scanner, elements), before);
  if (task.length > 0) put(taskIndex(b, scanner, elements), task);
  put(elements.length, after);
  return [...at].map(([index, notes]) => (index === 0
    ? { start: elements[0]!.start, end: elements[0]!.start, replacement: Buffer.concat([joined(notes), COMMA]) }
    : { start: elements[index - 1]!.end, end: elements[index - 1]!.end, replacement: Buffer.concat([COMMA, joined(notes)]) }));
}

/**
 * The size of a content block as the client's text, the same from call to
 * call: a text block counts its text literal (so a string and its one-block
 * form count alike), any other block its bytes without a `cache_control`,
 * which the client moves to its newest message on every call.
 */
function blockSize(b: Buffer, scanner: JsonScanner, element: Span): number {
  const block = blockMembers(b, scanner, element);
  if (block === null) return element.end - element.start;
  const type = findMember(b, block.members, 'type');
  const text = findMember(b, block.members, 'text');
  if (typeIs(b, type, 'text') && text != null) return text.end - text.start - 2;
  let size = element.end - element.start;
  for (const member of block.members) {
    if (keyEquals(b, member.key, 'cache_control')) size -= member.value.end - member.key.start + 1;
  }
  return size;
}

/** The size of a message content (a string or blocks), from its task on when `fromTask` (see taskIndex). */
export function contentSize(b: Buffer, scanner: JsonScanner, content: Span, fromTask = false): number {
  if (isString(b, content)) return content.end - content.start - 2;
  if (b[content.start] !== OPEN_ARRAY) return content.end - content.start;
  const elements = scanner.arrayElements(content.start, CONTENT_DEPTH)?.elements ?? [];
  let size = 0;
  for (let index = fromTask ? taskIndex(b, scanner, elements) : 0; index < elements.length; index++) size += blockSize(b, scanner, elements[index]!);
  return size;
}
