// Recent bodies the scanner accepted, so the next one is validated only
// where it differs. Claude Code resends the whole conversation every turn:
// each body shares its front (model, earlier messages) and its back (system
// text after the billing line, tool definitions) with the one before, and
// only the new turn and the billing line's volatile values are new bytes.
import type { AcceptedScan, Reuse } from './json-scan.js';

export interface ScanMemoLimits {
  /** Bodies kept; a few, so interleaved conversations (subagents) each find their predecessor. */
  readonly bodies: number;
  /** Bytes kept in all; a larger body is scanned but not kept. */
  readonly bytes: number;
}

const DEFAULT_LIMITS: ScanMemoLimits = { bodies: 4, bytes: 32 * 1024 * 1024 };

/** Stop looking for a better base once at most this share of the body is left to read. */
const GOOD_ENOUGH = 0.1;

/** memcmp granularity: large enough that call overhead vanishes, small enough to bisect quickly. */
const BLOCK = 4096;

function sameBytes(a: Buffer, aStart: number, b: Buffer, bStart: number, length: number): boolean {
  return a.compare(b, bStart, bStart + length, aStart, aStart + length) === 0;
}

/**
 * How many bytes two buffers share at the start (`fromEnd` false) or at the
 * end, up to `limit`: whole blocks are compared natively, then the first
 * block that differs is bisected.
 */
function sharedLength(a: Buffer, b: Buffer, limit: number, fromEnd: boolean): number {
  // Where the `length` bytes that lie `offset` bytes in from the chosen end begin.
  const startIn = (buf: Buffer, offset: number, length: number): number => (fromEnd ? buf.length - offset - length : offset);
  const same = (offset: number, length: number): boolean => sameBytes(a, startIn(a, offset, length), b, startIn(b, offset, length), length);
  let done = 0;
  while (done < limit) {
    const length = Math.min(BLOCK, limit - done);
    if (!same(done, length)) {
      // Bytes [done, done + low) agree; [done, done + high) do not.
      let low = 0;
      let high = length;
      while (high - low > 1) {
        const mid = (low + high) >> 1;
        if (same(done, mid)) low = mid;
        else high = mid;
      }
      return done + low;
    }
    done += length;
  }
  return limit;
}

/** The length of the longest common prefix of a and b. */
export function sharedPrefixLength(a: Buffer, b: Buffer): number {
  return sharedLength(a, b, Math.min(a.length, b.length), false);
}

/** The length of the longest common suffix of a and b, at most `limit`. */
export function sharedSuffixLength(a: Buffer, b: Buffer, limit = Math.min(a.length, b.length)): number {
  return sharedLength(a, b, Math.min(limit, a.length, b.length), true);
}

export class ScanMemo {
  private recent: AcceptedScan[] = [];
  private readonly limits: ScanMemoLimits;

  constructor(limits: Partial<ScanMemoLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /**
   * A kept body that shares the most bytes with `body` at its ends, or null
   * when none shares any. The newest comes first, and one that leaves less
   * than GOOD_ENOUGH of the body to read ends the search (usually the first).
   */
  reuseFor(body: Buffer): Reuse | null {
    let best: Reuse | null = null;
    for (const base of this.recent) {
      const prefix = sharedPrefixLength(base.body, body);
      // Prefix and suffix must not overlap, or a byte would count in both.
      const suffix = sharedSuffixLength(base.body, body, Math.min(base.body.length, body.length) - prefix);
      if (prefix + suffix > (best === null ? 0 : best.prefix + best.suffix)) best = { base, prefix, suffix };
      if (body.length - prefix - suffix <= body.length * GOOD_ENOUGH) break;
    }
    return best;
  }

  remember(scan: AcceptedScan): void {
    if (scan.body.length > this.limits.bytes) return;
    const kept = [scan];
    let bytes = scan.body.length;
    for (const older of this.recent) {
      if (kept.length >= this.limits.bodies || bytes + older.body.length > this.limits.bytes) break;
      kept.push(older);
      bytes += older.body.length;
    }
    this.recent = kept;
  }

  get size(): number {
    return this.recent.length;
  }
}
