// A validating structural scanner over raw JSON bytes. It finds where values
// sit without building them, so a rewrite can splice a few bytes and leave
// every other byte of a large body exactly as the client sent it. It follows
// the JSON grammar strictly (RFC 8259): any body it accepts, JSON.parse
// accepts too, so malformed bodies are recognised and forwarded untouched.
//
// Claude Code resends almost the same body every turn, so a scan can lean on
// the previous one (see scan-memo.ts): where the two bodies agree byte for
// byte, values the earlier scan accepted are skipped instead of re-read.
import { hasForbiddenControlByte } from './control-bytes.js';

/** A half-open byte range [start, end) of one JSON value (strings include their quotes). */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A body the scanner accepted, with what the next scan may reuse of it. */
export interface AcceptedScan {
  readonly body: Buffer;
  /** Start → end of every value at REUSE_DEPTH (the items of the root's members). */
  readonly spans: ReadonlyMap<number, number>;
}

/** Where a body agrees byte for byte with one scanned before. */
export interface Reuse {
  readonly base: AcceptedScan;
  /** Bytes [0, prefix) are the same in both. */
  readonly prefix: number;
  /** The last `suffix` bytes are the same in both. */
  readonly suffix: number;
}

/**
 * Values nested this deep (root = 0) are recorded and reused: one message,
 * one tool, one system block, one metadata field. Deeper would cost a lookup
 * per small value; shallower would make one changed message re-read them all.
 */
const REUSE_DEPTH = 2;

export interface MemberSpan {
  /** The key's string literal, quotes included. */
  readonly key: Span;
  readonly value: Span;
}

// JSON's structural bytes, which the rewrite modules that walk a body with this scanner share.
export const SPACE = 0x20;
export const TAB = 0x09;
export const LF = 0x0a;
export const CR = 0x0d;
export const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
export const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
export const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
export const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const LOWER_U = 0x75;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const NOT_FOUND = -1;

/** Bytes allowed after a backslash, besides `u`: " \ / b f n r t */
const SIMPLE_ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);
const LITERALS: readonly Uint8Array[] = [Buffer.from('true'), Buffer.from('false'), Buffer.from('null')];

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function skipDigits(b: Uint8Array, i: number): number {
  while (isDigit(b[i]!)) i++;
  return i;
}

/** -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
function skipNumber(b: Uint8Array, i: number): number {
  if (b[i] === MINUS) i++;
  const first = b[i]!;
  if (first === 0x30) i++;
  else if (isDigit(first)) i = skipDigits(b, i + 1);
  else return NOT_FOUND;
  if (b[i] === DOT) {
    if (!isDigit(b[i + 1]!)) return NOT_FOUND;
    i = skipDigits(b, i + 1);
  }
  if (b[i] === LOWER_E || b[i] === UPPER_E) {
    i++;
    if (b[i] === PLUS || b[i] === MINUS) i++;
    if (!isDigit(b[i]!)) return NOT_FOUND;
    i = skipDigits(b, i);
  }
  return i;
}

/** Compared byte by byte: four or five bytes do not repay a native call. */
function skipLiteral(b: Uint8Array, i: number): number {
  for (const literal of LITERALS) {
    let k = 0;
    while (k < literal.length && b[i + k] === literal[k]) k++;
    if (k === literal.length) return i + k;
  }
  return NOT_FOUND;
}

/**
 * The first position of one byte at or after a given offset, remembered so
 * that a forward scan searches each stretch of the body once instead of once
 * per string. It searches the Buffer itself: a latin1 string copy searched a
 * little faster, but cost a copy of the whole body on every call, even when
 * the scan memo left only a few strings to read.
 */
class NextByte {
  private searchedFrom = Number.MAX_SAFE_INTEGER;
  private found = NOT_FOUND;

  constructor(private readonly b: Buffer, private readonly byte: number) {}

