// The diagnostics read a prompt as its UTF-8 bytes, one character per byte
// (latin1). Prefixes compare exactly the same, and V8 keeps such text in
// one-byte strings: decoding, parsing and rendering a 77 KB Claude Code body
// that holds a few non-ASCII characters costs a third of what proper UTF-8
// decoding does, since one non-ASCII character makes V8 widen the whole
// string to two bytes per character. Only the short excerpts shown to people
// are turned back into real text.

/** Parses a request body (or one value of it) for the diagnostics; throws on malformed JSON like JSON.parse. */
export function parseBodyBytes(body: Buffer): unknown {
  return JSON.parse(body.toString('latin1'));
}

/** An excerpt of byte-wise text as readable UTF-8 (a character cut at the edge shows as �). */
export function readableExcerpt(byteText: string): string {
  // A \u escape in the JSON can put a character above U+00FF in the text; that one is real already.
  if (hasWideCharacter(byteText)) return byteText;
  // An excerpt ends where its length says, which may be inside a character.
  return Buffer.from(byteText, 'latin1').toString('utf8').replace(/\uFFFD+$/, '');
}

function hasWideCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return true;
  return false;
}
