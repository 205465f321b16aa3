// Folds `role: "system"` entries of `messages` so that no backend moves them
// in front of the conversation, and so that a client's edit to an earlier
// message costs no more than it would direct. Claude Code 2.1.332 sends them
// (the first turn's `# Environment` note, a token countdown after every tool
// result), and what a backend does with them depends on the model's renderer
// (backends/renderer.ts):
// - The template path lifts every one into the system prompt at the top, so
//   each new one lands before the whole conversation, which is then re-read.
// - Ollama's qwen3-coder renderer keeps only the first system message (the
//   top-level one) and drops the rest: the model never sees them.
// - Its qwen3.5 renderer keeps them where they stand.
// So, for every family but qwen3.5 (where forwarding as sent is already
// best: nothing moves, and a reminder folded into a user message would make
// that message a new "user query" and drop the reasoning before it):
// - the session's opening context (the system messages before the first
//   assistant message) goes to the end of the top-level system, exactly
//   where the template path lifts it anyway (joined with a blank line), so
//   the client's own edits of the first user message (its max-output
//   recovery appends a block there) cost what they cost direct;
// - every later one is folded where it stands into the user message before
//   it, as a `<system-reminder>` text block, so no backend can lift it;
//   unless it is at least as long as the conversation from the first user
//   message's task on, when it goes in front of that task (see
//   foldInlineSystem), where sibling agents share it.
// For qwen3-coder both then reach the model, which direct never sees them.
//
// Everything is spliced from the client's own bytes: a system message always
// folds to the same bytes (string or text-block form alike), so folded history
// stays a stable prefix from call to call.
import { elementRemovals, type Edit } from './edits.js';
import { BLOCK_CLOSE, BLOCK_DEPTH, COMMA, CONTENT_DEPTH, contentSize, joined, MESSAGE_DEPTH, MESSAGES_DEPTH, targetEdits, type Target } from './fold-targets.js';
import { COLON, CR, findMember, keyEquals, LF, OPEN_ARRAY, OPEN_OBJECT, QUOTE, SPACE, TAB, type JsonScanner, type MemberSpan, type Span } from './json-scan.js';
import type { PromptFamily } from '../wire/types.js';

/** How `role: "system"` entries of `messages` are treated. */
export type InlineSystemMode = 'fold' | 'keep';

export const INLINE_SYSTEM_MODES: readonly InlineSystemMode[] = ['fold', 'keep'];

/**
 * Whether the fold touches a model's system messages: not for qwen3.5, whose
 * renderer keeps them in place already; for every other family, and for a
 * model whose renderer is not known (the template path's lifting is assumed).
 */
export function foldsFor(family: PromptFamily | null): boolean {
  return family !== 'qwen3.5';
}


/**
 * A later note shorter than this stays where it stands whatever precedes it:
 * what a sibling agent would save by finding it in the slot (about 64 tokens)
 * is less than the proxy's diagnostics count as a miss.
 */
const MOVED_NOTE_MIN_CHARS = 256;


const SYSTEM_LITERAL = Buffer.from('"system"');
/** The bytes around a folded note: JSON-escaped newlines, as the client writes its own reminders. */
const REMINDER_OPEN = Buffer.from('{"type":"text","text":"<system-reminder>\\n');
const REMINDER_JOIN = Buffer.from('\\n');
const REMINDER_CLOSE = Buffer.from('\\n</system-reminder>"');
const CACHE_CONTROL_KEY = Buffer.from(',"cache_control":');
const USER_MESSAGE_OPEN = Buffer.from('{"role":"user","content":[');
const USER_MESSAGE_CLOSE = Buffer.from(']}');
/** The blank line the template path joins lifted system messages with, JSON-escaped. */
const SYSTEM_JOIN = Buffer.from('\\n\\n');
const SYSTEM_BLOCK_OPEN = Buffer.from('{"type":"text","text":"');
const SYSTEM_BLOCK_CLOSE = Buffer.from('"}');

function isWhitespace(c: number | undefined): boolean {
  return c === SPACE || c === LF || c === CR || c === TAB;
}

/**
 * Searched for without its closing quote: a needle that ends in `"`, the
 * commonest byte of JSON, makes the native search shift one byte at a time
 * (five times slower on a 77 KB body).
 */
const SYSTEM_OPENING = SYSTEM_LITERAL.subarray(0, -1);

/**
 * Whether `"system"` occurs as a value somewhere (a key is followed by `:`;
 * the top-level `system` key is in every body). A byte search: a body
 * without a system message is never parsed for one. A role spelled with
 * escapes (`"sys\u0074em"`) is missed and kept as sent.
 */