  from(offset: number): number {
    if (offset < this.searchedFrom || (this.found !== NOT_FOUND && this.found < offset)) {
      this.searchedFrom = offset;
      this.found = this.b.indexOf(this.byte, offset);
    }
    return this.found;
  }
}

/**
 * A scanner over one body. Positions passed in and returned are byte offsets.
 * rootMembers validates the whole document; objectMembers and arrayElements
 * then re-read parts of a document it has accepted.
 */
export class JsonScanner {
  private searches: { quote: NextByte; backslash: NextByte; rawWhitespace: readonly NextByte[] } | null = null;
  private readonly spans = new Map<number, number>();
  /** Values taken from an earlier scan rather than read (the rewrite's own re-reads not counted). */
  reusedValues = 0;

  constructor(private readonly b: Buffer, private readonly reuse: Reuse | null = null) {}

  /** The byte searches, set up on the first string (a reused scan may read few). */
  private get search(): { quote: NextByte; backslash: NextByte; rawWhitespace: readonly NextByte[] } {
    if (this.searches) return this.searches;
    const b = this.b;
    this.searches = {
      quote: new NextByte(b, QUOTE),
      backslash: new NextByte(b, BACKSLASH),
      // Raw whitespace control bytes: valid between tokens, invalid inside
      // strings. None in compact JSON (Claude Code's), so strings skip the check.
      rawWhitespace: [LF, CR, TAB].filter((byte) => b.includes(byte)).map((byte) => new NextByte(b, byte)),
    };
    return this.searches;
  }

  /** What the next scan may reuse; only meaningful once rootMembers has accepted the body. */
  accepted(): AcceptedScan {
    return { body: this.b, spans: this.spans };
  }

  /**
   * The top-level members of a document that is exactly one JSON object
   * (surrounding whitespace allowed), or null for anything else: another
   * type, malformed or truncated input, or trailing bytes.
   */
  rootMembers(): MemberSpan[] | null {
    const b = this.b;
    const root = this.objectMembers(this.skipWhitespace(0), 0);
    if (root === null || this.skipWhitespace(root.end) !== b.length) return null;
    // One word-wise pass instead of a per-byte check inside every string; the
    // bytes shared with an accepted body are known to be clean already.
    const clean = this.reuse === null ? b : b.subarray(this.reuse.prefix, Math.max(this.reuse.prefix, b.length - this.reuse.suffix));
    if (hasForbiddenControlByte(clean)) return null;
    return root.members;
  }

  /** The members of the object whose `{` is at `i`, nested `depth` deep, or null when it is malformed. */
  objectMembers(i: number, depth: number): { members: MemberSpan[]; end: number } | null {
    const b = this.b;
    if (b[i] !== OPEN_OBJECT) return null;
    const members: MemberSpan[] = [];
    i = this.skipWhitespace(i + 1);
    if (b[i] === CLOSE_OBJECT) return { members, end: i + 1 };
    for (;;) {
      const keyEnd = this.skipKey(i);
      const valueStart = this.skipColon(keyEnd);
      const valueEnd = this.skipValue(valueStart, depth + 1);
      if (valueEnd < 0) return null;
      members.push({ key: { start: i, end: keyEnd }, value: { start: valueStart, end: valueEnd } });
      i = this.skipWhitespace(valueEnd);
      if (b[i] === CLOSE_OBJECT) return { members, end: i + 1 };
      if (b[i] !== COMMA) return null;
      i = this.skipWhitespace(i + 1);
    }
  }

  /** The elements of the array whose `[` is at `i`, nested `depth` deep, or null when it is malformed. */
  arrayElements(i: number, depth: number): { elements: Span[]; end: number } | null {
    const b = this.b;
    if (b[i] !== OPEN_ARRAY) return null;
    const elements: Span[] = [];
    i = this.skipWhitespace(i + 1);
    if (b[i] === CLOSE_ARRAY) return { elements, end: i + 1 };
    for (;;) {
      const end = this.skipValue(i, depth + 1);
      if (end < 0) return null;
      elements.push({ start: i, end });
      i = this.skipWhitespace(end);
      if (b[i] === CLOSE_ARRAY) return { elements, end: i + 1 };
      if (b[i] !== COMMA) return null;
      i = this.skipWhitespace(i + 1);
    }
  }

