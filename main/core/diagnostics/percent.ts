/**
 * A reuse fraction as a percentage with one decimal, rounded down, so a
 * near miss never reads as 100 (the difference is a re-prefill): 0.9987 → `99.8`.
 * The tray and the --explain line both show reuse this way.
 */
export function percent(fraction: number): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  // The epsilon absorbs float noise such as 0.29 * 1000 = 289.99999999999994.
  return String(Math.floor(clamped * 1000 + 1e-9) / 10);
}