export function mayHoldInlineSystem(b: Buffer): boolean {
  for (let at = b.indexOf(SYSTEM_OPENING); at >= 0; at = b.indexOf(SYSTEM_OPENING, at + SYSTEM_OPENING.length)) {
    let i = at + SYSTEM_OPENING.length;
    if (b[i] !== QUOTE) continue;
    i++;
    while (isWhitespace(b[i])) i++;
    if (b[i] !== COLON) return true;
  }
  return false;
}

function isString(b: Buffer, span: Span): boolean {
  return b[span.start] === QUOTE;
}

function stringEquals(b: Buffer, span: Span | null | undefined, value: string): boolean {
  return span != null && isString(b, span) && keyEquals(b, span, value);
}

function roleIs(b: Buffer, members: readonly MemberSpan[] | null, role: string): boolean {
  return members !== null && stringEquals(b, findMember(b, members, 'role'), role);
}

/** The raw bytes inside a string literal's quotes. */
function contents(b: Buffer, literal: Span): Buffer {
  return b.subarray(literal.start + 1, literal.end - 1);
}

/** A system message's text: the raw bytes inside each text block's quotes, and its last `cache_control`. */
interface NoteText {
  readonly texts: readonly Buffer[];
  readonly cacheControl: Span | null;
}

/** The text of a system message, or null when its content is neither a string nor text blocks (kept as sent). */
function noteText(b: Buffer, scanner: JsonScanner, members: readonly MemberSpan[]): NoteText | null {
  const content = findMember(b, members, 'content');
  if (!content) return null;
  if (isString(b, content)) return { texts: [contents(b, content)], cacheControl: null };
  if (b[content.start] !== OPEN_ARRAY) return null;
  const blocks = scanner.arrayElements(content.start, CONTENT_DEPTH);
  if (blocks === null) return null;
  const texts: Buffer[] = [];
  let cacheControl: Span | null = null;
  for (const element of blocks.elements) {
    const block = b[element.start] === OPEN_OBJECT ? scanner.objectMembers(element.start, BLOCK_DEPTH) : null;
    if (block === null || !stringEquals(b, findMember(b, block.members, 'type'), 'text')) return null;
    const text = findMember(b, block.members, 'text');
    if (!text || !isString(b, text)) return null;
    texts.push(contents(b, text));
    cacheControl = findMember(b, block.members, 'cache_control') ?? cacheControl;
  }
  return { texts, cacheControl };
}

/**
 * The `<system-reminder>` text block a system message folds to. Several
 * blocks join with a newline; the last `cache_control` among them moves to
 * the folded block, so a backend that honours it still sees the breakpoint.
 */
function reminderBlock(b: Buffer, note: NoteText): Buffer {
  const texts: Buffer[] = [];
  for (const text of note.texts) {
    if (texts.length > 0) texts.push(REMINDER_JOIN);
    texts.push(text);
  }
  const tail = note.cacheControl ? [CACHE_CONTROL_KEY, b.subarray(note.cacheControl.start, note.cacheControl.end)] : [];
  return Buffer.concat([REMINDER_OPEN, ...texts, REMINDER_CLOSE, ...tail, BLOCK_CLOSE]);
}

/**
 * The edit that appends opening-context notes to the top-level system as the
 * template path lifts them: each after a blank line, its blocks' text joined
 * with no separator (Ollama's converter), no cache_control (the client marks
 * the note only on its newest call, which must not change these bytes). Null
 * when the system is neither a string nor an array.
 */
function systemEndEdit(b: Buffer, scanner: JsonScanner, system: TopSystem, notes: readonly NoteText[]): Edit | null {
  const { span } = system;
  const text = Buffer.concat(notes.flatMap((note) => [SYSTEM_JOIN, ...note.texts]));
  if (isString(b, span)) return { start: span.end - 1, end: span.end - 1, replacement: text };
  if (b[span.start] !== OPEN_ARRAY) return null;
  const array = scanner.arrayElements(span.start, MESSAGES_DEPTH);
  if (array === null) return null;
  const block = Buffer.concat([SYSTEM_BLOCK_OPEN, text, SYSTEM_BLOCK_CLOSE]);
  const last = array.elements[array.elements.length - 1];
  if (last === undefined) return { start: span.start + 1, end: span.start + 1, replacement: block };
  // Right after the last block, which the billing rule may remove with all the others: then without a comma.
  return { start: last.end, end: last.end, replacement: system.emptied ? block : Buffer.concat([COMMA, block]) };
}