  /**
   * `i` is at the first byte of a value nested `depth` deep (no leading
   * whitespace); returns the index after it, or -1 when it is malformed or
   * truncated. Iterative, so a deeply nested hostile body cannot overflow the
   * call stack.
   */
  private skipValue(i: number, depth: number): number {
    const b = this.b;
    // One entry per open container: true for an object, false for an array.
    const open: boolean[] = [];
    // Where the value being read at REUSE_DEPTH began, to record its span.
    let reusableStart = NOT_FOUND;
    for (;;) {
      // Here `i` is where a value must start.
      if (i < 0 || i >= b.length) return NOT_FOUND;
      const c = b[i];
      const known = depth + open.length === REUSE_DEPTH ? this.knownEnd(i) : NOT_FOUND;
      if (known !== NOT_FOUND) {
        this.spans.set(i, known);
        i = known;
      } else if (c === OPEN_OBJECT) {
        if (depth + open.length === REUSE_DEPTH) reusableStart = i;
        i = this.skipWhitespace(i + 1);
        if (b[i] === CLOSE_OBJECT) {
          i++;
        } else {
          open.push(true);
          i = this.skipColon(this.skipKey(i));
          continue;
        }
      } else if (c === OPEN_ARRAY) {
        if (depth + open.length === REUSE_DEPTH) reusableStart = i;
        i = this.skipWhitespace(i + 1);
        if (b[i] === CLOSE_ARRAY) {
          i++;
        } else {
          open.push(false);
          continue;
        }
      } else {
        if (depth + open.length === REUSE_DEPTH) reusableStart = i;
        i = this.skipScalar(i);
        if (i < 0) return NOT_FOUND;
      }
      // A value just ended: close containers until one expects another element.
      for (;;) {
        if (reusableStart !== NOT_FOUND && depth + open.length === REUSE_DEPTH) {
          this.spans.set(reusableStart, i);
          reusableStart = NOT_FOUND;
        }
        if (open.length === 0) return i;
        i = this.skipWhitespace(i);
        const inObject = open[open.length - 1]!;
        const d = b[i];
        if (d === COMMA) {
          i = this.skipWhitespace(i + 1);
          if (inObject) i = this.skipColon(this.skipKey(i));
          break;
        }
        if (d !== (inObject ? CLOSE_OBJECT : CLOSE_ARRAY)) return NOT_FOUND;
        open.pop();
        i++;
      }
    }
  }

  /**
   * The end of a value at REUSE_DEPTH starting at `i` that needs no reading:
   * one this scan already read (the rewrite re-reads `system`), or one an
   * accepted body holds with the same bytes, terminating byte included.
   * In the shared prefix the scan has reached `i` exactly as the earlier one
   * did; in the shared suffix the value is the same bytes, and a value's
   * validity and end depend on nothing before it. -1 when neither applies.
   */
  private knownEnd(i: number): number {
    const own = this.spans.get(i);
    if (own !== undefined) return own;
    const reused = this.reusedEnd(i);
    if (reused !== NOT_FOUND) this.reusedValues++;
    return reused;
  }

  private reusedEnd(i: number): number {
    const reuse = this.reuse;
    if (reuse === null) return NOT_FOUND;
    const spans = reuse.base.spans;
    if (i < reuse.prefix) {
      const end = spans.get(i);
      return end !== undefined && end < reuse.prefix ? end : NOT_FOUND;
    }
    const baseLength = reuse.base.body.length;
    const shift = this.b.length - baseLength;
    if (i - shift < baseLength - reuse.suffix) return NOT_FOUND;
    const end = spans.get(i - shift);
    return end !== undefined && end < baseLength ? end + shift : NOT_FOUND;
  }

