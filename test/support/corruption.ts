// Deterministic noise for the fuzz-style tests of the JSON scanner: the same
// seed gives the same corrupted bodies on every run and every machine.

/** A linear congruential generator: `random(n)` is an integer in [0, n). */
export function seededRandom(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
}

/** Bytes that make JSON interesting when written over a body: structure, escapes, literals, control bytes. */
export const JSON_NOISE = Buffer.from('{}[]":,\\ ntfrue0123456789-+.eEx\u0001\n\t');
