// A prompt kept for comparison with later ones, in fixed-size chunks aligned
// at offset 0. A new prompt reuses the chunks it shares with the reference it
// was compared to, so the common system + tools prefix and each turn's
// history are held once however many conversations and turns refer to them,
// while the text itself still locates a divergence to the character.
import type { PromptLayout, RenderedPrompt } from './render.js';

export const CHUNK_CHARS = 512;

/** V8 keeps shorter slices as copies; longer ones point into their parent string. */
const SLICE_MIN_CHARS = 13;

export interface StoredPrompt {
  readonly chunks: readonly string[];
  /** Length of the whole prompt. */
  readonly length: number;
  /** Characters actually held (the prompt up to the per-prompt cap). */
  readonly storedLength: number;
  readonly layout: PromptLayout;
}

/**
 * A copy of `text` that does not keep the string it was sliced from alive:
 * a slice of a 77 KB prompt would otherwise pin the whole prompt in memory.
 * Slicing a concatenation makes V8 flatten it into one new string first, so
 * the result points into that copy only. (A round trip through a Buffer
 * copies twice, and Node hands back a text of over a million characters as an
 * external two-byte string: twice the memory, outside the heap, in malloc.)
 */
export function detach(text: string): string {
  if (text.length < SLICE_MIN_CHARS) return text;
  return (' ' + text).slice(1);
}

/**
 * Length of the common prefix of a stored prompt and `text`. Past the
 * per-prompt cap nothing is known, so a prompt that matches all that was
 * stored is taken to match on to the shorter end.
 */
export function commonPrefix(stored: StoredPrompt, text: string): number {
  let offset = 0;
  for (const chunk of stored.chunks) {
    // A slice compared with === runs as a block compare; startsWith goes
    // character by character and is some twenty times slower.
    if (text.slice(offset, offset + chunk.length) === chunk) {
      offset += chunk.length;
      continue;
    }
    const limit = Math.min(chunk.length, text.length - offset);
    let i = 0;
    while (i < limit && chunk.charCodeAt(i) === text.charCodeAt(offset + i)) i++;
    return offset + i;
  }
  if (stored.storedLength < stored.length) return Math.min(stored.length, text.length);
  return offset;
}

/** Length of the common prefix of two stored prompts (as far as `b` is stored). */
export function commonStored(a: StoredPrompt, b: StoredPrompt): number {
  return commonPrefix(a, readStored(b, 0, b.storedLength));
}

/** The stored characters in [from, to), clipped to what is stored. */
export function readStored(stored: StoredPrompt, from: number, to: number): string {
  const end = Math.min(to, stored.storedLength);
  if (from >= end) return '';
  const first = Math.floor(from / CHUNK_CHARS);
  const last = Math.floor((end - 1) / CHUNK_CHARS);
  let out = '';
  for (let k = first; k <= last; k++) {
    const chunkStart = k * CHUNK_CHARS;
    out += stored.chunks[k].slice(Math.max(0, from - chunkStart), end - chunkStart);
  }
  return out;
}

function trimLayout(prompt: RenderedPrompt, limit: number): PromptLayout {
  // Built field by field: spreading the prompt would keep its text.
  const within = (offsets: readonly number[]): number => {
    let n = offsets.length;
    while (n > 0 && offsets[n - 1] >= limit) n--;
    return n;
  };
  const truncated = prompt.text.length > limit;
  const segments = truncated ? within(prompt.segmentStarts) : prompt.segmentStarts.length;
  return {
    model: prompt.model,
    toolNames: prompt.toolNames,
    segmentStarts: truncated ? prompt.segmentStarts.slice(0, segments) : prompt.segmentStarts,
    segmentPaths: truncated ? prompt.segmentPaths.slice(0, segments) : prompt.segmentPaths,
    systemStart: prompt.systemStart,
    systemEnd: prompt.systemEnd,
    toolsStart: prompt.toolsStart,
    toolsEnd: prompt.toolsEnd,
    messageStarts: truncated ? prompt.messageStarts.slice(0, within(prompt.messageStarts)) : prompt.messageStarts,
    inlineSystemMessages: prompt.inlineSystemMessages,
    billing: prompt.billing,
    hasMessages: prompt.hasMessages,
  };
}

/**
 * Stores `prompt`, sharing whole chunks with `reference` up to `sharedChars`
 * (their common prefix) and copying only the rest, at most `maxChars` in all.
 */
export function storePrompt(
  prompt: RenderedPrompt,
  reference: StoredPrompt | null,
  sharedChars: number,
  maxChars: number,
): StoredPrompt {
  const storedLength = Math.min(prompt.text.length, maxChars);
  const sharedChunks = reference === null
    ? 0
    : Math.floor(Math.min(sharedChars, reference.storedLength, storedLength) / CHUNK_CHARS);
  const chunks = reference === null ? [] : reference.chunks.slice(0, sharedChunks);
  const tailStart = sharedChunks * CHUNK_CHARS;
  if (tailStart < storedLength) {
    // One copy for all new chunks: they are slices of it, and it holds
    // nothing but what this prompt adds.
    const tail = detach(prompt.text.slice(tailStart, storedLength));
    for (let offset = 0; offset < tail.length; offset += CHUNK_CHARS) {
      chunks.push(tail.slice(offset, offset + CHUNK_CHARS));
    }
  }
  return { chunks, length: prompt.text.length, storedLength, layout: trimLayout(prompt, storedLength) };
}
