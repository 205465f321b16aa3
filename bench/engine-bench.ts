// `npm run bench:engine`: what a user feels on a real llama.cpp engine. Each
// recorded Claude Code session is replayed into a fresh engine along every
// route (bench/engine/routes.ts): direct, the ideal client (its own switch
// drops the billing block), the proxy with defaults, and each fix for the
// recording's losses both without and through the proxy. Every route runs N
// times, interleaved; figures are medians with their min–max. Then, per model
// family as Ollama renders it (bench/engine/families.ts), sessions replayed
// direct, from the ideal client and through the proxy, once each (token
// counts only), give a line per family. The run exits 1 when a call fails, a
// record is missing, or a target is missed.
// See docs/engine-bench.md.
//
//   BENCH_ENGINE_QUICK=1          one recording on the tiny test model (~1–2 min)
//   BENCH_ENGINE_MODEL=bench|test the model (default: bench; test when quick)
//   BENCH_ENGINE_RECORDINGS=a,b   only these recordings
//   BENCH_ENGINE_HEADLINE=name    the recording of the final line (default: full-resume, else the first)
//   BENCH_ENGINE_RUNS=N           runs of every route (default 3)
//   BENCH_ENGINE_SLOTS=N          engine slots (default 1, as Ollama)
//   BENCH_ENGINE_THREADS=N        llama.cpp threads (default 2)
//   BENCH_ENGINE_CACHE_RAM=MiB    each runner's host-memory prompt cache (default 8192, as Ollama 0.30+ runs
//                                 llama-server; 0 for none, as Ollama before 0.30)
//   BENCH_ENGINE_KEEP_ALIVE_S=S   Ollama's keep-alive, in recorded seconds (default 300)
//   BENCH_ENGINE_REWRITE_OFF=1    also the route through the proxy with `--rewrite off`
//   BENCH_ENGINE_FAMILIES=a,b     the families of the per-family lines (default: all)
//   BENCH_ENGINE_FAMILY_RECORDINGS=a,b  their recordings (default: the 2.1.332 sessions; quick: max-output-thinking, countdown)
//   BENCH_ENGINE_WARM_START=0     leave out the warm-start scenario (bench/warm-start.ts)
//   BENCH_ENGINE_HYBRID=0         per-family lines: qwen3.5 on the dense stand-in under its checkpoint rule
//                                 instead of the generated hybrid model (bench/engine/hybrid-model.ts)
//   BENCH_ENGINE_ONLY=warm-start  only the warm-start scenario: every trigger, N runs (with BENCH_ENGINE_RUNS=1
//                                 on the bench model, about twenty prefills of the full 2.1.332 prompt)
//   BENCH_ENGINE_WARM_SCENARIOS=a,b  only these of its triggers: foreign-use (the issue's figures and targets),
//                                 reloaded, restarted, other-project, client-start (default: all)
//   BENCH_RECORD=1                keep the output in docs/bench-output/
// Targets (see `targets` below): BENCH_ENGINE_MIN_SPEEDUP, BENCH_ENGINE_MAX_IDEAL_GAP_MS, BENCH_ENGINE_MIN_SPEEDUP_IDEAL (bench model),
// BENCH_ENGINE_MIN_REUSE, BENCH_ENGINE_MIN_FIX_REUSE, BENCH_ENGINE_MAX_BELOW_IDEAL, BENCH_ENGINE_MAX_ESTIMATE_ERROR,
// BENCH_ENGINE_MAX_UNNAMED_LOSSES, BENCH_ENGINE_MAX_PERFECT_BELOW, BENCH_ENGINE_MAX_FAMILY_BELOW, BENCH_ENGINE_MIN_FAMILY_REUSE, BENCH_ENGINE_MIN_WARM_SPEEDUP, BENCH_ENGINE_MAX_WARM_VS_RESUMED (bench model only),
// BENCH_ENGINE_MAX_INTERRUPTED_RATIO.
import { FAMILY_NAMES, isFamilyName, type FamilyName } from './engine/families.js';
import {
  familyFigures, familyLine, familyPerConversationLine, perConversationCounts, perfectBelow, pointsBelow, possibleReuse, unnamedLosses,
  type FamilyFigures, type FamilySession,
} from './engine/family-figures.js';
import { engineUnavailable } from './engine/llama.js';
import { estimateMissText, worstEstimate, worstOf, type EstimateMiss } from './engine/estimate-miss.js';
import { isModelSize, MODEL_SHAPES, type ModelSize } from './engine/model.js';
import type { EngineOptions } from './engine/open.js';
import {
  replayRoute, routeName, routesFor, SETTING_OWNER, trueReuse,
  type CallMeasure, type Route, type RouteOptions, type RouteRun, type SessionCall,
} from './engine/routes.js';
import { commandLine, recorder, type Recorder } from './record.js';
import { bestRunGap, bestRunNoise, limitFromEnv, median, spread, verdict, type Spread, type Target } from './stats.js';
import { interruptedLine, isWarmScenario, measureWarmStart, WARM_SCENARIOS, warmScenarioLines, warmStartLine, type ForeignUseFigures } from './warm-start.js';
import { loadRecording, RECORDING_NAMES } from '../test/support/recordings.js';

