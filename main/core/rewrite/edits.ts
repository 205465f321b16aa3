// Byte edits of a scanned body: every rule describes what it changes as
// ranges to replace, and the body is forwarded as views of itself around them.
import type { MemberSpan, Span } from './json-scan.js';

/** Replace bytes [start, end) of the input with `replacement` (start = end inserts). */
export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly replacement: Buffer;
}

export const NOTHING = Buffer.alloc(0);

/**
 * Edits that remove the elements at `dropped` (ascending) so the result reads
 * as if the array had been written without them: the first kept element takes
 * the whitespace after `[`, every later one keeps the separator before it.
 */
export function elementRemovals(elements: readonly Span[], dropped: readonly number[]): Edit[] {
  const droppedSet = new Set(dropped);
  const firstKept = elements.findIndex((_, index) => !droppedSet.has(index));
  if (firstKept < 0) return [{ start: elements[0]!.start, end: elements[elements.length - 1]!.end, replacement: NOTHING }];
  const edits: Edit[] = [];
  if (firstKept > 0) edits.push({ start: elements[0]!.start, end: elements[firstKept]!.start, replacement: NOTHING });
  for (const index of dropped) {
    if (index > firstKept) edits.push({ start: elements[index - 1]!.end, end: elements[index]!.end, replacement: NOTHING });
  }
  return edits;
}

/** The body with `edits` (sorted, not overlapping) applied, as views of it around the edits (no empty pieces). */
export function applyEdits(b: Buffer, edits: readonly Edit[]): Buffer[] {
  const parts: Buffer[] = [];
  let at = 0;
  for (const edit of edits) {
    if (edit.start > at) parts.push(b.subarray(at, edit.start));
    if (edit.replacement.length > 0) parts.push(edit.replacement);
    at = edit.end;
  }
  if (at < b.length) parts.push(b.subarray(at));
  return parts;
}

/**
 * The members' spans after `edits` (sorted, each inside one member's value):
 * an offset moves by what the edits before it removed or added.
 */
export function shiftMembers(members: readonly MemberSpan[], edits: readonly Edit[]): MemberSpan[] {
  const shift = (offset: number): number => {
    let moved = offset;
    for (const edit of edits) {
      if (edit.end > offset) break;
      moved += edit.replacement.length - (edit.end - edit.start);
    }
    return moved;
  };
  return members.map(({ key, value }) => ({
    key: { start: shift(key.start), end: shift(key.end) },
    value: { start: shift(value.start), end: shift(value.end) },
  }));
}
