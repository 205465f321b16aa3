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

/**
 * The index of the first word at or after `from` holding a byte below 0x20,
 * or -1. Exact, with no false hits: `(x & 0x7f) + 0x60` sets a byte's top bit
 * iff its low seven bits are ≥ 0x20, and or-ing `x` back in covers bytes ≥ 0x80.
 * The loop is its own function, with nothing after it, so that the code V8
 * compiles while it runs (on-stack replacement) never reaches code it has no
 * type feedback for: such a path deoptimised on every request.
 */
function nextWordBelowSpace(words: Int32Array, from: number): number {
  for (let w = from; w < words.length; w++) {
    const x = words[w]!;
    if (((((x & 0x7f7f7f7f) + 0x60606060) | x) & HIGH_BITS) !== HIGH_BITS) return w;
  }
  return -1;
}

/**
 * Whether `b` holds a control byte other than tab, CR or LF. Tests four bytes
 * at a time, which is a few times faster than a regex or a byte loop on a
 * large body, and looks closer only at words that hold a byte below 0x20.
 */
export function hasForbiddenControlByte(b: Uint8Array): boolean {
  const head = Math.min((4 - (b.byteOffset & 3)) & 3, b.length);
  const wordCount = (b.length - head) >> 2;
  const tail = head + wordCount * 4;
  if (anyForbidden(b, 0, head) || anyForbidden(b, tail, b.length)) return true;
  // A view too short for one aligned word would also have an unaligned start.
  if (wordCount === 0) return false;
  const words = new Int32Array(b.buffer, b.byteOffset + head, wordCount);
  for (let w = nextWordBelowSpace(words, 0); w >= 0; w = nextWordBelowSpace(words, w + 1)) {
    if (anyForbidden(b, head + w * 4, head + w * 4 + 4)) return true;
  }
  return false;
}