const env = process.env;
const quick = env['BENCH_ENGINE_QUICK'] === '1';
const sizeName = env['BENCH_ENGINE_MODEL'] ?? (quick ? 'test' : 'bench');
const slots = Number(env['BENCH_ENGINE_SLOTS'] ?? '1');
const threads = Number(env['BENCH_ENGINE_THREADS'] ?? '2');
const cacheRamMib = Number(env['BENCH_ENGINE_CACHE_RAM'] ?? '8192');
const runs = Number(env['BENCH_ENGINE_RUNS'] ?? '3');
/** The warm-start scenario (bench/warm-start.ts); BENCH_ENGINE_WARM_START=0 leaves it out. */
const warmStart = env['BENCH_ENGINE_WARM_START'] !== '0';
/**
 * The per-family lines run hybrid families on a generated hybrid model, whose
 * recurrent state really goes back only to its checkpoints: the reuse is then
 * llama.cpp's, not our rule's arithmetic on a dense cache.
 */
const hybrid = env['BENCH_ENGINE_HYBRID'] !== '0';
/** BENCH_ENGINE_ONLY=warm-start: that scenario alone, so it can be timed on its own. */
const only = env['BENCH_ENGINE_ONLY'] ?? null;
const warmScenarios = env['BENCH_ENGINE_WARM_SCENARIOS']?.split(',').filter(Boolean) ?? [...WARM_SCENARIOS];
const keepAliveMs = Number(env['BENCH_ENGINE_KEEP_ALIVE_S'] ?? '300') * 1000;
/** Two sessions in two projects: the warm-start scenario replays it; as one recording its second session would count as a resumed turn. */
const SESSION_PAIRS: readonly string[] = ['cc-2.1.332-other-project'];
const recordings = RECORDING_NAMES.filter((n) => !SESSION_PAIRS.includes(n));
const names = env['BENCH_ENGINE_RECORDINGS']?.split(',').filter(Boolean) ?? (quick ? ['cc-2.1.139-bare-resume'] : recordings);
const rewriteOff = env['BENCH_ENGINE_REWRITE_OFF'] === '1';
const families = env['BENCH_ENGINE_FAMILIES']?.split(',').filter(Boolean) ?? [...FAMILY_NAMES];
const familyRecordings = env['BENCH_ENGINE_FAMILY_RECORDINGS']?.split(',').filter(Boolean)
  ?? (quick ? ['cc-2.1.332-max-output-thinking', 'cc-2.1.332-countdown'] : recordings.filter((n) => n.startsWith('cc-2.1.332-')));
const headlineName = env['BENCH_ENGINE_HEADLINE'] ?? (names.includes('cc-2.1.139-full-resume') ? 'cc-2.1.139-full-resume' : names[0]!);

/** Reuse against one perfect figure, over the recording's resumed turns. */
interface Reuse {
  /** Σ reused ÷ Σ perfect over resumed turns (1 when none could reuse anything). */
  readonly reuse: number;
  /** The lowest reused ÷ perfect of any call after the first. */
  readonly worstCall: number;
}

/** One route's figures in one run, over the recording's resumed turns. */
interface RunFigures extends Reuse {
  /** Median time to first token over resumed turns, seconds. */
  readonly ttft: number;
  /** Against perfect with a slot per conversation, for the attribution of fixes. */
  readonly perConversation: Reuse;
  /** Largest |proxy estimate − engine truth| in points over every call; null off the proxy. */
  readonly estimateError: number | null;
}

/**
 * The perfect a route is held to. With default settings: perfect on the
 * engine as configured (one slot: what no client or proxy can beat). With a
 * fix (more slots, another weights file): perfect with a slot per
 * conversation, since reaching it is what the fix is for.
 */
const heldTo = (route: Route, m: CallMeasure): number => (route.setting === null ? m.perfect : m.perConversation);

/** A route's figures over its runs. */
interface RouteFigures {
  readonly route: Route;
  readonly name: string;
  readonly ttft: Spread;
  readonly reuse: number;
  readonly worstCall: number;
  /** Against perfect with a slot per conversation, whatever the route is held to. */
  readonly perConversation: Reuse;
  readonly estimateError: number | null;
  /** The call of any run whose estimate missed the truth most; null off the proxy. */
  readonly estimateMiss: EstimateMiss | null;
  /** The first run's calls (token counts are the engine's, the same every run unless noted). */
  readonly calls: readonly CallMeasure[];
  /** Median first-token time of each call over the runs, seconds. */
  readonly callTtft: readonly number[];
  /** Each resumed turn's first-token time in every run, seconds. */
  readonly turnRuns: readonly (readonly number[])[];
}

const seconds = (s: number): string => s.toFixed(2);
const pct = (x: number | null): string => (x === null ? '   —' : `${(x * 100).toFixed(0).padStart(3)}%`);
const num = (n: number, width = 6): string => String(n).padStart(width);
const range = (s: Spread): string => `${seconds(s.median)} s [${seconds(s.min)}–${seconds(s.max)}]`;

/** Every main call after the session's first: the turns a warm cache should serve. */
function resumed(calls: readonly Pick<SessionCall, 'role'>[]): number[] {
  const first = calls.findIndex((c) => c.role === 'main');
  return calls.flatMap((c, i) => (c.role === 'main' && i > first ? [i] : []));
}

