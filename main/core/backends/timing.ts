// Pure timing rules shared by the monitor and the keep-alive.

/** Delay before retry number `failures` (1-based): 1 s, 2 s, 4 s … capped. */
export function backoffDelay(failures: number, minMs: number, maxMs: number): number {
  const exponent = Math.max(0, failures - 1);
  return Math.min(maxMs, minMs * 2 ** Math.min(exponent, 30));
}

const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Ollama's keep_alive in milliseconds: a number is seconds, a string is a Go
 * duration ("60m", "1h30m", "45s") or a bare number of seconds. Negative means
 * "keep loaded forever" (Infinity). Throws on anything Ollama would reject.
 */
export function parseKeepAlive(value: string | number): number {
  if (typeof value === 'number') return keepAliveMs(value * 1000);
  const text = value.trim();
  if (/^[-+]?\d+(\.\d+)?$/.test(text)) return keepAliveMs(Number(text) * 1000);
  const match = /^([-+]?)((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$/.exec(text);
  if (!match) throw new RangeError(`keep_alive "${value}" is not a duration like "60m" or "1h"`);
  let ms = 0;
  for (const [, amount, unit] of match[2].matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    ms += Number(amount) * UNIT_MS[unit];
  }
  return keepAliveMs(match[1] === '-' ? -ms : ms);
}

function keepAliveMs(ms: number): number {
  if (!Number.isFinite(ms)) throw new RangeError('keep_alive must be finite');
  return ms < 0 ? Number.POSITIVE_INFINITY : ms;
}
