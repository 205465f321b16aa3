// How deeply a JSON text nests, found by one pass over its bytes with no
// recursion, so it is safe on any input. JSON.parse copes with any depth, but
// JSON.stringify and every recursive walk over the parsed value (the prompt
// renderer, the usage rewrite) overflow the stack a few thousand levels down,
// and a 30 KB body reaches that. The proxy asks this first and leaves deeper
// bodies unanalysed: they are still forwarded, as the client sent them.

/**
 * The deepest nesting the diagnostics and the SSE tap accept. Claude Code's
 * deepest tool schemas nest about 12 levels; a hundred leaves room for any
 * real request while staying far below where a recursive walk overflows.
 */
export const MAX_ANALYSED_DEPTH = 100;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/** Nesting state carried from one piece of a text to the next. */
class DepthScan {
  depth = 0;
  inString = false;
  escaped = false;

  constructor(private readonly limit: number) {}

  /** Reads the next bytes; true once the nesting went past the limit. */
  feed(bytes: Buffer): boolean {
    let i = 0;
    const n = bytes.length;
    while (i < n) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          i++;
          continue;
        }
        // Strings are most of a prompt: jump to the next quote or backslash.
        const quote = bytes.indexOf(QUOTE, i);
        const slash = bytes.indexOf(BACKSLASH, i);
        if (quote === -1 && slash === -1) return false;
        if (slash !== -1 && (quote === -1 || slash < quote)) {
          this.escaped = true;
          i = slash + 1;
        } else {
          this.inString = false;
          i = quote + 1;
        }
        continue;
      }
      const c = bytes[i++]!;
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (++this.depth > this.limit) return true;
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) this.depth--;
    }
    return false;
  }
}

/** Whether the JSON laid end to end in `pieces` (or one string) nests deeper than `limit` arrays and objects. */
export function nestsDeeperThan(pieces: readonly Buffer[] | string, limit: number = MAX_ANALYSED_DEPTH): boolean {
  const scan = new DepthScan(limit);
  if (typeof pieces === 'string') return scan.feed(Buffer.from(pieces, 'utf8'));
  return pieces.some((piece) => scan.feed(piece));
}