const ratio = (m: CallMeasure, perfect: number): number | null => (perfect === 0 ? null : Math.min(1, m.reused / perfect));

function reuseAgainst(m: readonly CallMeasure[], turns: readonly number[], perfectOf: (m: CallMeasure) => number): Reuse {
  const reused = turns.reduce((s, i) => s + Math.min(m[i]!.reused, perfectOf(m[i]!)), 0);
  const perfect = turns.reduce((s, i) => s + perfectOf(m[i]!), 0);
  const ratios = m.slice(1).flatMap((c) => { const r = ratio(c, perfectOf(c)); return r === null ? [] : [r]; });
  return { reuse: perfect === 0 ? 1 : reused / perfect, worstCall: Math.min(1, ...ratios) };
}

function runFigures(run: RouteRun, turns: readonly number[]): RunFigures {
  const m = run.measures;
  const straight = run.route.path === 'direct' || run.route.path === 'ideal';
  return {
    // A failed call has no first token: NaN here makes `spread` refuse the figure instead of skipping it.
    ttft: median(turns.map((i) => (m[i]!.ttftMs ?? Number.NaN) / 1000)),
    ...reuseAgainst(m, turns, (c) => heldTo(run.route, c)),
    perConversation: reuseAgainst(m, turns, (c) => c.perConversation),
    estimateError: straight ? null : Math.max(0, ...m.map((c) => (c.proxyEstimate === null ? Number.NaN : Math.abs(c.proxyEstimate - trueReuse(c)) * 100))),
  };
}

function routeFigures(route: Route, done: readonly RouteRun[], turns: readonly number[], problems: string[], recording: string): RouteFigures {
  const figures = done.map((r) => runFigures(r, turns));
  const name = routeName(route);
  const counts = (r: RouteRun): string => r.measures.map((m) => `${m.evaluated}/${m.reused}`).join(' ');
  if (done.some((r) => counts(r) !== counts(done[0]!))) {
    problems.push(`${recording} via ${name}: the engine's token counts differ between runs (${done.map(counts).join(' | ')})`);
  }
  const errors = figures.map((f) => f.estimateError);
  return {
    route, name,
    ttft: spread(figures.map((f) => f.ttft)),
    reuse: median(figures.map((f) => f.reuse)),
    worstCall: Math.min(...figures.map((f) => f.worstCall)),
    perConversation: { reuse: median(figures.map((f) => f.perConversation.reuse)), worstCall: Math.min(...figures.map((f) => f.perConversation.worstCall)) },
    estimateError: errors[0] === null ? null : Math.max(...errors.map((e) => e ?? Number.NaN)),
    estimateMiss: errors[0] === null ? null : worstOf(done.map((r) => worstEstimate(`${recording} via ${name}`, r.measures))),
    calls: done[0]!.measures,
    callTtft: done[0]!.measures.map((_, i) => median(done.map((r) => (r.measures[i]!.ttftMs ?? Number.NaN) / 1000))),
    turnRuns: turns.map((i) => done.map((r) => (r.measures[i]!.ttftMs ?? Number.NaN) / 1000)),
  };
}

function table(out: Recorder, name: string, calls: readonly SessionCall[], all: readonly RouteFigures[]): void {
  const width = (f: RouteFigures): number => (f.estimateError === null ? 30 : 40);
  out.log(`${name}  (${sizeName} model, ${slots} slot${slots === 1 ? '' : 's'}, ${threads} thread${threads === 1 ? '' : 's'}, ${cacheRamMib === 0 ? 'no prompt cache' : `prompt cache ${cacheRamMib} MiB`}, ${runs} run${runs === 1 ? '' : 's'} of each route)`);
  out.log('                                 |' + all.map((f) => ` ${f.name}`.padEnd(width(f)) + '|').join(''));
  out.log(' call role      perfect per-conv |' + all.map((f) => (f.estimateError === null ? '   ttft s   eval reused perf' : '   ttft s   eval reused perf  est true').padEnd(width(f)) + '|').join(''));
  calls.forEach((c, i) => {
    out.log(`${num(i + 1, 5)} ${c.role.padEnd(8)} ${num(all[0]!.calls[i]!.perfect, 8)} ${num(all[0]!.calls[i]!.perConversation, 8)} |` + all.map((f) => {
      const m = f.calls[i]!;
      const base = ` ${f.callTtft[i]!.toFixed(2).padStart(8)} ${num(m.evaluated)} ${num(m.reused)} ${pct(ratio(m, heldTo(f.route, m)))}`;
      return (f.estimateError === null ? base : `${base} ${pct(m.proxyEstimate)} ${pct(trueReuse(m))}`).padEnd(width(f)) + '|';
    }).join(''));
  });
  for (const f of all) {
    for (const m of f.calls) {
      if (m.loss === null) continue;
      const said = f.estimateError === null ? '' : `; the proxy said ${m.proxyCause ?? 'nothing'}${m.proxyRemedy === null ? '' : `: ${m.proxyRemedy}`}`;
      out.log(`  loss at call ${m.index + 1} via ${f.name}: ${m.loss} (reused ${m.reused} of ${m.perConversation} possible with a slot per conversation, ${m.perfect} on this engine${said})`);
    }
  }
}

