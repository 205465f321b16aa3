// Watches an Anthropic SSE stream on its way to the client: it notes the
// usage figures and the first content delta, and (optionally) adds the cache
// estimate to the usage objects of message_start and message_delta. Nothing
// is held back except the unfinished tail of an event that may carry usage,
// so every other byte leaves in the same tick it arrived.
import { takeUsage, type ObservedUsage, type UsageRewriter } from './usage.js';
import { nestsDeeperThan } from './json-depth.js';

export interface SseTapHooks {
  /** Called once, when the first content_block_delta passes. */
  onFirstContent(): void;
  readonly observed: ObservedUsage;
  /** When set, usage objects are rewritten; when null the bytes pass untouched. */
  readonly rewriteUsage: UsageRewriter | null;
}

const USAGE_EVENT = /^(?:event: *(?:message_start|message_delta)|data: *\{"type": *"(?:message_start|message_delta)")/;
const CONTENT_DELTA = /^(?:event: *content_block_delta|data: *\{"type": *"content_block_delta")/;
/** Every event that carries usage names itself with this (as do message_stop and errors). */
const USAGE_MARK = Buffer.from('message_');
const LF = 0x0a;
/** Enough of an event's start to tell which kind it is. */
const SNIFF_CHARS = 48;
/**
 * The most of one unfinished event the tap holds back. A message_start or
 * message_delta is a few hundred bytes; one larger than this is sent on unread.
 */
export const MAX_HELD_CHARS = 256 * 1024;

/** Whether a chunk ends between events, so nothing of it (not even half a character) is left over. */
function endsOnEventBoundary(chunk: Buffer): boolean {
  const n = chunk.length;
  return n >= 2 && chunk[n - 1] === LF && (chunk[n - 2] === LF || (n >= 4 && chunk[n - 3] === LF && chunk[n - 2] === 0x0d));
}

/**
 * Not a Transform stream: at one event per token, two extra stream hops cost
 * more than the parsing; the forwarder feeds it chunks and writes what it returns.
 */
export class SseUsageTap {
  private readonly decoder = new TextDecoder('utf-8');
  /** Unfinished event text not yet sent (only when it may carry usage), in the pieces it came in. */
  private held: string[] = [];
  private heldChars = 0;
  /** The unfinished event at the end of the last chunk was already sent. */
  private midPassedEvent = false;
  private passedEndedWithNewline = false;
  private sawContent = false;

  constructor(private readonly hooks: SseTapHooks) {}

  /** What to send on for this chunk of the upstream's stream (possibly nothing yet). */
  write(chunk: Buffer): Buffer | string {
    // Most chunks are whole text deltas: once content flows, a chunk of whole
    // events that names no message_* event can go on without being decoded.
    if (this.sawContent && this.heldChars === 0 && !this.midPassedEvent && endsOnEventBoundary(chunk) && chunk.indexOf(USAGE_MARK) === -1) return chunk;
    const text = this.decoder.decode(chunk, { stream: true });
    const out = this.process(text);
    // Forward the upstream's own bytes whenever they stand as they came:
    // always in observe-only mode, and for every event but the two with usage.
    if (this.hooks.rewriteUsage === null || (out === text && !this.decoderHoldsBytes(chunk, text))) return chunk;
    return out;
  }

  /** Whether the decoder kept the tail of a split character back from this chunk's text. */
  private decoderHoldsBytes(chunk: Buffer, text: string): boolean {
    return Buffer.byteLength(text) !== chunk.length;
  }

  /** What is left to send when the upstream's stream ends. */
  end(): string {
    const tail = this.takeHeld() + this.decoder.decode();
    const out = tail.length > 0 ? this.processEvent(tail) : '';
    return this.hooks.rewriteUsage === null ? '' : out;
  }

  /** Splits text into events and returns what may be sent now. */
  private process(text: string): string {
    const boundary = /\r?\n\r?\n/g;
    let out = '';
    let start = 0;
    let input = text;
    if (this.heldChars > 0) {
      // A held usage event ends only in the new text: look there (and across
      // the seam) before joining anything, so each byte is scanned once.
      const last = this.held[this.held.length - 1]!;
      if (this.heldChars >= SNIFF_CHARS && !/\r?\n\r?\n/.test(last.slice(-3) + text)) return this.hold(text);
      input = this.takeHeld() + text;
    }
    // A boundary split across chunks ("…\n" | "\n…") right after a passed event.
    const splitBoundary = this.midPassedEvent && this.passedEndedWithNewline ? /^\r?\n/.exec(input) : null;
    if (splitBoundary) {
      out += splitBoundary[0];
      start = boundary.lastIndex = splitBoundary[0].length;
      this.midPassedEvent = false;
    }
    for (let m = boundary.exec(input); m !== null; m = boundary.exec(input)) {
      const event = input.slice(start, m.index);
      out += (this.midPassedEvent ? event : this.processEvent(event)) + m[0];
      this.midPassedEvent = false;
      start = m.index + m[0].length;
    }
    const rest = input.slice(start);
    if (rest.length === 0) return out;
    if (this.midPassedEvent) {
      this.passedEndedWithNewline = rest.endsWith('\n');
      return out + rest;
    }
    if (rest.length < SNIFF_CHARS || USAGE_EVENT.test(rest)) return out + this.hold(rest);
    this.noteContent(rest);
    this.midPassedEvent = true;
    this.passedEndedWithNewline = rest.endsWith('\n');
    return out + rest;
  }

  /**
   * Holds back the unfinished event's text; past the bound the event is sent
   * on as it came and goes unread, so a backend that never ends one costs
   * bounded memory and no rescans.
   */
  private hold(text: string): string {
    this.held.push(text);
    this.heldChars += text.length;
    if (this.heldChars <= MAX_HELD_CHARS) return '';
    const passed = this.takeHeld();
    this.midPassedEvent = true;
    this.passedEndedWithNewline = passed.endsWith('\n');
    return passed;
  }

  private takeHeld(): string {
    const text = this.held.join('');
    this.held = [];
    this.heldChars = 0;
    return text;
  }

  private noteContent(event: string): void {
    if (!this.sawContent && CONTENT_DELTA.test(event)) {
      this.sawContent = true;
      this.hooks.onFirstContent();
    }
  }

  private processEvent(event: string): string {
    this.noteContent(event);
    if (!USAGE_EVENT.test(event)) return event;
    const dataStart = event.indexOf('data:');
    if (dataStart === -1) return event;
    const lineEnd = event.indexOf('\n', dataStart);
    const json = event.slice(dataStart + 5, lineEnd === -1 ? undefined : lineEnd);
    // JSON.stringify recurses: an event nested past the limit passes unread.
    if (nestsDeeperThan(json)) return event;
    let data: { type?: string; message?: { usage?: unknown }; usage?: unknown };
    try {
      data = JSON.parse(json) as typeof data;
    } catch {
      return event;
    }
    const holder = data.type === 'message_start' ? data.message : data;
    if (!holder || typeof holder.usage !== 'object' || holder.usage === null) return event;
    const usage = holder.usage as Record<string, unknown>;
    holder.usage = takeUsage(this.hooks.observed, this.hooks.rewriteUsage, usage);
    if (holder.usage === usage) return event;
    return `${event.slice(0, dataStart)}data: ${JSON.stringify(data)}${lineEnd === -1 ? '' : event.slice(lineEnd)}`;
  }
}
