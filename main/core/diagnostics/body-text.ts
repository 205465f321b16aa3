// The diagnostics read a prompt as its UTF-8 bytes, one character per byte
// (latin1; the body is parsed so by rewrite/body-bytes.ts). Only the short
// excerpts shown to people are turned back into real text.

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