function summary(out: Recorder, all: readonly RouteFigures[]): void {
  for (const f of all) {
    const held = f.route.setting === null ? 'perfect' : 'perfect per conversation';
    out.log(`  ${f.name.padEnd(26)} resumed-turn first token ${range(f.ttft)}, reuse ÷ ${held} ${(f.reuse * 100).toFixed(1)}%, worst call ${(f.worstCall * 100).toFixed(1)}%` +
      (f.route.setting === null ? ` (÷ perfect per conversation ${(f.perConversation.reuse * 100).toFixed(1)}%)` : '') +
      (f.estimateError === null ? '' : `, estimate error ${f.estimateError.toFixed(1)} points`));
    if (f.estimateMiss !== null) out.log(`    worst estimate: ${estimateMissText(f.estimateMiss)}`);
  }
}

/**
 * What each fix did, and who did it: the setting alone (straight in with it,
 * against straight in without), and the proxy's share given that setting
 * (through the proxy with it, against straight in with it). Every route is
 * read against perfect with a slot per conversation here, the one figure a
 * route with a fix and one without share.
 */
function attribution(out: Recorder, all: readonly RouteFigures[]): void {
  const find = (path: string, setting: string | null): RouteFigures | undefined => all.find((f) => f.route.path === path && f.route.setting === setting);
  const direct = find('direct', null)!;
  const proxy = find('proxy', null)!;
  const p = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const line = (what: string, from: RouteFigures, to: RouteFigures): string =>
    `    ${what.padEnd(62)} resumed-turn reuse ${p(from.perConversation.reuse)} → ${p(to.perConversation.reuse)}, ` +
    `worst call ${p(from.perConversation.worstCall)} → ${p(to.perConversation.worstCall)}, ` +
    `first token ${seconds(from.ttft.median)} → ${seconds(to.ttft.median)} s`;
  out.log('  attribution (medians, against perfect per conversation):');
  out.log(line('the proxy alone (direct → proxy)', direct, proxy));
  for (const setting of new Set(all.flatMap((f) => (f.route.setting === null ? [] : [f.route.setting])))) {
    const withIt = find('direct', setting);
    const both = find('proxy', setting);
    if (withIt === undefined || both === undefined) continue;
    out.log(`    ${setting}: set by ${SETTING_OWNER[setting]}`);
    out.log(line(`  the setting alone (direct → direct+${setting})`, direct, withIt));
    out.log(line(`  the proxy given it (direct+${setting} → proxy+${setting})`, withIt, both));
  }
  const advised = new Set(proxy.calls.flatMap((m) => (m.proxyRemedy === null ? [] : [m.proxyRemedy])));
  for (const remedy of advised) out.log(`  the proxy advised: ${remedy}`);
}

interface RecordingResult {
  readonly name: string;
  readonly direct: RouteFigures;
  readonly ideal: RouteFigures;
  readonly proxy: RouteFigures;
  readonly all: readonly RouteFigures[];
}

async function measure(out: Recorder, name: string, options: RouteOptions, failed: string[]): Promise<RecordingResult | null> {
  const problems: string[] = [];
  const calls = loadRecording(name).calls as readonly SessionCall[];
  const turns = resumed(calls);
  const routes = routesFor(calls, rewriteOff);
  const done = new Map<Route, RouteRun[]>(routes.map((r) => [r, []]));
  // Interleaved: run k of every route before run k+1 of any, so a slow spell of the machine falls on all alike.
  for (let k = 0; k < runs; k++) {
    for (const route of routes) {
      const run = await replayRoute(calls, route, options);
      for (const p of run.problems) problems.push(`${name} via ${routeName(route)}, run ${k + 1}: ${p}`);
      done.get(route)!.push(run);
    }
  }
  if (problems.length > 0) {
    for (const p of problems) out.log(`  ${p}`);
    failed.push(...problems);
    return null;
  }
  const all = routes.map((r) => routeFigures(r, done.get(r)!, turns, failed, name));
  table(out, name, calls, all);
  summary(out, all);
  attribution(out, all);
  out.log('');
  if (turns.length === 0) return null;
  const pick = (path: string): RouteFigures => all.find((f) => f.route.path === path && f.route.setting === null)!;
  return { name, direct: pick('direct'), ideal: pick('ideal'), proxy: pick('proxy'), all };
}

/** The line a recording's figures make, in the final line's form. */
function headline(r: RecordingResult, prefix: string): string {
  return `${prefix}: resumed-turn first token direct ${range(r.direct.ttft)}, ideal client ${seconds(r.ideal.ttft.median)} s, ` +
    `through proxy ${range(r.proxy.ttft)}, speedup ${(r.direct.ttft.median / r.proxy.ttft.median).toFixed(1)}x over direct, ` +
    `${(r.ideal.ttft.median / r.proxy.ttft.median).toFixed(1)}x over ideal client; token reuse through proxy ${(r.proxy.reuse * 100).toFixed(1)}% (default settings); ` +
    `estimate error ${estimateError(r).toFixed(1)} points; runs ${runs}`;
}

