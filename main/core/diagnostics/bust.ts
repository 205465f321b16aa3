// Names the cause of a divergence between a prompt and the one before it,
// and describes where it happened in a few characters, never more: bust
// records end up in logs and must not carry prompt text.
import type { Bust, BustCause } from '../wire/types.js';
import type { PromptLayout, RenderedPrompt, TextSpan } from './render.js';
import { messagesStart, pathAt } from './render.js';
import type { StoredPrompt } from './stored-prompt.js';
import { detach, readStored } from './stored-prompt.js';

/**
 * A turn is a miss when the backend must recompute more than this much of
 * its predecessor (about 64 tokens). Smaller losses at the very end of a
 * prompt cost a fraction of a second and are not worth a warning.
 */
export const MISS_MIN_LOST_CHARS = 256;

/** Longest excerpt of either prompt a bust carries. */
export const EXCERPT_CHARS = 40;

const LEAD_CHARS = 24;
/** How far past the divergence the classifier looks: past a whole reminder and a little more. */
const LOOKAHEAD_CHARS = 4096;
/** Text that must match after a skipped reminder for it to count as inserted. */
const REALIGN_CHARS = 64;
/** How far back it looks for the start of an enclosing line or reminder. */
const LOOKBACK_CHARS = 8000;

/** A date line is short: look this far either side of the divergence. */
const DATE_LINE_SPAN_CHARS = 80;
const DATE_LINE = /today['’]?s date|current ?date|date today/i;
const REMINDER_OPEN = '<system-reminder>';
const REMINDER_CLOSE = '</system-reminder>';
/** A reminder starts right at the divergence, possibly after a message header. */
const REMINDER_AT_START = /^\s*(?:<\|[^|\n]{0,80}\|>\s*)?<system-reminder>/;
/** The kind of reminder Claude Code rewrites every turn ("... tokens left"). */
const TOKENS_REMINDER = /\btokens?\b/i;
const TOKEN_DELIMITER = /[\s;,"'<>()[\]{}|]/;

/** The path of a rendered think block: a thinking block's, or the message's own where it had none. */
const REASONING_PATH = /^messages\[\d+\](?:\.content\[\d+\])?\.thinking$/;

type Region = 'system' | 'tools' | 'messages' | 'none';

/** The system prompt and the tools come first, in the order the family's renderer writes them. */
function regionAt(layout: PromptLayout, offset: number): Region {
  if (offset >= layout.systemStart && offset < layout.systemEnd) return 'system';
  if (offset >= layout.toolsStart && offset < layout.toolsEnd) return 'tools';
  return layout.hasMessages ? 'messages' : 'none';
}

function within(span: TextSpan | null, offset: number): boolean {
  // The end counts: a value appended to the line diverges right there.
  return span !== null && offset >= span.start && offset <= span.end;
}

function upToNewline(text: string): string {
  const newline = text.indexOf('\n');
  return newline >= 0 ? text.slice(0, newline) : text;
}

function onDateLine(text: string, at: number, prevAhead: string, curAhead: string): boolean {
  // Only the line near the divergence: a date mentioned far along a long
  // line (a tool's JSON) is not this line's.
  const behind = text.slice(Math.max(0, at - DATE_LINE_SPAN_CHARS), at);
  const lineHead = behind.slice(behind.lastIndexOf('\n') + 1);
  const lineTail = (ahead: string): string => upToNewline(ahead.slice(0, DATE_LINE_SPAN_CHARS));
  return DATE_LINE.test(lineHead + lineTail(curAhead)) || DATE_LINE.test(lineHead + lineTail(prevAhead));
}

/** Where the reminder starting at `text`'s head ends, or -1 when none starts there. */
function reminderEnd(text: string): number {
  const start = REMINDER_AT_START.exec(text);
  if (start === null) return -1;
  const close = text.indexOf(REMINDER_CLOSE, start[0].length);
  return close < 0 ? -1 : close + REMINDER_CLOSE.length;
}

/** One side has a whole reminder where the other goes straight on with the same text. */
function reminderInserted(withReminder: string, without: string): boolean {
  const end = reminderEnd(withReminder);
  if (end < 0) return false;
  // Shorter than REALIGN_CHARS only where the prompt ends after the reminder.
  const rest = withReminder.slice(end, end + REALIGN_CHARS);
  return rest === without.slice(0, rest.length);
}

function touchesReminder(text: string, at: number, prevAhead: string, curAhead: string): boolean {
  // Inserted, removed or moved: skipping the reminder on one side realigns
  // the two prompts. (A reminder that merely opens a rewritten message, like
  // the context reminder of a compacted history, does not realign.)
  if (reminderInserted(curAhead, prevAhead) || reminderInserted(prevAhead, curAhead)) return true;
  // Inside a reminder only the per-turn "tokens left" kind counts: an edit
  // inside another (the context reminder rebuilt on --resume, say) is an
  // ordinary content change, classified by where it happened.
  const behind = text.slice(Math.max(0, at - LOOKBACK_CHARS), at);
  const open = behind.lastIndexOf(REMINDER_OPEN);
  if (open < 0 || behind.indexOf(REMINDER_CLOSE, open) >= 0) return false;
  const rest = (ahead: string): string => {
    const close = ahead.indexOf(REMINDER_CLOSE);
    return close >= 0 ? ahead.slice(0, close) : '';
  };
  return TOKENS_REMINDER.test(behind.slice(open) + rest(curAhead) + '\n' + rest(prevAhead));
}

function sameNamesReordered(before: readonly string[], after: readonly string[]): boolean {
  if (before.length !== after.length) return false;
  const sortedBefore = [...before].sort();
  const sortedAfter = [...after].sort();
  return sortedBefore.every((name, i) => name === sortedAfter[i]);
}

/**
 * The body message whose lifted text (see render.ts) covers `at` in the
 * system region, e.g. `messages[3]`; null anywhere else.
 */
function liftedMessageAt(layout: PromptLayout, at: number): string | null {
  if (at < layout.systemStart || at >= layout.systemEnd) return null;
  return /^messages\[\d+\]/.exec(pathAt(layout, at))?.[0] ?? null;
}

/** Why `current` stops matching `previous` at offset `at` (their common prefix length). */
export function classifyDivergence(previous: StoredPrompt, current: RenderedPrompt, at: number): BustCause {
  if (within(previous.layout.billing, at) || within(current.billing, at)) return 'billing-header';
  // The previous prompt carried an assistant message's reasoning here, and the
  // model's template dropped it once a new user query came (see render.ts).
  if (at >= messagesStart(previous.layout) && REASONING_PATH.test(pathAt(previous.layout, at))) return 'reasoning-dropped';
  const prevAhead = readStored(previous, at, at + LOOKAHEAD_CHARS);
  const curAhead = current.text.slice(at, at + LOOKAHEAD_CHARS);
  const liftedBefore = liftedMessageAt(previous.layout, at);
  const liftedAfter = liftedMessageAt(current, at);
  if (liftedBefore !== null || liftedAfter !== null) {
    // The same lifted message edited on its date line is a date change;
    // any other difference there is a system message added, dropped or
    // rewritten, which the backend moved in front of the conversation.
    const edited = liftedBefore === liftedAfter;
    return edited && onDateLine(current.text, at, prevAhead, curAhead) ? 'date-changed' : 'inline-system';
  }
  if (onDateLine(current.text, at, prevAhead, curAhead)) return 'date-changed';
  if (touchesReminder(current.text, at, prevAhead, curAhead)) return 'system-reminder';
  const before = regionAt(previous.layout, at);
  const after = regionAt(current, at);
  if (before === 'system' || after === 'system') return 'system-changed';
  if (before === 'tools' || after === 'tools') {
    return sameNamesReordered(previous.layout.toolNames, current.toolNames) ? 'tools-reordered' : 'tools-changed';
  }
  if (before === 'messages' && after === 'messages') return 'history-rewritten';
  return 'unknown';
}

/** The shared text just before `at`, back to the start of the token it splits. */
function leadBefore(text: string, at: number): string {
  const window = text.slice(Math.max(0, at - LEAD_CHARS), at);
  let start = window.length;
  while (start > 0 && !TOKEN_DELIMITER.test(window[start - 1])) start--;
  return window.slice(start);
}

/** Where `current` leaves `reference` (at offset `at`), in a few characters of each. */
/**
 * The proxy renders prompts byte-wise (see body-text.ts), so two prompts can
 * part in the middle of a multi-byte character: start the excerpts at its
 * first byte so both read as whole characters.
 */
export function characterStart(text: string, at: number): number {
  let start = at;
  while (start > 0 && at - start < 3 && isContinuationByte(text.charCodeAt(start))) start--;
  const lead = text.charCodeAt(start);
  return start < at && lead >= 0xc0 && lead <= 0xf7 ? start : at;
}

function isContinuationByte(code: number): boolean {
  return code >= 0x80 && code <= 0xbf;
}

export function describeBust(
  cause: BustCause,
  reference: StoredPrompt,
  current: RenderedPrompt,
  divergence: number,
  remedy: string,
): Bust {
  const at = characterStart(current.text, divergence);
  const path = at < current.text.length ? pathAt(current, at) : pathAt(reference.layout, at);
  return {
    cause,
    path,
    before: detach(readStored(reference, at, at + EXCERPT_CHARS)),
    after: detach(current.text.slice(at, at + EXCERPT_CHARS)),
    lead: detach(leadBefore(current.text, at)),
    remedy,
  };
}
