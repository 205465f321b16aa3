export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Median milliseconds per call of fn. Calls are timed in batches sized to
 * take about a millisecond each, so the timer's resolution does not matter,
 * and the median of the batches ignores GC pauses and other tenants.
 */
export function timePerCall(fn: () => unknown, budgetMs = 400): number {
  for (let i = 0; i < 50; i++) fn();
  let batch = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) fn();
    if (performance.now() - t >= 1 || batch >= 1 << 16) break;
    batch *= 2;
  }
  const samples: number[] = [];
  const deadline = performance.now() + budgetMs;
  while (performance.now() < deadline || samples.length < 15) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) fn();
    samples.push((performance.now() - t) / batch);
  }
  return median(samples);
}

/**
 * Median milliseconds per step of a sequence that only makes sense in order
 * from a fresh start, such as a session's turns, each building on the one
 * before. `start` makes the fresh state and is not timed; steps 1..count-1
 * are timed together, and the median is taken over repeated sequences.
 */
export function timePerStep<S>(start: () => S, count: number, step: (state: S, index: number) => unknown, budgetMs = 400): number {
  const sequence = (): number => {
    const state = start();
    const t = performance.now();
    for (let i = 1; i < count; i++) step(state, i);
    return (performance.now() - t) / (count - 1);
  };
  for (let i = 0; i < 5; i++) sequence();
  const samples: number[] = [];
  const deadline = performance.now() + budgetMs;
  while (performance.now() < deadline || samples.length < 15) samples.push(sequence());
  return median(samples);
}

export interface Check {
  readonly name: string;
  readonly value: number;
  readonly limit: number;
  readonly unit: string;
  readonly lowerIsBetter: boolean;
  /**
   * Holds on a loaded shared machine, so BENCH_STRICT=1 fails the run when it
   * is missed. Otherwise a guide (absolute times, rows that swing with other
   * tenants' load): printed with its verdict, never failing a run.
   */
  readonly enforced: boolean;
}

/** Whether a measured value meets its target; a value exactly at the limit does. */
export function passes(c: Check): boolean {
  return c.lowerIsBetter ? c.value <= c.limit : c.value >= c.limit;
}

/** Three decimals throughout: a ratio of 0.8996 must not read as a failing 0.90. */
export function checkLine(c: Check): string {
  const verdict = passes(c) ? 'PASS' : c.enforced ? 'FAIL' : 'MISS';
  return `${verdict}  ${c.enforced ? 'target' : 'guide '}  ${c.name}: ${c.value.toFixed(3)} ${c.unit} (${c.lowerIsBetter ? '≤' : '≥'} ${c.limit} ${c.unit})`;
}

/** Median, lowest and highest of repeated measurements. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** The spread of repeated measurements; a NaN among them is a failed measurement, not one to skip. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0 || values.some((v) => !Number.isFinite(v))) throw new Error(`no spread of ${JSON.stringify(values)}: a measurement is missing`);
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/**
 * What route B adds to route A's time when the machine's noise only ever adds
 * time (another tenant, a GC pause, a late timer never make a call quicker):
 * for each item (a call measured in several runs), each route's quickest run
 * is the one least touched by noise; the gap is the median over items of B's
 * quickest less A's. A cost B pays on every run shows in full; a slow spell
 * that misses one run of each route on an item does not show at all.
 * `a[i]` and `b[i]` are item i's figures over the runs.
 */
export function bestRunGap(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number {
  if (a.length === 0 || a.length !== b.length) throw new Error(`no gap between ${a.length} and ${b.length} items`);
  return median(a.map((runs, i) => quickest(b[i]!) - quickest(runs)));
}

/**
 * How far a quickest run may still be from the noise-free time: per item, the
 * larger of the two routes' distances from their quickest run to their next
 * quickest, and the median over items (0 with one run). On a quiet machine
 * two runs land close together and it is a few ms; under load it grows with
 * the load, and so does the gap's room.
 */
export function bestRunNoise(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number {
  if (a.length === 0 || a.length !== b.length) throw new Error(`no noise between ${a.length} and ${b.length} items`);
  return median(a.map((runs, i) => Math.max(nextQuickest(runs), nextQuickest(b[i]!))));
}

function quickest(runs: readonly number[]): number {
  if (runs.length === 0 || runs.some((v) => !Number.isFinite(v))) throw new Error(`no quickest of ${JSON.stringify(runs)}: a measurement is missing`);
  return Math.min(...runs);
}

/** The second quickest run less the quickest (0 with one run). */
function nextQuickest(runs: readonly number[]): number {
  const sorted = [...runs].sort((x, y) => x - y);
  quickest(sorted);
  return sorted.length < 2 ? 0 : sorted[1]! - sorted[0]!;
}

/** A check a run must pass, with the environment variable that sets its limit. */
export interface Target extends Check {
  readonly variable: string;
}

/**
 * A target's limit: the environment variable's value when it is set, else the
 * default. A value that is not a number is an error, not the default.
 */
export function limitFromEnv(variable: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${variable} must be a number, not ${JSON.stringify(raw)}`);
  return value;
}

/**
 * The verdict of a run: a line per target, then what failed. It fails when
 * a target is missed or anything went wrong (`problems`: a failed call, a
 * missing record), so no failure passes as a figure.
 */
export function verdict(targets: readonly Target[], problems: readonly string[]): { readonly lines: string[]; readonly failures: string[] } {
  const lines = targets.map((t) => `${checkLine(t)}  [${t.variable}]`);
  const failures = [
    ...problems.map((p) => `failed: ${p}`),
    ...targets.filter((t) => t.enforced && !passes(t)).map((t) =>
      `missed target ${t.name}: ${t.value.toFixed(3)} ${t.unit}, needs ${t.lowerIsBetter ? '≤' : '≥'} ${t.limit} ${t.unit} (set by ${t.variable})`),
  ];
  return { lines, failures };
}