/** The body's top-level `system`, and whether the billing rule empties it. */
export interface TopSystem {
  readonly span: Span;
  readonly emptied: boolean;
}

interface Entry {
  readonly span: Span;
  readonly members: readonly MemberSpan[] | null;
  /** The note's text when this entry is a foldable system message. */
  readonly note: NoteText | null;
}

/**
 * The edits that fold every system message of the `messages` array at
 * `messages`, or null when there is none to fold. Those before the first
 * assistant message (the session's opening context) go to the end of the
 * top-level `system` at `system`, where there is one to take them. Each run of
 * later consecutive system messages goes into the user message before it
 * (after its content), else the user message after it (before its text, after
 * its tool results), else becomes a user message of its own; so roles
 * alternate as they did around the run.
 *
 * Except a run at least as long as the conversation from the task on (the
 * first user message's words after the client's own leading reminders) up to
 * it: that run goes in front of the task, after the notes moved there before
 * it. Claude Code announces the subagent types that way, after a subagent's
 * first tool result, the same text in every agent of the session; the
 * template path lifts it above the task, so a sibling agent that takes the
 * one cache slot next finds it there. Folded where it stands, after the
 * task where the agents part, every sibling read it again. In front of the
 * task it costs this call a re-read of the conversation it passes, no more
 * than the note itself, which a sibling then saves; a countdown note is short
 * (under MOVED_NOTE_MIN_CHARS) and stays where it stands. The
 * sizes count the client's text, never a `cache_control` the client moves
 * from call to call, so a note goes to the same place on every call.
 */
export function foldInlineSystem(b: Buffer, scanner: JsonScanner, messages: Span, system: TopSystem | null = null): Edit[] | null {
  if (b[messages.start] !== OPEN_ARRAY) return null;
  const array = scanner.arrayElements(messages.start, MESSAGES_DEPTH);
  if (array === null) return null;
  // Only messages holding the literal are read; the search stops at the array's end.
  const messageBytes = b.subarray(0, messages.end);
  let nextHit = -1;
  const entries: Entry[] = [];
  let any = false;
  for (const span of array.elements) {
    if (nextHit < span.start) {
      const hit = messageBytes.indexOf(SYSTEM_OPENING, span.start);
      nextHit = hit < 0 ? messages.end : hit;
    }
    let note: NoteText | null = null;
    let members: readonly MemberSpan[] | null = null;
    if (nextHit < span.end && b[span.start] === OPEN_OBJECT) {
      members = scanner.objectMembers(span.start, MESSAGE_DEPTH)?.members ?? null;
      if (roleIs(b, members, 'system')) note = noteText(b, scanner, members!);
    }
    if (note !== null) any = true;
    entries.push({ span, members, note });
  }
  if (!any) return null;

  const membersOf = (index: number): readonly MemberSpan[] | null => {
    const entry = entries[index]!;
    if (entry.members !== null || b[entry.span.start] !== OPEN_OBJECT) return entry.members;
    return scanner.objectMembers(entry.span.start, MESSAGE_DEPTH)?.members ?? null;
  };
  /** The content of the user message at `index`, when there is one there. */
  const userContent = (index: number): Span | null => {
    if (index < 0 || index >= entries.length || entries[index]!.note !== null) return null;
    const members = membersOf(index);
    if (!roleIs(b, members, 'user')) return null;
    const content = findMember(b, members!, 'content');
    return content && (isString(b, content) || b[content.start] === OPEN_ARRAY) ? content : null;
  };

  const dropped: number[] = [];
  const edits: Edit[] = [];
  const opening = openingNotes(entries, (index) => roleIs(b, membersOf(index), 'assistant'));
  // Not when nothing else would be left: a request needs a message.
  const toSystem = system === null || opening.length === 0 || opening.length === entries.length
    ? null : systemEndEdit(b, scanner, system, opening.map((index) => entries[index]!.note!));
  if (toSystem !== null) {
    edits.push(toSystem);
    dropped.push(...opening);
  }
  const targets = new Map<number, Target>();
  const targetAt = (index: number, content: Span): Target => {
    let target = targets.get(index);
    if (!target) targets.set(index, (target = { content, before: [], task: [], after: [] }));
    return target;
  };
  const task = taskMessage(entries, userContent, (index) => roleIs(b, membersOf(index), 'assistant'));
  const sizeUpTo = task === null ? null : conversationSizes(b, scanner, task, entries, new Set(toSystem === null ? [] : opening), membersOf);
  for (let start = toSystem === null ? 0 : opening[opening.length - 1]! + 1; start < entries.length;) {
    if (entries[start]!.note === null) {
      start++;
      continue;
    }
    let end = start;
    while (end + 1 < entries.length && entries[end + 1]!.note !== null) end++;
    const notes = entries.slice(start, end + 1).map((entry) => reminderBlock(b, entry.note!));
    const previous = userContent(start - 1);
    const next = previous === null ? userContent(end + 1) : null;
    const size = entries.slice(start, end + 1).reduce((sum, entry) => sum + noteSize(entry.note!), 0);
    const movable = task !== null && sizeUpTo !== null && start > task.firstAssistant && size >= MOVED_NOTE_MIN_CHARS;
    if (movable && (previous !== null || next !== null) && size >= sizeUpTo(start, size)) {
      // No bigger than the conversation it would stand after: in front of the task (see above).
      targetAt(task.index, task.content).task.push(...notes);
    } else if (previous !== null) targetAt(start - 1, previous).after.push(...notes);
    else if (next !== null) targetAt(end + 1, next).before.push(...notes);
    if (previous !== null || next !== null) {
      for (let index = start; index <= end; index++) dropped.push(index);
    } else {
      const first = entries[start]!.span;
      edits.push({ start: first.start, end: first.end, replacement: Buffer.concat([USER_MESSAGE_OPEN, joined(notes), USER_MESSAGE_CLOSE]) });
      for (let index = start + 1; index <= end; index++) dropped.push(index);
    }
    start = end + 1;
  }
  for (const target of targets.values()) {
    const own = targetEdits(b, scanner, target);
    // userContent checked the shape, and the scanner accepted the body: cannot fail.
    if (own === null) return null;
    edits.push(...own);
  }
  if (dropped.length > 0) edits.push(...elementRemovals(array.elements, dropped.sort((x, y) => x - y)));
  return edits.sort((x, y) => x.start - y.start);
}

