// The bytes the client itself sends with `CLAUDE_CODE_ATTRIBUTION_HEADER=0`
// (which `ollama launch claude` sets): the same body without its billing
// block, every other byte as recorded. It is the anchor a user compares the
// proxy with, so it is cut here on its own, not by the proxy's rewrite.
const BILLING_PREFIX = 'x-anthropic-billing-header:';

/** The recorded body as the client's own switch would send it; unchanged when it has no billing block. */
export function idealClientBody(raw: string): string {
  const system = (JSON.parse(raw) as { system?: unknown }).system;
  if (typeof system === 'string') {
    if (!system.startsWith(BILLING_PREFIX)) return raw;
    const literal = JSON.stringify(system);
    const at = raw.indexOf(`"system":${literal}`);
    if (at < 0) throw new Error('the recorded system string is not serialised as JSON.stringify writes it');
    const rest = system.slice(system.indexOf('\n') + 1);
    return raw.slice(0, at) + `"system":${JSON.stringify(rest)}` + raw.slice(at + `"system":${literal}`.length);
  }
  if (!Array.isArray(system)) return raw;
  const block = (system as { text?: unknown }[]).find((b) => typeof b?.text === 'string' && b.text.startsWith(BILLING_PREFIX));
  if (block === undefined) return raw;
  const literal = JSON.stringify(block);
  const at = raw.indexOf(literal);
  if (at < 0) throw new Error('the recorded billing block is not serialised as JSON.stringify writes it');
  // The block and the comma that joins it to its neighbour.
  if (raw[at + literal.length] === ',') return raw.slice(0, at) + raw.slice(at + literal.length + 1);
  if (raw[at - 1] === ',') return raw.slice(0, at - 1) + raw.slice(at + literal.length);
  return raw.slice(0, at) + raw.slice(at + literal.length);
}