const estimateError = (r: RecordingResult): number => Math.max(...r.all.flatMap((f) => (f.estimateError === null ? [] : [f.estimateError])));
const estimateMiss = (r: RecordingResult): EstimateMiss | null => worstOf(r.all.map((f) => f.estimateMiss));

/** What the proxy adds to a resumed turn's first token over the ideal client, in ms: each turn's quickest run of each route. */
const idealGapMs = (r: RecordingResult): number => bestRunGap(r.ideal.turnRuns, r.proxy.turnRuns) * 1000;
/** How far those quickest runs may still be from the noise-free times, in ms (stats.ts `bestRunNoise`). */
const idealNoiseMs = (r: RecordingResult): number => bestRunNoise(r.ideal.turnRuns, r.proxy.turnRuns) * 1000;

/** Each run's own gap (median over resumed turns), for the reader to see the spread the target is kept from. */
const gapsByRun = (r: RecordingResult): string =>
  Array.from({ length: runs }, (_, k) => median(r.ideal.turnRuns.map((t, i) => (r.proxy.turnRuns[i]![k]! - t[k]!) * 1000)))
    .map((g) => `${g >= 0 ? '+' : ''}${g.toFixed(0)}`).join(', ');

function idealGapLine(r: RecordingResult): string {
  return `recording ${r.name}: resumed-turn first token through the proxy less the ideal client's ${idealGapMs(r).toFixed(1)} ms ` +
    `(each turn's quickest of ${runs} run${runs === 1 ? '' : 's'}, which the next quickest follow by ${idealNoiseMs(r).toFixed(1)} ms; run by run ${gapsByRun(r)} ms)`;
}

/**
 * The proxy's own cost on a resumed turn, against the ideal client (which
 * sends what the proxy forwards, and reuses the same tokens): at most
 * BENCH_ENGINE_MAX_IDEAL_GAP_MS plus the noise the run itself shows.
 * Client, proxy and engine share one thread here, so everything the proxy
 * does for a call (the extra hop both ways, the rewrite, the diagnostics)
 * adds to the first token in full; `node dist/bench/request-path-cost.js`
 * measures it at a few ms of CPU a call (docs/performance.md), and the budget
 * leaves room for that CPU taking several times as long on a loaded machine.
 * Judged on each turn's quickest run of each route, since a loaded machine
 * only ever adds time; the noise added to the budget is how far the next
 * quickest run follows the quickest, so a quiet run holds the proxy to the
 * budget and a loaded one, where a quickest run is itself a few tens of ms
 * off, is not failed for the load. A ratio of medians on the test model
 * (resumed turns of 0.01–0.05 s) swung from 0.94× to 0.42× with the other
 * tenants' load while the proxy did the same work; it is judged on the bench
 * model, whose resumed turn is prefill enough that the proxy's few ms cannot
 * move it much. (Not by the measured turn: on a loaded machine the test
 * model's turns take a second too, and the ratio then reads the load.)
 */
function idealTargets(head: RecordingResult): Target[] {
  // 30 ms: two whole invocations of the same code on this machine with nothing else running put the proxy
  // +1 ms and +20 ms after the ideal client, each steady over its three runs (so the noise term cannot see
  // it), while the proxy's own CPU a call is about 3 ms (request-path-cost.js). A real regression (the
  // diagnostics back before forwarding: tens of ms on a 77 KB body) still shows.
  const budget = limitFromEnv('BENCH_ENGINE_MAX_IDEAL_GAP_MS', 30);
  const noise = idealNoiseMs(head);
  return [
    {
      name: `resumed-turn first token through proxy after the ideal client's, ${head.name} (budget ${budget} ms + noise ${noise.toFixed(1)} ms)`,
      // One run has no next quickest to say what the machine's own jitter is, so a single run only reports the gap.
      value: idealGapMs(head), limit: Math.ceil((budget + noise) * 10) / 10, unit: 'ms', lowerIsBetter: true, variable: 'BENCH_ENGINE_MAX_IDEAL_GAP_MS', enforced: runs >= 2,
    },
    ...(sizeName === 'bench' ? [{ name: `speedup over ideal client, ${head.name}`, value: head.ideal.ttft.median / head.proxy.ttft.median, limit: limitFromEnv('BENCH_ENGINE_MIN_SPEEDUP_IDEAL', 0.5), unit: '×', lowerIsBetter: false, variable: 'BENCH_ENGINE_MIN_SPEEDUP_IDEAL', enforced: true }] : []),
  ];
}

/**
 * The targets. Speedups are ratios of medians of the headline recording;
 * reuse and estimate error are the engine's own counts, so they hold on any
 * machine and are held on every recording. On the test model a resumed turn
 * takes a few hundredths of a second either way, so its speedup floor (1.5×)
 * only guards against losing the reuse; the bench model's is 2×.
 */
