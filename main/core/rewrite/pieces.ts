// A rewritten body as the Buffers it is made of, laid end to end: the bytes
// before the edit and the bytes after it are views into the body as
// received. Dropping a 150-byte billing line would otherwise copy the whole
// body (77 KB for a real Claude Code turn) on every call, and the copy was
// most of the rewrite's time once the scan memo made the scan cheap.

/** Total length of pieces laid end to end. */
export function piecesLength(pieces: readonly Buffer[]): number {
  let length = 0;
  for (const piece of pieces) length += piece.length;
  return length;
}

/**
 * Bytes [start, end) of pieces laid end to end: a view into one piece when
 * they lie within it (the usual case), else a copy of the parts they span.
 */
export function sliceOfPieces(pieces: readonly Buffer[], start: number, end: number): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (const piece of pieces) {
    const pieceEnd = offset + piece.length;
    if (pieceEnd > start && offset < end && piece.length > 0) parts.push(piece.subarray(Math.max(start - offset, 0), Math.min(end, pieceEnd) - offset));
    if (pieceEnd >= end) break;
    offset = pieceEnd;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** All the bytes in one Buffer: the piece itself when there is one. */
export function joinPieces(pieces: readonly Buffer[]): Buffer {
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
}