  private skipWhitespace(i: number): number {
    const b = this.b;
    let c = b[i];
    while (c === SPACE || c === LF || c === CR || c === TAB) c = b[++i];
    return i;
  }

  /** `i` is at an opening quote; returns the index after the closing quote, or -1. */
  private skipString(i: number): number {
    const b = this.b;
    const search = this.search;
    let at = i + 1;
    for (;;) {
      const quote = search.quote.from(at);
      if (quote < 0) return NOT_FOUND;
      const escape = search.backslash.from(at);
      const stop = escape >= 0 && escape < quote ? escape : quote;
      if (search.rawWhitespace.length > 0 && this.rawWhitespaceWithin(at, stop)) return NOT_FOUND;
      if (stop === quote) return quote + 1;
      const kind = b[escape + 1];
      if (kind === LOWER_U) {
        if (!(isHexDigit(b[escape + 2]!) && isHexDigit(b[escape + 3]!) && isHexDigit(b[escape + 4]!) && isHexDigit(b[escape + 5]!))) return NOT_FOUND;
        at = escape + 6;
      } else if (kind !== undefined && SIMPLE_ESCAPES.has(kind)) {
        at = escape + 2;
      } else {
        return NOT_FOUND;
      }
    }
  }

  /** Whether a raw tab, CR or LF lies in [start, end) (inside a string, where JSON forbids them). */
  private rawWhitespaceWithin(start: number, end: number): boolean {
    for (const next of this.search.rawWhitespace) {
      const at = next.from(start);
      if (at >= 0 && at < end) return true;
    }
    return false;
  }

  /** A string, number or literal at `i` (which is not whitespace); -1 when none is there. */
  private skipScalar(i: number): number {
    const c = this.b[i];
    if (c === QUOTE) return this.skipString(i);
    if (c === MINUS || isDigit(c!)) return skipNumber(this.b, i);
    return skipLiteral(this.b, i);
  }

  /** `i` should be at a key's opening quote; returns the index after the key, or -1. */
  private skipKey(i: number): number {
    return this.b[i] === QUOTE ? this.skipString(i) : NOT_FOUND;
  }

  /** After a key (or -1): skips whitespace, `:` and whitespace; returns where the value starts, or -1. */
  private skipColon(i: number): number {
    if (i < 0) return NOT_FOUND;
    i = this.skipWhitespace(i);
    return this.b[i] === COLON ? this.skipWhitespace(i + 1) : NOT_FOUND;
  }
}

/** The most bytes one UTF-16 unit of a name can take in a key literal: a `\uXXXX` escape. */
const MAX_BYTES_PER_NAME_UNIT = 6;

/**
 * Whether the key literal at `key` spells `name`, escapes decoded
 * (`"sys\u0074em"` is `system`). Keys are short, so it reads bytes in a
 * loop: each Buffer native (subarray, includes, toString) costs a
 * microsecond or more once the proxy's code has gone cold between calls.
 */
export function keyEquals(b: Buffer, key: Span, name: string): boolean {
  const start = key.start + 1;
  const end = key.end - 1;
  // Too long to spell the name even escaped: no need to read it.
  if (end - start > name.length * MAX_BYTES_PER_NAME_UNIT) return false;
  for (let i = start; i < end; i++) {
    if (b[i] === BACKSLASH) return JSON.parse(b.toString('utf8', key.start, key.end)) === name;
  }
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    if (b[start + i] !== name.charCodeAt(i)) return false;
  }
  return true;
}

/** The value of the member named `name`, or undefined; null when the name occurs more than once (ambiguous). */
export function findMember(b: Buffer, members: readonly MemberSpan[], name: string): Span | null | undefined {
  let found: Span | undefined;
  for (const member of members) {
    if (!keyEquals(b, member.key, name)) continue;
    if (found !== undefined) return null;
    found = member.value;
  }
  return found;
}
