// Parses forwarded bodies for the diagnostics. When the rewrite has already
// located a body's top-level members, they are parsed one by one, and a
// large member that recurs byte for byte (Claude Code resends its tool
// definitions and system text every turn) comes back as the very object
// parsed before: neither its parse nor its rendering (see render.ts) is
// redone. Parsed values are shared between calls, so they are read-only.
import type { MemberSpan } from '../rewrite/json-scan.js';
import { joinPieces, sliceOfPieces } from '../rewrite/pieces.js';
import { parseBodyBytes } from '../rewrite/body-bytes.js';

export interface BodyParserLimits {
  /** Values kept: the tools and the system text, plus room for the turn's messages. */
  readonly values: number;
  /** Below this a value is cheaper to parse than to look up. */
  readonly minBytes: number;
  /** Above this a value is not kept (a one-off giant would pin its body). */
  readonly maxBytes: number;
}

const DEFAULT_LIMITS: BodyParserLimits = { values: 4, minBytes: 2048, maxBytes: 4 * 1024 * 1024 };

interface KeptValue {
  /** The value's bytes, a view into the body it came from. */
  readonly bytes: Buffer;
  readonly value: unknown;
}

export class BodyParser {
  /** Most recently used first. */
  private kept: KeptValue[] = [];
  private readonly limits: BodyParserLimits;
  /** Values handed back from the cache rather than parsed, for tests and the curious. */
  reused = 0;

  constructor(limits: Partial<BodyParserLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /**
   * The body (its pieces laid end to end, see rewrite/pieces.ts) parsed as
   * JSON.parse would parse its bytes read as latin1 (see rewrite/body-bytes.ts);
   * throws on malformed JSON. `members`, when given, must be where a JSON
   * scanner found the top-level members of a well-formed object.
   */
  parse(pieces: readonly Buffer[], members: readonly MemberSpan[] | null): unknown {
    if (members === null) return parseBodyBytes(joinPieces(pieces));
    const parsed: Record<string, unknown> = {};
    for (const { key, value } of members) {
      const name = parseBodyBytes(sliceOfPieces(pieces, key.start, key.end)) as string;
      // As JSON.parse does: `__proto__` is an own property, and a repeated
      // key keeps its first place with its last value.
      Object.defineProperty(parsed, name, { value: this.value(sliceOfPieces(pieces, value.start, value.end)), writable: true, enumerable: true, configurable: true });
    }
    return parsed;
  }

  private value(bytes: Buffer): unknown {
    const { minBytes, maxBytes, values } = this.limits;
    if (bytes.length < minBytes || bytes.length > maxBytes) return parseBodyBytes(bytes);
    const index = this.kept.findIndex((kept) => kept.bytes.length === bytes.length && kept.bytes.equals(bytes));
    if (index >= 0) {
      const hit = this.kept[index]!;
      this.kept.splice(index, 1);
      this.kept.unshift(hit);
      this.reused++;
      return hit.value;
    }
    const value: unknown = parseBodyBytes(bytes);
    this.kept.unshift({ bytes, value });
    if (this.kept.length > values) this.kept.pop();
    return value;
  }
}
