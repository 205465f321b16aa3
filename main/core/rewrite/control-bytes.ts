// JSON forbids raw control bytes inside strings. Tab, CR and LF are still
// legal between tokens, so the scanner checks those per string; every other
// control byte is illegal anywhere, and this finds one in a single pass.

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const HIGH_BITS = 0x80808080 | 0;

function isForbidden(c: number): boolean {
  return c < 0x20 && c !== TAB && c !== LF && c !== CR;
}

function anyForbidden(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (isForbidden(b[i]!)) return true;
  return false;
}

/** Words tested together: one branch for sixteen bytes. */
const GROUP = 4;

/**
 * HIGH_BITS exactly when none of the word's four bytes is below 0x20:
 * `(x & 0x7f) + 0x60` sets a byte's top bit iff its low seven bits are
 * ≥ 0x20, and or-ing `x` back in covers bytes ≥ 0x80.
 */
function topBitsOfBytesFromSpace(x: number): number {
  return (((x & 0x7f7f7f7f) + 0x60606060) | x) & HIGH_BITS;
}

/**
 * The index of the first word at or after `from` such that it, or one of the
 * GROUP - 1 words after it, holds a byte below 0x20; -1 when none does.
 * The loop is its own function, with nothing after it, so that the code V8
 * compiles while it runs (on-stack replacement) never reaches code it has no
 * type feedback for: such a path deoptimised on every request.
 */
function nextWordsBelowSpace(words: Int32Array, from: number): number {
  const grouped = from + ((words.length - from) & -GROUP);
  let w = from;
  for (; w < grouped; w += GROUP) {
    const all = topBitsOfBytesFromSpace(words[w]!) & topBitsOfBytesFromSpace(words[w + 1]!) & topBitsOfBytesFromSpace(words[w + 2]!) & topBitsOfBytesFromSpace(words[w + 3]!);
    if (all !== HIGH_BITS) return w;
  }
  for (; w < words.length; w++) if (topBitsOfBytesFromSpace(words[w]!) !== HIGH_BITS) return w;
  return -1;
}

/**
 * Whether `b` holds a control byte other than tab, CR or LF. Tests sixteen
 * bytes at a time, which is several times faster than a regex or a byte loop
 * on a large body, and looks closer only at words that hold a byte below 0x20.
 */
export function hasForbiddenControlByte(b: Uint8Array): boolean {
  const head = Math.min((4 - (b.byteOffset & 3)) & 3, b.length);
  const wordCount = (b.length - head) >> 2;
  const tail = head + wordCount * 4;
  if (anyForbidden(b, 0, head) || anyForbidden(b, tail, b.length)) return true;
  // A view too short for one aligned word would also have an unaligned start.
  if (wordCount === 0) return false;
  const words = new Int32Array(b.buffer, b.byteOffset + head, wordCount);
  for (let w = nextWordsBelowSpace(words, 0); w >= 0; w = nextWordsBelowSpace(words, w + GROUP)) {
    if (anyForbidden(b, head + w * 4, Math.min(head + (w + GROUP) * 4, tail))) return true;
  }
  return false;
}
