// Scrubbing of recorded calls: machine paths, the user's home, host name and
// kernel release are replaced by fixed stand-ins, the same way in every call
// of a recording, so a prefix that was byte-stable when recorded stays
// byte-stable in the fixture. Only the headers the contract keeps survive.

export interface ScrubRule {
  readonly from: string;
  readonly to: string;
}

/** Longer needles first, so a project dir inside a temp dir keeps its own stand-in. */
export function scrubRules(pairs: ReadonlyArray<readonly [string, string]>): ScrubRule[] {
  return pairs
    .filter(([from]) => from.length >= 3)
    .map(([from, to]) => ({ from, to }))
    .sort((a, b) => b.from.length - a.from.length);
}

/** Applies the rules to raw text and to its JSON-escaped spelling (paths inside JSON strings). */
export function scrubText(text: string, rules: readonly ScrubRule[]): string {
  let out = text;
  for (const { from, to } of rules) {
    out = out.split(from).join(to);
    const escapedFrom = JSON.stringify(from).slice(1, -1);
    if (escapedFrom !== from) out = out.split(escapedFrom).join(JSON.stringify(to).slice(1, -1));
  }
  return out;
}

const KEPT_HEADER = /^(anthropic-|x-claude-code-)|^(user-agent|content-type)$/;

/** Keeps only the headers of the contract; their values are scrubbed too. */
export function keptHeaders(headers: Readonly<Record<string, string>>, rules: readonly ScrubRule[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers).sort()) {
    const lower = name.toLowerCase();
    if (KEPT_HEADER.test(lower)) out[lower] = scrubText(headers[name]!, rules);
  }
  return out;
}
