// npm run bench: the proxy against a direct connection, in one run, on this
// machine. Everything is reported as medians over several rounds and as
// ratios paired by round, because absolute times on a shared 2-core machine
// mean little. The performance targets are checked here, not in the
// tests. Only a target that holds on a loaded shared machine is enforced
// (BENCH_STRICT=1 fails the run when it is missed): streaming throughput at a
// local model's pace, through the proxy ÷ through plain Express +
// http-proxy-middleware. Absolute times, and the rows that swing with the
// other tenants' load, are guides: printed with PASS or MISS, never failing a
// run. BENCH_QUICK=1 runs the enforced row only (.ci/run does).
//
// Streaming throughput is measured at two paces. At a fast local model's,
// the ratio is what a user would see. At a stress pace five times faster, it
// mostly measures CPU per call on two cores shared by client, stand-in and
// proxy. Two reference proxies run in the same rounds
// (bench/reference-proxy.ts): a bare Node one, the machine's floor, and plain
// Express + http-proxy-middleware, the floor of the stack the proxy is built on.
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { rewriteRequestBody, ScanMemo, type InlineSystemMode } from '../main/core/rewrite/index.js';
import { countdownConversation, encodeBody, fullRequest, sessionBodies } from '../test/support/claude-code-bodies.js';
import { benchBodies } from './bodies.js';
import { measureDiagnostics } from './diagnostics-cost.js';
import { measureSseTap } from './sse-tap-cost.js';
import { startNodeProcess, type StartedProcess } from '../test/support/node-process.js';
import { median, passes, timePerCall, timePerStep, type Check, checkLine } from './stats.js';
import { measureSideModel } from './side-model-cost.js';

const QUICK = process.env.BENCH_QUICK === '1';
// The quick run's rounds are many and short: pairs of short rounds share more of a slow spell.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 12 : 5));
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? (QUICK ? 500 : 1500));
/** Sequential calls per route in each latency row. */
const LATENCY_CALLS = Number(process.env.BENCH_LATENCY_CALLS ?? 300);
const STANDIN = fileURLToPath(new URL('../test/support/standin-cli.js', import.meta.url));
const CLI = fileURLToPath(new URL('../main/cli.js', import.meta.url));
const REFERENCE_PROXY = fileURLToPath(new URL('./reference-proxy.js', import.meta.url));

interface Pace {
  readonly prefillMs: number;
  readonly tokenDelayMs: number;
  readonly tokens: number;
}

/** The fast end of a local model on a Mac: a cached prefix, 200 tokens a second. */
const LOCAL_MODEL_PACE: Pace = { prefillMs: 20, tokenDelayMs: 5, tokens: 16 };
/** Faster than any local model streams: what is left to measure is mostly the proxy's CPU. */
const STRESS_PACE: Pace = { prefillMs: 2, tokenDelayMs: 1, tokens: 16 };

function standinPace(pace: Pace): string[] {
  return ['--prefill-ms', String(pace.prefillMs), '--token-delay-ms', String(pace.tokenDelayMs), '--tokens', String(pace.tokens)];
}

function describePace(pace: Pace): string {
  return `${pace.prefillMs} ms prefill, ${Math.round(1000 / pace.tokenDelayMs).toLocaleString('en-US')} tokens/s`;
}

interface Call {
  method: string;
  path: string;
  /** Sent in turn, one per request, as a client's successive turns would be. */
  bodies?: readonly Buffer[];
  headers?: http.OutgoingHttpHeaders;
}

/** Sessions of TURNS calls each, one after another, in the proxy rows. */
const SESSIONS = 4;
const TURNS = 16;

function sessionId(index: number): string {
  return `3f9c2a71-5d4e-4b8a-9c1f-7e2d6a0b8c${String(index).padStart(2, '0')}`;
}

let sent = 0;

