// Splits a raw JSON string literal at its first line break without decoding
// the rest, so the text after the first line keeps its exact escapes.
import type { Span } from './json-scan.js';

const BACKSLASH = 0x5c;
const LOWER_N = 0x6e;
const LOWER_U = 0x75;

/** Positions inside a validated string literal: `"<line><newline escape><rest>"`. */
export interface RawFirstLine {
  /** Index just after the opening quote. */
  readonly lineStart: number;
  /** End of the first line's raw bytes (start of its newline escape, or of the closing quote). */
  readonly lineEnd: number;
  /** Start of the rest after the newline escape; equals lineEnd when there is no line break. */
  readonly restStart: number;
  /** Index of the closing quote. */
  readonly close: number;
}

/** `\u000a` / `\u000A`, the long spelling of a line feed. */
function isUnicodeLineFeed(b: Uint8Array, i: number): boolean {
  return b[i + 2] === 0x30 && b[i + 3] === 0x30 && b[i + 4] === 0x30 && (b[i + 5] === 0x61 || b[i + 5] === 0x41);
}

/** `literal` must span a string literal the scanner accepted. */
export function splitFirstLine(b: Uint8Array, literal: Span): RawFirstLine {
  const lineStart = literal.start + 1;
  const close = literal.end - 1;
  let i = lineStart;
  while (i < close) {
    if (b[i] !== BACKSLASH) {
      i++;
      continue;
    }
    const escape = b[i + 1];
    if (escape === LOWER_N) return { lineStart, lineEnd: i, restStart: i + 2, close };
    if (escape === LOWER_U) {
      if (isUnicodeLineFeed(b, i)) return { lineStart, lineEnd: i, restStart: i + 6, close };
      i += 6; // the scanner has validated the four hex digits
    } else {
      i += 2;
    }
  }
  return { lineStart, lineEnd: close, restStart: close, close };
}

/** Decodes the raw bytes [start, end) of a string literal's contents (escape boundaries only). */
export function decodeStringContents(b: Buffer, start: number, end: number): string {
  return JSON.parse(`"${b.toString('utf8', start, end)}"`) as string;
}

/** The raw contents (no quotes) that JSON encodes `text` as. */
export function encodeStringContents(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