function targets(results: readonly RecordingResult[], head: RecordingResult): Target[] {
  const fixes = results.flatMap((r) => r.all.filter((f) => f.route.path === 'proxy' && f.route.setting !== null));
  return [
    { name: `speedup over direct, ${head.name}`, value: head.direct.ttft.median / head.proxy.ttft.median, limit: limitFromEnv('BENCH_ENGINE_MIN_SPEEDUP', sizeName === 'bench' ? 2 : 1.5), unit: '×', lowerIsBetter: false, variable: 'BENCH_ENGINE_MIN_SPEEDUP', enforced: true },
    ...idealTargets(head),
    { name: `token reuse through proxy (default settings), ${head.name}`, value: head.proxy.reuse * 100, limit: limitFromEnv('BENCH_ENGINE_MIN_REUSE', 99), unit: '%', lowerIsBetter: false, variable: 'BENCH_ENGINE_MIN_REUSE', enforced: true },
    { name: 'proxy reuse below the ideal client\'s, worst recording', value: Math.max(0, ...results.map((r) => (r.ideal.reuse - r.proxy.reuse) * 100)), limit: limitFromEnv('BENCH_ENGINE_MAX_BELOW_IDEAL', 0.5), unit: 'points', lowerIsBetter: true, variable: 'BENCH_ENGINE_MAX_BELOW_IDEAL', enforced: true },
    ...(fixes.length === 0 ? [] : [{ name: 'token reuse through proxy with a fix, worst fix', value: Math.min(...fixes.map((f) => f.reuse)) * 100, limit: limitFromEnv('BENCH_ENGINE_MIN_FIX_REUSE', 99), unit: '%', lowerIsBetter: false, variable: 'BENCH_ENGINE_MIN_FIX_REUSE', enforced: true }]),
  ];
}

/**
 * The diagnostics' promises, held on every route through the proxy and every
 * family: the estimate (made without backend cache figures, as on Ollama)
 * within 3 points of the engine's truth on every call, and every call below
 * 99% of perfect named by the cause the engine saw. Token counts, so they
 * hold on any machine.
 */
function diagnosticsTargets(
  results: readonly RecordingResult[], perFamily: readonly FamilyFigures[], familyMisses: readonly (EstimateMiss | null)[],
  unnamed: readonly string[], flattering: readonly string[],
): Target[] {
  const errors = [...results.map(estimateError), ...perFamily.map((f) => f.estimateError)];
  const worst = worstOf([...results.map(estimateMiss), ...familyMisses]);
  return [
    { name: `estimate error, every call on every route through the proxy and every family${worst === null ? '' : ` (worst: ${estimateMissText(worst)})`}`, value: errors.some(Number.isNaN) ? Number.NaN : Math.max(0, ...errors), limit: limitFromEnv('BENCH_ENGINE_MAX_ESTIMATE_ERROR', 3), unit: 'points', lowerIsBetter: true, variable: 'BENCH_ENGINE_MAX_ESTIMATE_ERROR', enforced: true },
    { name: 'calls below 99% of perfect through the proxy not named by their true cause', value: unnamed.length, limit: limitFromEnv('BENCH_ENGINE_MAX_UNNAMED_LOSSES', 0), unit: 'calls', lowerIsBetter: true, variable: 'BENCH_ENGINE_MAX_UNNAMED_LOSSES', enforced: true },
    // Perfect is an upper bound: a client that beats it on the same engine would show a definition that flatters the proxy.
    { name: 'calls where direct or the ideal client reused more than perfect allows', value: flattering.length, limit: limitFromEnv('BENCH_ENGINE_MAX_PERFECT_BELOW', 0), unit: 'calls', lowerIsBetter: true, variable: 'BENCH_ENGINE_MAX_PERFECT_BELOW', enforced: true },
  ];
}

/** A fresh engine for a recording: room for its longest prompt (rendered prompts run at least 2 characters a token). */
function engineFor(recording: string, size: ModelSize, family?: FamilyName): EngineOptions {
  const longest = Math.max(...loadRecording(recording).calls.map((c) => c.body.length));
  const contextSize = Math.min(MODEL_SHAPES[size].contextLength, Math.ceil((longest / 2 + 1024) / 1024) * 1024);
  return { size, slots, threads, contextSize, cacheRamMib, ...(family === undefined ? {} : { family }) };
}

/**
 * One family: each of its recordings replayed once along the three anchor
 * routes into an engine serving every name as that family. Token counts are
 * the engine's own, so one run tells what three would.
 */
