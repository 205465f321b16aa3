// A body (or one value of it) parsed as its UTF-8 bytes, one character per
// byte (latin1), for the diagnostics and for the side-call test, so both read
// the same text. Prefixes compare exactly the same, and V8 keeps such text in
// one-byte strings: decoding, parsing and rendering a 77 KB Claude Code body
// that holds a few non-ASCII characters costs a third of what proper UTF-8
// decoding does, since one non-ASCII character makes V8 widen the whole
// string to two bytes per character.

/**
 * Parses a request body (or one value of it) byte-wise; throws on
 * malformed JSON like JSON.parse. A character written as a `\u` escape comes
 * out as the same bytes as the character written raw: the backend decodes
 * both to the same text, so the diagnostics must not tell them apart.
 */
export function parseBodyBytes(body: Buffer): unknown {
  const text = body.toString('latin1');
  return JSON.parse(WIDE_ESCAPE.test(text) ? escapesToBytes(text) : text);
}

/** A `\u` escape of a character above U+007F (a false hit only costs the slow path). */
const WIDE_ESCAPE = /\\u(?!00[0-7])[0-9a-fA-F]{4}/;
/** A backslash escape, taken whole so `\\u00e9` (a backslash, then text) is never read as an escape. */
const ESCAPE = /\\(?:u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|[^u])/g;

/** JSON text with every `\u` escape above U+007F replaced by its UTF-8 bytes, one latin1 character each. */
function escapesToBytes(text: string): string {
  return text.replace(ESCAPE, (escape: string, high?: string, low?: string, single?: string) => {
    let code: number;
    if (high !== undefined && low !== undefined) code = 0x10000 + ((parseInt(high, 16) - 0xd800) << 10) + (parseInt(low, 16) - 0xdc00);
    else if (single !== undefined) code = parseInt(single, 16);
    else return escape;
    // A lone surrogate has no UTF-8 form: leave it for JSON.parse.
    if (code < 0x80 || (code >= 0xd800 && code <= 0xdfff)) return escape;
    return Buffer.from(String.fromCodePoint(code), 'utf8').toString('latin1');
  });
}
