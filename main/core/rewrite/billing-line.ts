// The billing line Claude Code puts at byte 0 of its system prompt, and how
// "normalize" freezes it. Its values change between calls, resumes, agents
// and versions (a per-call cch=, a version suffix taken from the first user
// message, extra keys for subagents), so normalize keeps only the key names: two lines
// with the same keys always become the same bytes.

export const BILLING_PREFIX = 'x-anthropic-billing-header:';

/** The value every key is frozen to. */
const FROZEN = 0;
const PAIR_KEY = /^([A-Za-z0-9_.-]+)=/;

/** Keys of `k=v; k=v;` pairs, or null when the payload is not that shape. */
function pairKeys(payload: string): string[] | null {
  const keys: string[] = [];
  for (const segment of payload.split(';')) {
    const pair = segment.trim();
    if (pair === '') continue;
    const key = PAIR_KEY.exec(pair)?.[1];
    if (key === undefined) return null;
    keys.push(key);
  }
  return keys;
}

/** Keys of a JSON object payload (`{"cc_is_subagent":true}`), or null. */
function jsonKeys(payload: string): string[] | null {
  try {
    const value: unknown = JSON.parse(payload);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : null;
  } catch {
    return null;
  }
}

/**
 * Freezes every value of a billing line (which starts with BILLING_PREFIX):
 * `cc_version=2.1.139.915; cc_entrypoint=sdk-cli; cch=48755;` becomes
 * `cc_version=0; cc_entrypoint=0; cch=0;` and `{"cc_is_subagent":true}` becomes
 * `{"cc_is_subagent":0}`. A payload of neither shape is dropped, keeping the bare
 * prefix, since any of it may be volatile.
 */
export function normalizeBillingLine(line: string): string {
  const payload = line.slice(BILLING_PREFIX.length).trim();
  if (payload.startsWith('{')) {
    const keys = jsonKeys(payload);
    return keys === null ? BILLING_PREFIX : `${BILLING_PREFIX} ${JSON.stringify(Object.fromEntries(keys.map((key) => [key, FROZEN])))}`;
  }
  const keys = pairKeys(payload);
  if (keys === null || keys.length === 0) return BILLING_PREFIX;
  return `${BILLING_PREFIX} ${keys.map((key) => `${key}=${FROZEN};`).join(' ')}`;
}