async function measureFamily(out: Recorder, f: FamilyName, size: ModelSize, problems: string[], misses: (EstimateMiss | null)[]): Promise<FamilyFigures | null> {
  const sessions: FamilySession[] = [];
  let failed = false;
  for (const name of familyRecordings) {
    const calls = loadRecording(name).calls as readonly SessionCall[];
    const options: RouteOptions = { engine: { ...engineFor(name, size, f), hybrid }, keepAliveMs };
    const run = async (path: 'direct' | 'ideal' | 'proxy'): Promise<CallMeasure[]> => {
      const r = await replayRoute(calls, { path, setting: null }, options);
      for (const p of r.problems) problems.push(`${name} via ${path} on family ${f}: ${p}`);
      failed ||= r.problems.length > 0;
      return r.measures;
    };
    const session = { recording: name, direct: await run('direct'), ideal: await run('ideal'), proxy: await run('proxy') };
    sessions.push(session);
    const perCall = (ms: readonly CallMeasure[]): string => ms.map((m) => `${m.evaluated}/${m.reused}/${m.perfect}/${m.perConversation}`).join(' ');
    out.log(`family ${f}, ${name} (evaluated/reused/perfect/perfect per conversation per call): direct ${perCall(session.direct)}; ideal ${perCall(session.ideal)}; proxy ${perCall(session.proxy)}`);
    for (const [route, ms] of [['direct', session.direct], ['ideal', session.ideal], ['proxy', session.proxy]] as const) {
      for (const m of ms) {
        if (m.loss === null) continue;
        const said = route === 'proxy' ? `; the proxy said ${m.proxyCause ?? 'nothing'}` : '';
        out.log(`  loss at call ${m.index + 1} via ${route}: ${m.loss} (reused ${m.reused} of ${Math.round(possibleReuse(perConversationCounts(m)))} possible with a slot per conversation, ${Math.round(possibleReuse(m))} on this engine${said})`);
      }
    }
  }
  if (failed) return null;
  const figures = familyFigures(f, sessions);
  out.log(`  family ${f}: worst call ${figures.worstAt}`);
  const miss = worstOf(sessions.map((s) => worstEstimate(`${s.recording} via proxy on family ${f}`, s.proxy)));
  if (miss !== null) out.log(`  family ${f}: worst estimate ${estimateMissText(miss)}`);
  misses.push(miss);
  return figures;
}

/** Token reuse through the proxy with default settings, call by call, at least direct's and the ideal client's on every family. */
function familyTargets(perFamily: readonly FamilyFigures[]): Target[] {
  if (perFamily.length === 0) return [];
  const worst = perFamily.reduce((a, b) => (b.worstRecording.proxy < a.worstRecording.proxy ? b : a));
  return [
    { name: `token reuse through proxy ÷ perfect, worst recording of any family (${worst.worstRecording.recording} on ${worst.family})`, value: worst.worstRecording.proxy * 100, limit: limitFromEnv('BENCH_ENGINE_MIN_FAMILY_REUSE', 99), unit: '%', lowerIsBetter: false, variable: 'BENCH_ENGINE_MIN_FAMILY_REUSE', enforced: true },
    { name: 'proxy reuse below direct or the ideal client on any call, worst family', value: Math.max(...perFamily.map(pointsBelow)), limit: limitFromEnv('BENCH_ENGINE_MAX_FAMILY_BELOW', 0.5), unit: 'points', lowerIsBetter: true, variable: 'BENCH_ENGINE_MAX_FAMILY_BELOW', enforced: true },
  ];
}

/**
 * Warm start's own targets. Against the resumed turn only on the bench model,
 * and 10× over direct there (4× on the test model): the test model's per-call
 * overhead (a context, sampling) outweighs its prefill, so there a few dozen
 * tokens cost as much as a whole turn and its ratios say little of warm start.
 *
 * A call during a warm-up must wait no longer than the same call without warm
 * start: the ratio of their median first tokens must not exceed 1 by more than
 * the noise of such a median. The engine stops a cancelled warm-up where Ollama
 * does (llama-server notices the client gone within a second and stops at the
 * next batch), and the call reuses what the warm-up read of their common prefix,
 * so the work is the same but for what the warm-up read past that prefix, and
 * the ratio is about 1. The noise, from the quick bench recorded alone on the
 * 2-core machine (docs/bench-output/bench-engine.quick-1.txt): the three runs of
 * the proxy route ranged from 20% below to 11% above their median, and two
 * routes doing the same work (other-project through the proxy and with warm
 * start, both reusing 1,227 tokens) had medians 12% apart. Hence 1.2.
 */
function warmStartTargets(w: ForeignUseFigures): Target[] {
  // With a prompt cache (Ollama 0.30+) the warm-up after another client's call reads nothing: it loads the
  // conversation from RAM, and a call that lands in it waits for its load and its one token, which the ratio
  // then shows against a call that loads the same state itself. That is no prefill to cancel, so the target,
  // which holds the cancellation of a warm-up that reads, is judged only where one did; elsewhere it is printed.
  const cacheServed = w.interrupted.length > 0 && w.interrupted.every((r) => r.warmUpCall !== null && r.warmUpCall.restored > 0 && r.warmUpCall.evaluated <= 1);
  const delayMs = (w.firstToken['warm-interrupted'].median - w.firstToken.proxy.median) * 1000;
  return [
    { name: 'warm start: new session\'s first token, speedup over direct', value: w.firstToken.direct.median / w.firstToken.warm.median, limit: limitFromEnv('BENCH_ENGINE_MIN_WARM_SPEEDUP', sizeName === 'bench' ? 10 : 4), unit: '×', lowerIsBetter: false, variable: 'BENCH_ENGINE_MIN_WARM_SPEEDUP', enforced: true },
    ...(sizeName === 'bench' ? [{ name: 'warm start: new session\'s first token against a resumed turn\'s', value: w.firstToken.warm.median / w.resumed.median, limit: limitFromEnv('BENCH_ENGINE_MAX_WARM_VS_RESUMED', 1.5), unit: '×', lowerIsBetter: true, variable: 'BENCH_ENGINE_MAX_WARM_VS_RESUMED', enforced: true }] : []),
    {
      name: `warm start: a call during a warm-up waits no longer than without warm start (median first tokens, ratio; ${delayMs.toFixed(0)} ms${cacheServed ? ', every warm-up served from the prompt cache' : ''})`,
      value: w.firstToken['warm-interrupted'].median / w.firstToken.proxy.median, limit: limitFromEnv('BENCH_ENGINE_MAX_INTERRUPTED_RATIO', 1.2), unit: '×', lowerIsBetter: true, variable: 'BENCH_ENGINE_MAX_INTERRUPTED_RATIO', enforced: !cacheServed,
    },
  ];
}