/** The indices of the foldable system messages before the first assistant message. */
function openingNotes(entries: readonly Entry[], isAssistant: (index: number) => boolean): number[] {
  const found: number[] = [];
  for (let index = 0; index < entries.length; index++) {
    if (entries[index]!.note !== null) found.push(index);
    else if (isAssistant(index)) break;
  }
  return found;
}

/** The size of a note's text, as it is folded: the same for its string and block forms. */
function noteSize(note: NoteText): number {
  return note.texts.reduce((sum, text) => sum + text.length, 0);
}

/** The conversation's first user message, whose words after the client's reminders are the agent's task. */
interface TaskMessage {
  readonly index: number;
  readonly content: Span;
  /** The index of the first assistant message (the entries' length when there is none). */
  readonly firstAssistant: number;
}

function taskMessage(entries: readonly Entry[], userContent: (index: number) => Span | null, isAssistant: (index: number) => boolean): TaskMessage | null {
  let first: { index: number; content: Span } | null = null;
  for (let index = 0; index < entries.length; index++) {
    if (entries[index]!.note !== null) continue;
    if (isAssistant(index)) return first === null ? null : { ...first, firstAssistant: index };
    const content: Span | null = first === null ? userContent(index) : null;
    if (content !== null) first = { index, content };
  }
  return null;
}

/**
 * The client's text from the task on up to entry `end` (exclusive), as
 * fold-targets.ts sizes it, skipping the entries that went to the top-level
 * system; the count stops at the first message that takes it past `limit`.
 * Sizes are kept as they are counted, so a body with many later notes reads
 * each message at most once.
 */
function conversationSizes(b: Buffer, scanner: JsonScanner, task: TaskMessage, entries: readonly Entry[], skipped: ReadonlySet<number>, membersOf: (index: number) => readonly MemberSpan[] | null): (end: number, limit: number) => number {
  // upTo[i]: the size from the task up to entry task.index + 1 + i.
  const upTo: number[] = [];
  return (end, limit) => {
    if (upTo.length === 0) upTo.push(contentSize(b, scanner, task.content, true));
    while (task.index + upTo.length < end && upTo[upTo.length - 1]! <= limit) {
      const index = task.index + upTo.length;
      const entry = entries[index]!;
      const content = entry.note !== null || skipped.has(index) ? null : findMember(b, membersOf(index) ?? [], 'content');
      const size = skipped.has(index) ? 0 : entry.note !== null ? noteSize(entry.note)
        : content ? contentSize(b, scanner, content) : entry.span.end - entry.span.start;
      upTo.push(upTo[upTo.length - 1]! + size);
    }
    return upTo[Math.min(end - task.index, upTo.length) - 1]!;
  };
}
