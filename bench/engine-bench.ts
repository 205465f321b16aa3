// `npm run bench:engine`: what a user feels on a real llama.cpp engine. Each
// recorded Claude Code session is replayed, call by call, into a fresh engine
// along these routes: direct, through the proxy with default settings, and
// through the proxy with the fix for the recording's named loss (side calls:
// `--side-model`; subagents: two slots, or a subagent model). See docs/engine-bench.md.
//
//   BENCH_ENGINE_QUICK=1          one recording on the tiny test model (< 2 min)
//   BENCH_ENGINE_MODEL=bench|test the model (default: bench; test when quick)
//   BENCH_ENGINE_RECORDINGS=a,b   only these recordings
//   BENCH_ENGINE_SLOTS=N          engine slots (default 1, as Ollama)
//   BENCH_ENGINE_THREADS=N        llama.cpp threads (default 2)
//   BENCH_ENGINE_REWRITE_OFF=1    also the route through the proxy with `--rewrite off`
import { engineUnavailable } from './engine/llama.js';
import { isModelSize, MODEL_SHAPES, type ModelSize } from './engine/model.js';
import { fixRoutes, replayRoute, trueReuse, type CallMeasure, type Route, type SessionCall } from './engine/routes.js';
import { median } from './stats.js';
import { loadRecording, RECORDING_NAMES } from '../test/support/recordings.js';

const quick = process.env['BENCH_ENGINE_QUICK'] === '1';
const sizeName = process.env['BENCH_ENGINE_MODEL'] ?? (quick ? 'test' : 'bench');
const slots = Number(process.env['BENCH_ENGINE_SLOTS'] ?? '1');
const threads = Number(process.env['BENCH_ENGINE_THREADS'] ?? '2');
const only = process.env['BENCH_ENGINE_RECORDINGS']?.split(',').filter(Boolean);
const rewriteOff = process.env['BENCH_ENGINE_REWRITE_OFF'] === '1';

/** One route's figures over a recording's resumed turns. */
interface RouteFigures {
  readonly route: Route;
  /** Median time to first token over resumed turns, seconds. */
  readonly ttft: number;
  /** Σ reused ÷ Σ perfect over resumed turns. */
  readonly reuse: number;
  /** The lowest reused ÷ perfect of any call after the first (1 when none has a perfect above 0). */
  readonly worstCall: number;
  /** Largest |proxy estimate − engine truth| in points over every call (0 for direct). */
  readonly estimateError: number;
}

interface RecordingFigures {
  readonly name: string;
  readonly direct: RouteFigures;
  /** The best route through the proxy: the default, or the fix for this recording's loss. */
  readonly best: RouteFigures;
  /** Largest estimate error over every route through the proxy. */
  readonly estimateError: number;
}

const seconds = (ms: number | null): string => (ms === null ? '       —' : `${(ms / 1000).toFixed(2).padStart(8)}`);
const pct = (x: number | null): string => (x === null ? '   —' : `${(x * 100).toFixed(0).padStart(3)}%`);
const num = (n: number, width = 6): string => String(n).padStart(width);

const TITLES: Readonly<Record<Route, string>> = {
  direct: 'direct',
  proxy: 'proxy (default)',
  'proxy-off': 'proxy --rewrite off',
  'side-model': 'fix: --side-model',
  'slots-2': 'fix: --slots 2, 2-slot engine',
  'subagent-model': 'fix: subagent model',
};

/** Every main call after the session's first: the turns a warm cache should serve. */
function resumed(calls: readonly SessionCall[]): number[] {
  const first = calls.findIndex((c) => c.role === 'main');
  return calls.flatMap((c, i) => (c.role === 'main' && i > first ? [i] : []));
}

const ratio = (m: CallMeasure): number | null => (m.perfect === 0 ? null : Math.min(1, m.reused / m.perfect));

function cells(route: Route, m: CallMeasure | undefined): string {
  if (m === undefined) return '';
  const base = ` ${seconds(m.ttftMs)} ${num(m.evaluated)} ${num(m.reused)}`;
  return route === 'direct' ? `${base}  ` : `${base} ${pct(ratio(m))} ${pct(m.proxyEstimate)} ${pct(trueReuse(m))}  `;
}

function table(name: string, calls: readonly SessionCall[], byRoute: ReadonlyMap<Route, CallMeasure[]>): string[] {
  const routes = [...byRoute.keys()];
  const width = (r: Route): number => (r === 'direct' ? 25 : 40);
  const lines = [
    `${name}  (${sizeName} model, ${slots} slot${slots === 1 ? '' : 's'}, ${threads} thread${threads === 1 ? '' : 's'})`,
    '                        |' + routes.map((r) => ` ${TITLES[r]}`.padEnd(width(r)) + '|').join(''),
    ' call role      perfect |' + routes.map((r) => (r === 'direct' ? '   ttft s   eval reused  ' : '   ttft s   eval reused perf  est true  ').padEnd(width(r)) + '|').join(''),
  ];
  calls.forEach((c, i) => {
    lines.push(`${num(i + 1, 5)} ${c.role.padEnd(8)} ${num(byRoute.get('direct')![i]!.perfect, 8)} |` +
      routes.map((r) => cells(r, byRoute.get(r)![i]).padEnd(width(r)) + '|').join(''));
  });
  for (const [route, measures] of byRoute) {
    for (const m of measures) {
      if (m.status !== 200) lines.push(`  call ${m.index + 1} ${route}: HTTP ${m.status} ${m.error ?? ''}`);
      if (route !== 'direct' && route !== 'proxy-off' && m.loss !== null) {
        lines.push(`  loss at call ${m.index + 1} via ${route}: ${m.loss} (reused ${m.reused} of ${m.perfect} possible; the proxy says ${m.proxyCause ?? 'nothing'})`);
      }
    }
  }
  return lines;
}

