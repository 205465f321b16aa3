// npm run bench: the proxy against a direct connection, in one run, on this
// machine. Everything is reported as medians over several rounds and as
// ratios, because absolute times on a shared 2-core machine mean little.
// The targets from the issues are checked here, not in the tests.
//
// Streaming throughput is measured at two paces. At a fast local model's,
// the ratio is what a user would see, and it is checked. At a stress pace
// five times faster, it mostly measures CPU per call on two cores shared by
// client, stand-in and proxy. Two reference proxies run in the same rounds
// (bench/reference-proxy.ts): a bare Node one, the machine's floor, and plain
// Express + http-proxy-middleware, the floor of the stack the proxy is built on.
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { rewriteRequestBody, ScanMemo } from '../main/core/rewrite/index.js';
import { bareBody, countdownConversation, fullBody, fullRequest, encodeBody, hugeBody } from '../test/support/claude-code-bodies.js';
import { measureDiagnostics } from './diagnostics-cost.js';
import { measureSseTap } from './sse-tap-cost.js';
import { startNodeProcess, type StartedProcess } from '../test/support/node-process.js';
import { median, passes, timePerCall, type Check, checkLine } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1500);
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
async function compareThroughput(routes: Routes, call: Call, concurrency: number, roundMs: number): Promise<Map<string, number>> {
  const list = routeList(routes);
  for (const route of list) await throughput(route.url, call, concurrency, 300);
  const rounds = await inAlternatingRounds(list, (route) => throughput(route.url, call, concurrency, roundMs));
  return new Map(list.map((route, i) => [route.name, median(rounds[i]!)]));
}

/** Prints one throughput row; returns the proxy's ratio to direct. */
async function compare(label: string, routes: Routes, call: Call, concurrency: number, roundMs = ROUND_MS): Promise<number> {
  const rates = await compareThroughput(routes, call, concurrency, roundMs);
  const direct = rates.get('direct')!;
  const proxy = rates.get('proxy')!;
  const floors = referenceNote(rates, (rate) => `${(rate / direct).toFixed(2)}×`);
  console.log(`  ${label.padEnd(48)} direct ${direct.toFixed(0).padStart(6)} req/s   proxy ${proxy.toFixed(0).padStart(6)} req/s   ratio ${(proxy / direct).toFixed(2)}×${floors}`);
  return proxy / direct;
}

function us(ms: number): string {
  return `${(ms * 1000).toFixed(1).padStart(7)} µs`;
}

