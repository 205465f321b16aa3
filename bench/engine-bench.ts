// `npm run bench:engine`: what a user feels on a real llama.cpp engine. Each
// recorded Claude Code session is replayed, call by call, into a fresh engine
// along three routes: direct, through the proxy with default settings, and
// through the proxy with `--rewrite off`. See docs/engine-bench.md.
//
//   BENCH_ENGINE_QUICK=1          one recording on the tiny test model (< 2 min)
//   BENCH_ENGINE_MODEL=bench|test the model (default: bench; test when quick)
//   BENCH_ENGINE_RECORDINGS=a,b   only these recordings
//   BENCH_ENGINE_SLOTS=N          engine slots (default 1, as Ollama)
//   BENCH_ENGINE_THREADS=N        llama.cpp threads (default 2)
import { engineUnavailable } from './engine/llama.js';
import { isModelSize, MODEL_SHAPES, type ModelSize } from './engine/model.js';
import { replayRoute, ROUTES, trueReuse, type CallMeasure, type Route, type SessionCall } from './engine/routes.js';
import { median } from './stats.js';
import { loadRecording, RECORDING_NAMES } from '../test/support/recordings.js';

const quick = process.env['BENCH_ENGINE_QUICK'] === '1';
const sizeName = process.env['BENCH_ENGINE_MODEL'] ?? (quick ? 'test' : 'bench');
const slots = Number(process.env['BENCH_ENGINE_SLOTS'] ?? '1');
const threads = Number(process.env['BENCH_ENGINE_THREADS'] ?? '2');
const only = process.env['BENCH_ENGINE_RECORDINGS']?.split(',').filter(Boolean);

interface RecordingFigures {
  readonly name: string;
  /** Median time to first token over resumed turns, seconds. */
  readonly direct: number;
  readonly proxied: number;
  /** Σ reused ÷ Σ perfect over resumed turns through the proxy. */
  readonly reuse: number;
  /** Largest |proxy estimate − engine truth| in points over both proxy routes. */
  readonly estimateError: number;
}

const seconds = (ms: number | null): string => (ms === null ? '       —' : `${(ms / 1000).toFixed(2).padStart(8)}`);
const pct = (x: number | null): string => (x === null ? '   —' : `${(x * 100).toFixed(0).padStart(3)}%`);
const num = (n: number, width = 6): string => String(n).padStart(width);

/** Every main call after the session's first: the turns a warm cache should serve. */
function resumed(calls: readonly SessionCall[]): number[] {
  const first = calls.findIndex((c) => c.role === 'main');
  return calls.flatMap((c, i) => (c.role === 'main' && i > first ? [i] : []));
}

function table(name: string, calls: readonly SessionCall[], byRoute: ReadonlyMap<Route, CallMeasure[]>): string[] {
  const d = byRoute.get('direct')!;
  const p = byRoute.get('proxy')!;
  const o = byRoute.get('proxy-off')!;
  const lines = [
    `${name}  (${sizeName} model, ${slots} slot${slots === 1 ? '' : 's'}, ${threads} thread${threads === 1 ? '' : 's'})`,
    '                       |  direct                    |  proxy (default)                                    |  proxy --rewrite off',
    ' call role       perfect |   ttft s   eval reused     |   ttft s   eval reused  reuse/perf   est  true      |   ttft s   eval reused   est  true',
  ];
  calls.forEach((c, i) => {
    const [dm, pm, om] = [d[i]!, p[i]!, o[i]!];
    const ratio = pm.perfect === 0 ? null : Math.min(1, pm.reused / pm.perfect);
    lines.push(
      `${num(i + 1, 5)} ${c.role.padEnd(8)} ${num(pm.perfect, 8)} |` +
      ` ${seconds(dm.ttftMs)} ${num(dm.evaluated)} ${num(dm.reused)}     |` +
      ` ${seconds(pm.ttftMs)} ${num(pm.evaluated)} ${num(pm.reused)}       ${pct(ratio)}  ${pct(pm.proxyEstimate)}  ${pct(trueReuse(pm))}     |` +
      ` ${seconds(om.ttftMs)} ${num(om.evaluated)} ${num(om.reused)}  ${pct(om.proxyEstimate)}  ${pct(trueReuse(om))}`,
    );
  });
  for (const route of ROUTES) {
    for (const m of byRoute.get(route)!) {
      if (m.status !== 200) lines.push(`  call ${m.index + 1} ${route}: HTTP ${m.status} ${m.error ?? ''}`);
      if (route === 'proxy' && m.loss !== null) {
        lines.push(`  loss through the proxy at call ${m.index + 1}: ${m.loss} (reused ${m.reused} of ${m.perfect} possible; the proxy says ${m.proxyCause ?? 'nothing'})`);
      }
    }
  }
  return lines;
}

function figures(name: string, calls: readonly SessionCall[], byRoute: ReadonlyMap<Route, CallMeasure[]>): RecordingFigures {
  const turns = resumed(calls);
  const ttft = (route: Route): number => median(turns.map((i) => byRoute.get(route)![i]!.ttftMs ?? Number.NaN)) / 1000;
  const p = byRoute.get('proxy')!;
  const reused = turns.reduce((s, i) => s + Math.min(p[i]!.reused, p[i]!.perfect), 0);
  const perfect = turns.reduce((s, i) => s + p[i]!.perfect, 0);
  const errors = [...p, ...byRoute.get('proxy-off')!].map((m) => (m.proxyEstimate === null ? 0 : Math.abs(m.proxyEstimate - trueReuse(m)) * 100));
  return { name, direct: ttft('direct'), proxied: ttft('proxy'), reuse: perfect === 0 ? 1 : reused / perfect, estimateError: Math.max(0, ...errors) };
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
    const byRoute = new Map<Route, CallMeasure[]>();
    for (const route of ROUTES) byRoute.set(route, await replayRoute(calls, route, { size, slots, contextSize, threads }));
    console.log(table(name, calls, byRoute).join('\n') + '\n');
    if (resumed(calls).length > 0) all.push(figures(name, calls, byRoute));
  }
  if (all.length === 0) throw new Error('no recording has a resumed turn');
  const slowest = all.reduce((w, f) => (f.direct / f.proxied < w.direct / w.proxied ? f : w));
  const reuse = Math.min(...all.map((f) => f.reuse));
  const error = Math.max(...all.map((f) => f.estimateError));
  console.log(
    `engine: resumed-turn first token direct ${slowest.direct.toFixed(2)} s, through proxy ${slowest.proxied.toFixed(2)} s, ` +
    `speedup ${(slowest.direct / slowest.proxied).toFixed(1)}x; token reuse through proxy ${(reuse * 100).toFixed(1)}%; estimate error ${error.toFixed(1)} points`,
  );
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
