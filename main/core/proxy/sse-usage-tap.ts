// Watches an Anthropic SSE stream on its way to the client: it notes the
// usage figures and the first content delta, and (optionally) adds the cache
// estimate to the usage objects of message_start and message_delta. Nothing
// is held back except the unfinished tail of an event that may carry usage,
// so every other byte leaves in the same tick it arrived.
import { takeUsage, type ObservedUsage, type UsageRewriter } from './usage.js';

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
  /** Unfinished event text not yet sent (only when it may carry usage). */
  private held = '';
  /** The unfinished event at the end of the last chunk was already sent. */
  private midPassedEvent = false;
  private passedEndedWithNewline = false;
  private sawContent = false;

  constructor(private readonly hooks: SseTapHooks) {}

  /** What to send on for this chunk of the upstream's stream (possibly nothing yet). */
  write(chunk: Buffer): Buffer | string {
    // Most chunks are whole text deltas: once content flows, a chunk of whole
    // events that names no message_* event can go on without being decoded.
    if (this.sawContent && this.held === '' && !this.midPassedEvent && endsOnEventBoundary(chunk) && chunk.indexOf(USAGE_MARK) === -1) return chunk;
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
    const tail = this.held + this.decoder.decode();
    this.held = '';
    const out = tail.length > 0 ? this.processEvent(tail) : '';
    return this.hooks.rewriteUsage === null ? '' : out;
  }

  /** Splits text into events and returns what may be sent now. */
  private process(text: string): string {
    const boundary = /\r?\n\r?\n/g;
    let out = '';
    let start = 0;
    let input = text;
    if (this.held.length > 0) {
      input = this.held + text;
      this.held = '';
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
    if (rest.length < SNIFF_CHARS || USAGE_EVENT.test(rest)) {
      this.held = rest;
      return out;
    }
    this.noteContent(rest);
    this.midPassedEvent = true;
    this.passedEndedWithNewline = rest.endsWith('\n');
    return out + rest;
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