/** One request; resolves with [total ms, ms to first body byte]. */
function request(agent: http.Agent, base: string, call: Call): Promise<[number, number]> {
  const body = call.bodies?.[sent++ % call.bodies.length];
  const headers = body ? { ...call.headers, 'content-length': body.length } : call.headers;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(call.path, base), { method: call.method, agent, headers }, (res) => {
      let first = -1;
      res.on('data', () => { if (first < 0) first = performance.now() - started; });
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${call.method} ${call.path} → ${res.statusCode}`));
        else resolve([performance.now() - started, first]);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Requests per second with `concurrency` clients for `ms`. */
async function throughput(base: string, call: Call, concurrency: number, ms: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const deadline = performance.now() + ms;
  let done = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      await request(agent, base, call);
      done++;
    }
  }));
  const elapsed = performance.now() - started;
  agent.destroy();
  return (done / elapsed) * 1000;
}

interface LatencySamples { totals: number[]; firstBytes: number[] }

/** Sequential calls on one kept-alive connection (after one to open it). */
async function sequentialCalls(base: string, call: Call, count: number): Promise<LatencySamples> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const samples: LatencySamples = { totals: [], firstBytes: [] };
  await request(agent, base, call);
  for (let i = 0; i < count; i++) {
    const [total, first] = await request(agent, base, call);
    samples.totals.push(total);
    samples.firstBytes.push(first);
  }
  agent.destroy();
  return samples;
}

interface Route {
  readonly name: string;
  readonly url: string;
}

/** The routes one row compares: always direct and proxy, and the reference proxies where they apply. */
interface Routes {
  readonly direct: string;
  readonly proxy: string;
  readonly bare?: string;
  readonly framework?: string;
}

const REFERENCES = { bare: 'bare Node proxy', framework: 'plain Express + hpm' } as const;

/** "(bare Node proxy 0.95×, plain Express + hpm 0.91×)" for the references measured, or nothing. */
function referenceNote(measured: ReadonlyMap<string, number>, describe: (value: number) => string): string {
  const notes = Object.entries(REFERENCES).flatMap(([name, label]) => {
    const value = measured.get(name);
    return value === undefined ? [] : [`${label} ${describe(value)}`];
  });
  return notes.length === 0 ? '' : `   (${notes.join(', ')})`;
}

function routeList(routes: Routes): Route[] {
  return Object.entries(routes).map(([name, url]: [string, string]) => ({ name, url }));
}

/**
 * Measures every route once per round, ROUNDS times, so that a slow spell of
 * a noisy machine falls on all of them alike rather than on whichever went
 * last. Returns each route's measurements, in the order of `routes`.
 */
async function inAlternatingRounds<T>(routes: readonly Route[], measure: (route: Route) => Promise<T>): Promise<T[][]> {
  const samples = routes.map((): T[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, route] of routes.entries()) samples[i]!.push(await measure(route));
  }
  return samples;
}

interface Latency {
  readonly total: number;
  readonly firstByte: number;
}

/** Median latency and time to first byte of `count` sequential calls through each route. */
async function compareLatency(routes: Routes, call: Call, count: number): Promise<Map<string, Latency>> {
  const list = routeList(routes);
  const rounds = await inAlternatingRounds(list, (route) => sequentialCalls(route.url, call, Math.ceil(count / ROUNDS)));
  return new Map(list.map((route, i) => [route.name, {
    total: median(rounds[i]!.flatMap((batch) => batch.totals)),
    firstByte: median(rounds[i]!.flatMap((batch) => batch.firstBytes)),
  }]));
}

/** Median requests per second through each route. */
/** Each route's requests per second, one figure per round. */
async function compareThroughput(routes: Routes, call: Call, concurrency: number, roundMs: number): Promise<Map<string, number[]>> {
  const list = routeList(routes);
  for (const route of list) await throughput(route.url, call, concurrency, 300);
  const rounds = await inAlternatingRounds(list, (route) => throughput(route.url, call, concurrency, roundMs));
  return new Map(list.map((route, i) => [route.name, rounds[i]!]));
}

/** The median over rounds of a ÷ b within each round: the rounds' shared slow spells cancel out. */
function pairedRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((value, round) => value / b[round]!));
}

interface ThroughputRow {
  /** Route ÷ route, paired by round. */
  ratio(of: string, to: string): number;
}

/** Prints one throughput row (ratios paired by round); returns its figures. */
async function compare(label: string, routes: Routes, call: Call, concurrency: number, roundMs = ROUND_MS): Promise<ThroughputRow> {
  const perRound = await compareThroughput(routes, call, concurrency, roundMs);
  const rates = new Map([...perRound].map(([name, values]) => [name, median(values)]));
  const ratio = (of: string, to: string): number => pairedRatio(perRound.get(of)!, perRound.get(to)!);
  const toDirect = new Map([...perRound.keys()].map((name) => [name, ratio(name, 'direct')]));
  const floors = referenceNote(toDirect, (value) => `${value.toFixed(2)}×`);
  console.log(`  ${label.padEnd(48)} direct ${rates.get('direct')!.toFixed(0).padStart(6)} req/s   proxy ${rates.get('proxy')!.toFixed(0).padStart(6)} req/s   ratio ${toDirect.get('proxy')!.toFixed(2)}×${floors}`);
  return { ratio };
}

function us(ms: number): string {
  return `${(ms * 1000).toFixed(1).padStart(7)} µs`;
}

function kb(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${(n / 1024).toFixed(0)} KB`;
}

/** The rewrite, the diagnostics and the SSE tap alone, in this process: absolute times, so guides only. */
function measureInProcess(checks: Check[]): void {
  const bodies = benchBodies();
  console.log('Rewrite alone: a first body (whole scan), the next turn of the session (scan memo holding the turns before), a body with nothing to rewrite:');
  for (const { label, session } of bodies) {
    const first = session[0]!;
    const without = Buffer.from(rewriteRequestBody(first, 'drop').body);
    const firstMs = timePerCall(() => rewriteRequestBody(first, 'drop'));
    const nextMs = timePerStep(() => {
      const memo = new ScanMemo();
      rewriteRequestBody(first, 'drop', memo);
      return memo;
    }, session.length, (memo, i) => rewriteRequestBody(session[i]!, 'drop', memo));
    const unchangedMs = timePerCall(() => rewriteRequestBody(without, 'drop'));
    console.log(`  ${label.padEnd(14)} ${kb(first.length).padStart(7)}   first ${us(firstMs)}   next turn ${us(nextMs)}   untouched ${us(unchangedMs)}`);
    if (label.startsWith('77')) {
      checks.push({ name: 'rewrite of a 77 KB body, whole scan', value: firstMs, limit: 0.5, unit: 'ms', lowerIsBetter: true, enforced: false });
      checks.push({ name: 'rewrite of a 77 KB session\'s next turn', value: nextMs, limit: 0.15, unit: 'ms', lowerIsBetter: true, enforced: false });
    }
  }

  const side = measureSideModel();
  console.log(`\n--side-model, added per call: 77 KB main call ${us(side.mainCallMs)} (no billing line ${us(side.mainCallNoBillingMs)}), title call rerouted ${us(side.titleCallMs)}`);
  checks.push({ name: '--side-model added to a 77 KB main call', value: Math.max(side.mainCallMs, side.mainCallNoBillingMs), limit: 0.2, unit: 'ms', lowerIsBetter: true, enforced: false });

  console.log('\nInline-system fold: a 2.1.332 countdown session (a system message after every tool result), next turn with the scan memo:');
  {
    // Successive calls of one session: each adds a tool round trip and a countdown, as the real client does.
    const countdown = Array.from({ length: 8 }, (_, call) => encodeBody(fullRequest({ billing: 'suffix', messages: countdownConversation(call + 1, 300) })));
    const plain = bodies.find(({ label }) => label.startsWith('77'))!.session;
    const perTurn = (inlineSystem: InlineSystemMode, session: readonly Buffer[]): number => timePerStep(() => {
      const memo = new ScanMemo();
      rewriteRequestBody(session[0]!, 'drop', memo, { inlineSystem });
      return memo;
    }, session.length, (memo, i) => rewriteRequestBody(session[i]!, 'drop', memo, { inlineSystem }));
    const keep = perTurn('keep', countdown);
    const fold = perTurn('fold', countdown);
    const gate = perTurn('fold', plain) - perTurn('keep', plain);
    const size = kb(countdown.reduce((sum, body) => sum + body.length, 0) / countdown.length);
    console.log(`  ${size.padStart(7)} avg   keep ${us(keep)}   fold ${us(fold)}   added ${us(fold - keep)}   nothing to fold: added ${us(gate)}`);
    checks.push({ name: 'inline-system fold added per ~77 KB call', value: fold - keep, limit: 0.2, unit: 'ms', lowerIsBetter: true, enforced: false });
  }

  console.log('\nDiagnostics per call (JSON parse, rendering, prefix tracking): a first call, then the next turn of the session:');
  for (const row of measureDiagnostics(bodies)) {
    console.log(`  ${row.label.padEnd(14)} ${kb(row.bytes).padStart(7)}   first ${us(row.wholeMs)}   next turn ${us(row.nextTurnMs)}`);
    if (row.label.startsWith('77')) {
      checks.push({ name: 'diagnostics of a 77 KB first call', value: row.wholeMs, limit: 1, unit: 'ms', lowerIsBetter: true, enforced: false });
      checks.push({ name: 'diagnostics of a 77 KB session\'s next turn', value: row.nextTurnMs, limit: 0.3, unit: 'ms', lowerIsBetter: true, enforced: false });
    }
  }

  console.log('\nSSE tap, per event (adds the cache estimate to usage events, passes the rest):');
  const tapCost = measureSseTap();
  console.log(`  content delta ${(tapCost.deltaMs * 1000).toFixed(1).padStart(6)} µs   usage event ${(tapCost.usageMs * 1000).toFixed(1).padStart(6)} µs`);
  checks.push({ name: 'SSE tap on a usage event (the costlier kind)', value: tapCost.usageMs, limit: 0.025, unit: 'ms', lowerIsBetter: true, enforced: false });
  console.log('');
}

/**
 * The rows at the stress pace, beside both reference proxies: CPU per call on
 * two cores shared by client, stand-in and proxies. Guides only: on a shared
 * machine these swing with the other tenants' load.
 */
async function measureAtStressPace(routes: Routes & { framework: string }, messages: Call, checks: Check[]): Promise<void> {
  const version: Call = { method: 'GET', path: '/api/version' };
  const stressRates = await compare(`77 KB streaming ×4, ${describePace(STRESS_PACE)}`, routes, messages, 4);
  const smallRates = await compare('GET /api/version ×16', routes, version, 16);
  checks.push({ name: `77 KB streaming throughput, proxy ÷ plain Express, ${describePace(STRESS_PACE)}`, value: stressRates.ratio('proxy', 'framework'), limit: 0.8, unit: '×', lowerIsBetter: false, enforced: false });
  checks.push({ name: 'GET /api/version throughput, proxy ÷ plain Express', value: smallRates.ratio('proxy', 'framework'), limit: 0.8, unit: '×', lowerIsBetter: false, enforced: false });

  console.log(`\nLatency, one call at a time, ${describePace(STRESS_PACE)} (median of ${LATENCY_CALLS} each way, in ${ROUNDS} alternating rounds):`);
  for (const [label, call] of [['GET /api/version', version], ['77 KB streaming /v1/messages', messages]] as const) {
    const latency = await compareLatency(routes, call, LATENCY_CALLS);
    const d = latency.get('direct')!;
    const p = latency.get('proxy')!;
    const f = latency.get('framework')!;
    const added = new Map([...latency].map(([name, { total }]) => [name, total - d.total]));
    const floors = referenceNote(added, (ms) => `+${ms.toFixed(2)} ms`);
    console.log(`  ${label.padEnd(30)} direct ${d.total.toFixed(2)} ms   proxy ${p.total.toFixed(2)} ms   added ${(p.total - d.total).toFixed(2)} ms   first byte +${(p.firstByte - d.firstByte).toFixed(2)} ms${floors}`);
    // No absolute latency target (a shared machine's times swing): the proxy stays within 1 ms of the stack it is built on.
    checks.push({ name: `${label}: latency beyond plain Express + hpm`, value: p.total - f.total, limit: 1, unit: 'ms', lowerIsBetter: true, enforced: false });
    if (label.includes('streaming')) checks.push({ name: `${label}: first SSE byte beyond plain Express + hpm`, value: p.firstByte - f.firstByte, limit: 1, unit: 'ms', lowerIsBetter: true, enforced: false });
  }
}

async function main(): Promise<void> {
  const checks: Check[] = [];
  console.log(`llm-cache-proxy benchmark — Node ${process.version}, ${ROUNDS} rounds of ${ROUND_MS} ms, medians\n`);

  if (!QUICK) measureInProcess(checks);

  // BENCH_PROXY_ARGS adds flags, e.g. "--rewrite off --no-cache-usage" to see what the rewrite and the usage tap cost.
  const extraArgs = (process.env.BENCH_PROXY_ARGS ?? '').split(/\s+/).filter(Boolean);
  const children: StartedProcess[] = [];
  const start = async (script: string, args: readonly string[]): Promise<string> => {
    const started = await startNodeProcess(script, ['--port', '0', ...args], /listening on (http:\/\/\S+)/);
    children.push(started);
    return started.url;
  };
  try {
    // Sessions as a client sends them: each call the previous one plus a reply
    // and a new prompt, with its own billing values. Sending the same prompt
    // again would flatter the scan memo and the diagnostics' parse reuse. The
    // sessions follow one another, so the bodies cycle back to a new start
    // only once every SESSIONS × TURNS calls.
    const bigBodies = Array.from({ length: SESSIONS }, (_, s) => sessionBodies(fullRequest, fullRequest().messages, TURNS, { sessionId: sessionId(s) })).flat();
    const messages: Call = { method: 'POST', path: '/v1/messages?beta=true', bodies: bigBodies, headers: { 'content-type': 'application/json' } };
    const proxyArgs = (target: string): string[] => ['--target', target, '--log-level', 'warn', ...extraArgs];

    console.log('Throughput, proxy vs direct (and the reference proxies: the floors of this machine and of the stack):');
    const paced = await start(STANDIN, standinPace(LOCAL_MODEL_PACE));
    const pacedRoutes = {
      direct: paced,
      proxy: await start(CLI, proxyArgs(paced)),
      framework: await start(REFERENCE_PROXY, ['--kind', 'framework', '--target', paced]),
    };
    // A paced call lasts some 100 ms, so its rounds are longer to count as many calls.
    const pacedRates = await compare(`77 KB streaming ×4, ${describePace(LOCAL_MODEL_PACE)}`, pacedRoutes, messages, 4, ROUND_MS * 2);
    // What a user sees; but on a loaded machine any extra process hop costs a stream its
    // scheduling delays, so this guides, and the proxy's own share below is enforced,
    // with room for the 0.91–1.04 that quick runs measured on a loaded 2-core machine.
    checks.push({ name: `77 KB streaming throughput, proxy ÷ direct, ${describePace(LOCAL_MODEL_PACE)}`, value: pacedRates.ratio('proxy', 'direct'), limit: 0.9, unit: '×', lowerIsBetter: false, enforced: false });
    checks.push({ name: `77 KB streaming throughput, proxy ÷ plain Express, ${describePace(LOCAL_MODEL_PACE)}`, value: pacedRates.ratio('proxy', 'framework'), limit: 0.85, unit: '×', lowerIsBetter: false, enforced: true });
    if (!QUICK) {
      const stress = await start(STANDIN, standinPace(STRESS_PACE));
      await measureAtStressPace({
        direct: stress,
        proxy: await start(CLI, proxyArgs(stress)),
        bare: await start(REFERENCE_PROXY, ['--kind', 'bare', '--target', stress]),
        framework: await start(REFERENCE_PROXY, ['--kind', 'framework', '--target', stress]),
      }, messages, checks);
    }
  } finally {
    for (const { child } of children) child.kill('SIGTERM');
  }

  console.log('\nTargets:');
  for (const check of checks) console.log(`  ${checkLine(check)}`);
  const enforced = checks.filter((c) => c.enforced);
  const failed = enforced.filter((c) => !passes(c));
  const missedGuides = checks.filter((c) => !c.enforced && !passes(c));
  console.log(`\ntargets: ${enforced.length - failed.length} passed, ${failed.length} failed; guides: ${checks.length - enforced.length - missedGuides.length} met, ${missedGuides.length} missed`);
  if (failed.length > 0 && process.env.BENCH_STRICT === '1') process.exitCode = 1;
}

await main();
