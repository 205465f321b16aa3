// JSON forbids raw control bytes inside strings. Tab, CR and LF are still
// legal between tokens, so the scanner checks those per string; every other
// control byte is illegal anywhere, and this finds one in a single pass.

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

function isForbidden(c: number): boolean {
  return c < 0x20 && c !== TAB && c !== LF && c !== CR;
}

/**
 * Whether `b` holds a control byte other than tab, CR or LF. Tests four bytes
 * at a time (a word has a byte below 0x20 iff `(x - 0x20202020) & ~x &
 * 0x80808080` is non-zero), which is a few times faster than a regex or a
 * byte loop on a large body, and looks closer only at words that hit.
 */
export function hasForbiddenControlByte(b: Uint8Array): boolean {
  const head = Math.min((4 - (b.byteOffset & 3)) & 3, b.length);
  for (let i = 0; i < head; i++) if (isForbidden(b[i]!)) return true;
  const words = new Int32Array(b.buffer, b.byteOffset + head, (b.length - head) >> 2);
  for (let w = 0; w < words.length; w++) {
    const x = words[w]!;
    if (((x - 0x20202020) & ~x & 0x80808080) === 0) continue;
    const at = head + w * 4;
    for (let i = at; i < at + 4; i++) if (isForbidden(b[i]!)) return true;
  }
  for (let i = head + words.length * 4; i < b.length; i++) if (isForbidden(b[i]!)) return true;
  return false;
}