async function main(): Promise<number> {
  const why = engineUnavailable();
  if (why !== null) throw new Error(`engine: ${why}`);
  if (!isModelSize(sizeName)) throw new Error(`BENCH_ENGINE_MODEL must be one of ${Object.keys(MODEL_SHAPES).join(', ')}`);
  if (!(runs >= 1 && Number.isInteger(runs))) throw new Error('BENCH_ENGINE_RUNS must be a whole number from 1');
  if (only !== null && only !== 'warm-start') throw new Error(`BENCH_ENGINE_ONLY must be warm-start, not ${only}`);
  if (only === 'warm-start' && !warmStart) throw new Error('BENCH_ENGINE_ONLY=warm-start and BENCH_ENGINE_WARM_START=0 leave nothing to run');
  for (const s of warmScenarios) if (!isWarmScenario(s)) throw new Error(`BENCH_ENGINE_WARM_SCENARIOS: ${s} is none of ${WARM_SCENARIOS.join(', ')}`);
  if (!names.includes(headlineName)) throw new Error(`BENCH_ENGINE_HEADLINE ${headlineName} is not among the recordings run`);
  for (const f of families) if (!isFamilyName(f)) throw new Error(`BENCH_ENGINE_FAMILIES: ${f} is none of ${FAMILY_NAMES.join(', ')}`);
  const out = recorder(commandLine('bench:engine', 'BENCH_ENGINE_'));
  const started = Date.now();
  const problems: string[] = [];
  const results: RecordingResult[] = [];
  for (const name of only === null ? names : []) {
    const result = await measure(out, name, { engine: engineFor(name, sizeName), keepAliveMs }, problems);
    if (result !== null) results.push(result);
  }
  const perFamily: FamilyFigures[] = [];
  const familyMisses: (EstimateMiss | null)[] = [];
  for (const f of (only === null ? families : []) as FamilyName[]) {
    const figures = await measureFamily(out, f, sizeName, problems, familyMisses);
    if (figures !== null) perFamily.push(figures);
  }
  const warm = warmStart ? await measureWarmStart({ size: sizeName, threads, cacheRamMib }, runs, (line) => out.log(line), problems, warmScenarios.filter(isWarmScenario)) : null;
  for (const r of results) out.log(headline(r, `recording ${r.name}`));
  for (const r of results) out.log(idealGapLine(r));
  for (const f of perFamily) {
    out.log(familyLine(f));
    out.log(familyPerConversationLine(f));
  }
  if (warm !== null) for (const line of warmScenarioLines(warm)) out.log(line);
  if (warm?.foreignUse) out.log(interruptedLine(warm.foreignUse));
  if (warm?.foreignUse) out.log(warmStartLine(warm.foreignUse));
  const head = results.find((r) => r.name === headlineName);
  if (head === undefined && only === null) problems.push(`the headline recording ${headlineName} gave no figures`);
  // Through the proxy with default settings and with each fix, on every recording; and on every family.
  const unnamed = [
    ...results.flatMap((r) => r.all.filter((f) => f.route.path === 'proxy').flatMap((f) => unnamedLosses(`${r.name} via ${f.name}`, f.calls))),
    ...perFamily.flatMap((f) => f.unnamed.map((u) => `${u} (family ${f.family})`)),
  ];
  for (const u of unnamed) out.log(`unnamed loss: ${u}`);
  // Every route that sent the client's own bytes, with and without a fix, on every recording and family.
  const flattering = [
    ...results.flatMap((r) => r.all.filter((f) => f.route.path === 'direct' || f.route.path === 'ideal').flatMap((f) => perfectBelow(`${r.name} via ${f.name}`, f.calls))),
    ...perFamily.flatMap((f) => f.perfectBelow.map((u) => `${u} (family ${f.family})`)),
  ];
  for (const u of flattering) out.log(`perfect below a client: ${u}`);
  const warmTargets = warm?.foreignUse ? warmStartTargets(warm.foreignUse) : [];
  const { lines, failures } = head === undefined ? verdict(warmTargets, problems)
    : verdict([...targets(results, head), ...diagnosticsTargets(results, perFamily, familyMisses, unnamed, flattering), ...familyTargets(perFamily), ...warmTargets], problems);
  for (const l of lines) out.log(l);
  out.log(`took ${((Date.now() - started) / 60_000).toFixed(1)} min${head === undefined ? '' : `; the final line is ${headlineName}`}`);
  if (head !== undefined) out.log(headline(head, 'engine'));
  const file = out.save();
  if (file !== null) console.error(`bench:engine: output kept in ${file}`);
  for (const f of failures) console.error(`bench:engine: ${f}`);
  return failures.length === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (err: Error) => {
  console.error(err.message);
  process.exit(1);
});