function kb(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${(n / 1024).toFixed(0)} KB`;
}

async function main(): Promise<void> {
  const checks: Check[] = [];
  console.log(`llm-cache-proxy benchmark — Node ${process.version}, ${ROUNDS} rounds of ${ROUND_MS} ms, medians\n`);

  console.log('Rewrite alone: a first body (whole scan), the next turn (scan memo), a body with nothing to rewrite:');
  const bodies = [['4 KB (--bare)', bareBody], ['77 KB (full)', fullBody], ['1 MB', (o: Parameters<typeof fullBody>[0]) => hugeBody(1024 * 1024, o)]] as const;
  for (const [label, make] of bodies) {
    const withBilling = make({ billing: 'cch' });
    const without = make({ billing: null });
    // Successive calls differ in their billing values, as a real client's do.
    const turns = Array.from({ length: 8 }, (_, call) => make({ billing: 'cch', call }));
    const memo = new ScanMemo();
    let turn = 0;
    const first = timePerCall(() => rewriteRequestBody(withBilling, 'drop'));
    const next = timePerCall(() => rewriteRequestBody(turns[turn++ % turns.length]!, 'drop', memo));
    const unchanged = timePerCall(() => rewriteRequestBody(without, 'drop'));
    console.log(`  ${label.padEnd(14)} ${kb(withBilling.length).padStart(7)}   first ${us(first)}   next turn ${us(next)}   untouched ${us(unchanged)}`);
    if (label.startsWith('77')) checks.push({ name: 'rewrite of a 77 KB body (whole scan)', value: first, limit: 0.3, unit: 'ms', lowerIsBetter: true });
  }

  console.log('\nInline-system fold, a 2.1.332 countdown session (a system message after every tool result), next turn with the scan memo:');
  {
    // Successive calls of one session: each adds a tool round trip and a countdown, as the real client does.
    const turns = Array.from({ length: 8 }, (_, call) => encodeBody(fullRequest({ billing: 'suffix', call: 0, messages: countdownConversation(call + 1, 300) })));
    const plain = fullBody({ billing: 'suffix' });
    const perCall = (inlineSystem: 'fold' | 'keep', bodies: readonly Buffer[]): number => {
      const memo = new ScanMemo();
      let turn = 0;
      return timePerCall(() => rewriteRequestBody(bodies[turn++ % bodies.length]!, 'drop', memo, { inlineSystem }));
    };
    const keep = perCall('keep', turns);
    const fold = perCall('fold', turns);
    const gate = perCall('fold', [plain]) - perCall('keep', [plain]);
    const size = kb(turns.reduce((sum, body) => sum + body.length, 0) / turns.length);
    console.log(`  ${size.padStart(7)} avg   keep ${us(keep)}   fold ${us(fold)}   added ${us(fold - keep)}   nothing to fold: added ${us(gate)}`);
    checks.push({ name: 'inline-system fold added per ~77 KB call', value: fold - keep, limit: 0.2, unit: 'ms', lowerIsBetter: true });
  }

  console.log('\nDiagnostics per call (JSON parse, rendering, prefix tracking): a first call, then the next turn:');
  for (const row of measureDiagnostics()) {
    console.log(`  ${row.label.padEnd(14)} ${kb(row.bytes).padStart(7)}   first ${us(row.wholeMs)}   next turn ${us(row.nextTurnMs)}`);
    if (row.label.startsWith('77')) checks.push({ name: 'diagnostics per 77 KB call, whole parse included', value: row.wholeMs, limit: 0.5, unit: 'ms', lowerIsBetter: true });
  }

  console.log('\nSSE tap, per event (adds the cache estimate to usage events, passes the rest):');
  const tapCost = measureSseTap();
  console.log(`  content delta ${(tapCost.deltaMs * 1000).toFixed(1).padStart(6)} µs   usage event ${(tapCost.usageMs * 1000).toFixed(1).padStart(6)} µs`);
  checks.push({ name: 'delay an SSE event suffers in the tap (worst kind)', value: Math.max(tapCost.deltaMs, tapCost.usageMs), limit: 1, unit: 'ms', lowerIsBetter: true });

  // BENCH_PROXY_ARGS adds flags, e.g. "--rewrite off --no-cache-usage" to see what the rewrite and the usage tap cost.
  const extraArgs = (process.env.BENCH_PROXY_ARGS ?? '').split(/\s+/).filter(Boolean);
  const children: StartedProcess[] = [];
  const start = async (script: string, args: readonly string[]): Promise<string> => {
    const started = await startNodeProcess(script, ['--port', '0', ...args], /listening on (http:\/\/\S+)/);
    children.push(started);
    return started.url;
  };
  try {
    // Two backends: one at the pace of a fast local model, and one far faster,
    // which leaves little but the proxy's own CPU to measure.
    const paced = await start(STANDIN, standinPace(LOCAL_MODEL_PACE));
    const stress = await start(STANDIN, standinPace(STRESS_PACE));
    const proxyArgs = (target: string): string[] => ['--target', target, '--log-level', 'warn', ...extraArgs];
    const pacedProxy = await start(CLI, proxyArgs(paced));
    const stressProxy = await start(CLI, proxyArgs(stress));
    const bare = await start(REFERENCE_PROXY, ['--kind', 'bare', '--target', stress]);
    const framework = await start(REFERENCE_PROXY, ['--kind', 'framework', '--target', stress]);
    const stressRoutes: Routes = { direct: stress, proxy: stressProxy, bare, framework };

    // Each call carries its own billing values (cch, version suffix), as Claude Code's do:
    // an identical body every time would flatter anything that remembers the last one.
    const bigBodies = Array.from({ length: 16 }, (_, call) => fullBody({ billing: 'cch', call }));
    const messages: Call = { method: 'POST', path: '/v1/messages?beta=true', bodies: bigBodies, headers: { 'content-type': 'application/json' } };
    const version: Call = { method: 'GET', path: '/api/version' };

    console.log('\nThroughput, proxy vs direct (and the reference proxies: the floors of this machine and of the stack):');
    // A paced call lasts some 100 ms, so its rounds are longer to count as many calls.
    const pacedRatio = await compare(`77 KB streaming ×4, ${describePace(LOCAL_MODEL_PACE)}`, { direct: paced, proxy: pacedProxy }, messages, 4, ROUND_MS * 2);
    await compare(`77 KB streaming ×4, ${describePace(STRESS_PACE)}`, stressRoutes, messages, 4);
    const small = await compare('GET /api/version ×16', stressRoutes, version, 16);
    checks.push({ name: `77 KB streaming throughput ratio, ${describePace(LOCAL_MODEL_PACE)}`, value: pacedRatio, limit: 0.9, unit: '×', lowerIsBetter: false });
    checks.push({ name: 'small GET throughput ratio', value: small, limit: 0.15, unit: '×', lowerIsBetter: false });

    console.log(`\nLatency, one call at a time, ${describePace(STRESS_PACE)} (median of 300 each way, in ${ROUNDS} alternating rounds):`);
    for (const [label, call] of [['GET /api/version', version], ['77 KB streaming /v1/messages', messages]] as const) {
      const latency = await compareLatency(stressRoutes, call, 300);
      const d = latency.get('direct')!;
      const p = latency.get('proxy')!;
      const added = new Map([...latency].map(([name, { total }]) => [name, total - d.total]));
      const floors = referenceNote(added, (ms) => `+${ms.toFixed(2)} ms`);
      console.log(`  ${label.padEnd(30)} direct ${d.total.toFixed(2)} ms   proxy ${p.total.toFixed(2)} ms   added ${(p.total - d.total).toFixed(2)} ms   first byte +${(p.firstByte - d.firstByte).toFixed(2)} ms${floors}`);
      checks.push({ name: `added latency, ${label}`, value: p.total - d.total, limit: 1, unit: 'ms', lowerIsBetter: true });
      if (label.includes('streaming')) checks.push({ name: 'first SSE byte delay vs direct', value: p.firstByte - d.firstByte, limit: 50, unit: 'ms', lowerIsBetter: true });
    }
  } finally {
    for (const { child } of children) child.kill('SIGTERM');
  }

  console.log('\nTargets:');
  for (const check of checks) console.log(`  ${checkLine(check)}`);
  const failed = checks.filter((c) => !passes(c));
  console.log(`\n${checks.length - failed.length} passed, ${failed.length} failed`);
  if (failed.length > 0 && process.env.BENCH_STRICT === '1') process.exitCode = 1;
}

await main();