function routeFigures(route: Route, calls: readonly SessionCall[], measures: readonly CallMeasure[]): RouteFigures {
  const turns = resumed(calls);
  const reused = turns.reduce((s, i) => s + Math.min(measures[i]!.reused, measures[i]!.perfect), 0);
  const perfect = turns.reduce((s, i) => s + measures[i]!.perfect, 0);
  const ratios = measures.slice(1).flatMap((m) => { const r = ratio(m); return r === null ? [] : [r]; });
  const errors = measures.map((m) => (m.proxyEstimate === null ? 0 : Math.abs(m.proxyEstimate - trueReuse(m)) * 100));
  return {
    route,
    ttft: median(turns.map((i) => measures[i]!.ttftMs ?? Number.NaN)) / 1000,
    reuse: perfect === 0 ? 1 : reused / perfect,
    worstCall: Math.min(1, ...ratios),
    estimateError: Math.max(0, ...errors),
  };
}

/** The best route through the proxy: most reuse over resumed turns, then the best worst call, then the sooner first token. */
function bestRoute(candidates: readonly RouteFigures[]): RouteFigures {
  return candidates.reduce((b, f) => {
    if (f.reuse !== b.reuse) return f.reuse > b.reuse ? f : b;
    if (f.worstCall !== b.worstCall) return f.worstCall > b.worstCall ? f : b;
    return f.ttft < b.ttft ? f : b;
  });
}

function summary(all: readonly RouteFigures[], best: RouteFigures): string[] {
  const lines = all.map((f) =>
    `  ${f.route.padEnd(15)} resumed-turn reuse ÷ perfect ${(f.reuse * 100).toFixed(1)}%, worst call ${(f.worstCall * 100).toFixed(1)}%, ` +
    `resumed-turn first token ${f.ttft.toFixed(2)} s` + (f.route === 'direct' ? '' : `, estimate error ${f.estimateError.toFixed(1)} points`));
  lines.push(`  final line uses route ${best.route}`);
  return lines;
}

async function main(): Promise<void> {
  const why = engineUnavailable();
  if (why !== null) throw new Error(`engine: ${why}`);
  if (!isModelSize(sizeName)) throw new Error(`BENCH_ENGINE_MODEL must be one of ${Object.keys(MODEL_SHAPES).join(', ')}`);
  const size: ModelSize = sizeName;
  const names = only ?? (quick ? ['cc-2.1.139-bare-resume'] : [...RECORDING_NAMES]);
  const all: RecordingFigures[] = [];
  for (const name of names) {
    const calls = loadRecording(name).calls as readonly SessionCall[];
    // Room for the longest prompt: rendered prompts run at least 2 characters a token.
    const longest = Math.max(...calls.map((c) => c.body.length));
    const contextSize = Math.min(MODEL_SHAPES[size].contextLength, Math.ceil((longest / 2 + 1024) / 1024) * 1024);
    const routes: Route[] = ['direct', 'proxy', ...(rewriteOff ? ['proxy-off' as const] : []), ...fixRoutes(calls)];
    const byRoute = new Map<Route, CallMeasure[]>();
    for (const route of routes) byRoute.set(route, await replayRoute(calls, route, { size, slots, contextSize, threads }));
    const figures = routes.map((r) => routeFigures(r, calls, byRoute.get(r)!));
    const best = bestRoute(figures.filter((f) => f.route !== 'direct' && f.route !== 'proxy-off'));
    console.log([...table(name, calls, byRoute), ...summary(figures, best)].join('\n') + '\n');
    if (resumed(calls).length > 0) {
      const proxied = figures.filter((f) => f.route !== 'direct');
      all.push({ name, direct: figures[0]!, best, estimateError: Math.max(...proxied.map((f) => f.estimateError)) });
    }
  }
  if (all.length === 0) throw new Error('no recording has a resumed turn');
  const slowest = all.reduce((w, f) => (f.direct.ttft / f.best.ttft < w.direct.ttft / w.best.ttft ? f : w));
  const reuse = Math.min(...all.map((f) => f.best.reuse));
  const error = Math.max(...all.map((f) => f.estimateError));
  console.log(
    `engine: resumed-turn first token direct ${slowest.direct.ttft.toFixed(2)} s, through proxy ${slowest.best.ttft.toFixed(2)} s, ` +
    `speedup ${(slowest.direct.ttft / slowest.best.ttft).toFixed(1)}x; token reuse through proxy ${(reuse * 100).toFixed(1)}%; estimate error ${error.toFixed(1)} points`,
  );
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
