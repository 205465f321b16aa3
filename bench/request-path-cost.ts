// What the proxy does with a recorded Claude Code call, stage by stage, in CPU
// milliseconds: what happens before the request goes upstream (buffering the
// body, the rewrite) and what follows it (the diagnostics' analysis, the
// predicted wait, the record). Each recording is replayed in order, as the
// proxy sees a session, into fresh state, many times; a figure is the median
// over repeats of the stage's time per call, for the session's first call and
// for its later calls. Time is the thread's own work in a tight loop with
// nothing else running in it, so a loaded machine moves it less than a
// wall-clock time over HTTP; the HTTP figures of `npm run bench` and
// `npm run bench:engine` are for a quiet machine.
//   node dist/bench/request-path-cost.js [recording …]   (default: cc-2.1.139-bare-resume cc-2.1.332-countdown)
import http, { createServer as httpServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxy } from '../main/core/proxy/server.js';
import { proxyOptionsFromSettings } from '../main/core/proxy/options-from-settings.js';
import { defaultSettings } from '../main/core/settings/schema.js';
import { startOllamaStandin } from '../test/support/ollama-standin.js';
import { referenceHandler } from './reference-handlers.js';
import { CallDiagnostics } from '../main/core/proxy/call-diagnostics.js';
import { Exchange } from '../main/core/proxy/exchange.js';
import { messageCall } from '../main/core/proxy/message-call.js';
import { nestsDeeperThan } from '../main/core/proxy/json-depth.js';
import { BodyParser } from '../main/core/diagnostics/body-parser.js';
import { renderPrompt } from '../main/core/diagnostics/render.js';
import { predictCallWait } from '../main/core/wait/call-wait.js';
import { rewriteRequestBody, ScanMemo } from '../main/core/rewrite/index.js';
import type { CallRecord } from '../main/core/wire/types.js';
import { loadRecording } from '../test/support/recordings.js';
import { median } from './stats.js';

/** Stages in the order a call meets them; the first two stand between the client's last byte and the upstream request. */
const STAGES = ['buffer', 'rewrite', 'analysis', 'prediction', 'record'] as const;
type Stage = (typeof STAGES)[number];
/** The analysis, part by part (measured in a pass of its own, so as not to disturb the parser's reuse). */
const PARTS = ['depth check', 'parse', 'render'] as const;
type Part = (typeof PARTS)[number];

/** How a socket hands a 70–100 KB body to the proxy: in chunks of up to 64 KB. */
const CHUNK = 64 * 1024;
const REPEATS = Number(process.env['BENCH_PATH_REPEATS'] ?? 40);

interface Sample {
  /** Milliseconds per stage of each call, in recording order. */
  readonly calls: Record<Stage, number>[];
}

function chunks(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < body.length; at += CHUNK) out.push(body.subarray(at, at + CHUNK));
  return out;
}

/** A request as the proxy's server sees one, for the call's headers and client. */
function requestLike(headers: Readonly<Record<string, string>>, length: number): http.IncomingMessage {
  return { headers: { ...headers, 'content-length': String(length) }, url: '/v1/messages', method: 'POST', socket: { remoteAddress: '127.0.0.1' } } as unknown as http.IncomingMessage;
}

/** One replay of the session into fresh state, each stage of each call timed. */
function replayOnce(calls: readonly { headers: Readonly<Record<string, string>>; pieces: Buffer[] }[]): Sample {
  const memo = new ScanMemo();
  const diagnostics = new CallDiagnostics({ slots: 1, cacheUsage: true });
  const recent: CallRecord[] = [];
  const out: Record<Stage, number>[] = [];
  calls.forEach((c, i) => {
    const t0 = performance.now();
    const raw = c.pieces.length === 1 ? c.pieces[0]! : Buffer.concat(c.pieces);
    const t1 = performance.now();
    const rewrite = rewriteRequestBody(raw, 'drop', memo, { inlineSystem: 'fold', familyOf: () => 'template' });
    const call = messageCall(new Exchange(requestLike(c.headers, raw.length)), '/v1/messages', 'drop', rewrite, i + 1);
    const t2 = performance.now();
    diagnostics.skipped(call);
    const t3 = performance.now();
    const estimate = diagnostics.predict(call);
    if (estimate) call.prediction = { ...estimate, ...predictCallWait(estimate, recent, { loaded: true, contextCost: null }), contextTokens: null };
    const t4 = performance.now();
    call.observed.inputTokens = estimate?.promptTokens ?? null;
    const record = diagnostics.complete(call, { id: i + 1, status: 200, endedAt: performance.now() });
    const t5 = performance.now();
    if (record) recent.push(record);
    out.push({ buffer: t1 - t0, rewrite: t2 - t1, analysis: t3 - t2, prediction: t4 - t3, record: t5 - t4 });
  });
  return { calls: out };
}

/** The analysis's parts, each call in order, into fresh state. */
function partsOnce(calls: readonly { pieces: Buffer[] }[]): Record<Part, number>[] {
  const memo = new ScanMemo();
  const parser = new BodyParser();
  return calls.map((c) => {
    const rewrite = rewriteRequestBody(Buffer.concat(c.pieces), 'drop', memo, { inlineSystem: 'fold', familyOf: () => 'template' });
    const t0 = performance.now();
    nestsDeeperThan(rewrite.pieces);
    const t1 = performance.now();
    const body = parser.parse(rewrite.pieces, rewrite.members);
    const t2 = performance.now();
    renderPrompt(body, 'template');
    const t3 = performance.now();
    return { 'depth check': t1 - t0, parse: t2 - t1, render: t3 - t2 };
  });
}

const ms = (x: number): string => (x < 0.1 ? x.toFixed(3) : x.toFixed(2));

/** Median over repeats of a per-call figure: of call 1, and of the calls after it (their per-repeat median). */
function firstAndLater<K extends string>(samples: readonly Record<K, number>[][], key: K): { first: number; later: number } {
  return {
    first: median(samples.map((s) => s[0]![key])),
    later: median(samples.map((s) => median(s.slice(1).map((c) => c[key])))),
  };
}

function measure(name: string): void {
  const recording = loadRecording(name);
  const calls = recording.calls.filter((c) => c.path.startsWith('/v1/messages') && !c.path.includes('count_tokens'))
    .map((c) => ({ headers: c.headers, pieces: chunks(Buffer.from(c.body, 'utf8')) }));
  const sizes = calls.map((c) => c.pieces.reduce((s, p) => s + p.length, 0));
  // Warm-up: the JIT and the caches of the first replays are not what a running proxy pays.
  for (let i = 0; i < 5; i++) { replayOnce(calls); partsOnce(calls); }
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const samples: Sample[] = [];
  for (let r = 0; r < REPEATS; r++) samples.push(replayOnce(calls));
  const cpu = process.cpuUsage(cpuBefore);
  const wall = performance.now() - wallBefore;
  const parts: Record<Part, number>[][] = [];
  for (let r = 0; r < REPEATS; r++) parts.push(partsOnce(calls));
  const perCall = samples.map((s) => s.calls);
  console.log(`${name}: ${calls.length} calls of ${Math.round(Math.min(...sizes) / 1024)}–${Math.round(Math.max(...sizes) / 1024)} KB, ${REPEATS} replays; ms per call, median (first call / later calls)`);
  let before = { first: 0, later: 0 };
  let after = { first: 0, later: 0 };
  for (const stage of STAGES) {
    const f = firstAndLater(perCall, stage);
    const upstream = stage === 'buffer' || stage === 'rewrite';
    if (upstream) before = { first: before.first + f.first, later: before.later + f.later };
    else after = { first: after.first + f.first, later: after.later + f.later };
    console.log(`  ${(upstream ? 'before upstream: ' : 'after upstream:  ') + stage.padEnd(11)} ${ms(f.first).padStart(7)} / ${ms(f.later).padStart(7)}`);
    if (stage === 'analysis') {
      for (const part of PARTS) {
        const p = firstAndLater(parts, part);
        console.log(`    of which ${part.padEnd(12)}   ${ms(p.first).padStart(7)} / ${ms(p.later).padStart(7)}`);
      }
    }
  }
  console.log(`  total before the upstream request ${ms(before.first)} / ${ms(before.later)} ms; after it ${ms(after.first)} / ${ms(after.later)} ms`);
  const perReplayCpu = (cpu.user + cpu.system) / 1000 / REPEATS / calls.length;
  console.log(`  process CPU over the timed replays: ${ms(perReplayCpu)} ms per call (wall ${ms(wall / REPEATS / calls.length)} ms)`);
}

/** One call to `base` with a recorded body; resolves once the answer has ended. */
function post(agent: http.Agent, base: string, path: string, headers: Readonly<Record<string, string>>, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The whole hop over real HTTP, in this one process as the engine bench runs
 * it (client, proxy and backend on one thread): process CPU per call of the
 * recording's calls sent one after another straight to a stand-in that
 * answers at once, through plain Express + http-proxy-middleware, and
 * through the proxy with default settings (its diagnostics included: each
 * call waits for the loop to go quiet). Routes take turns by round.
 */
async function measureHop(name: string, rounds: number): Promise<void> {
  const calls = loadRecording(name).calls.filter((c) => c.path.startsWith('/v1/messages') && !c.path.includes('count_tokens'))
    .map((c) => ({ path: c.path, headers: c.headers, body: Buffer.from(c.body, 'utf8') }));
  const standin = await startOllamaStandin({ timing: { prefillMs: 0, tokenDelayMs: 0, tokens: 3 }, record: false });
  const framework = httpServer(referenceHandler('framework', standin.url, new http.Agent({ keepAlive: true })));
  await new Promise<void>((resolve) => framework.listen(0, '127.0.0.1', resolve));
  const routes: { name: string; base: string }[] = [
    { name: 'direct', base: standin.url },
    { name: 'plain Express + hpm', base: `http://127.0.0.1:${(framework.address() as AddressInfo).port}` },
  ];
  const proxy = createProxy({ ...proxyOptionsFromSettings(defaultSettings()), host: '127.0.0.1', port: 0, target: standin.url });
  routes.push({ name: 'proxy (default settings)', base: `http://127.0.0.1:${(await proxy.start()).port}` });
  const quiet = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
  const session = async (base: string): Promise<number> => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let cpu = 0;
    for (const c of calls) {
      const before = process.cpuUsage();
      await post(agent, base, c.path, c.headers, c.body);
      await quiet();
      const used = process.cpuUsage(before);
      cpu += (used.user + used.system) / 1000;
    }
    agent.destroy();
    return cpu / calls.length;
  };
  for (const r of routes) await session(r.base);
  const samples = routes.map((): number[] => []);
  for (let k = 0; k < rounds; k++) for (const [i, r] of routes.entries()) samples[i]!.push(await session(r.base));
  console.log(`${name} over HTTP in one process, ${calls.length} calls a round, ${rounds} rounds: process CPU per call, median (and beyond direct)`);
  const direct = median(samples[0]!);
  routes.forEach((r, i) => {
    const m = median(samples[i]!);
    console.log(`  ${r.name.padEnd(26)} ${ms(m).padStart(6)} ms${i === 0 ? '' : `   (+${ms(m - direct)} ms)`}`);
  });
  await proxy.stop(100);
  await new Promise<void>((resolve) => framework.close(() => resolve()));
  await standin.close();
}

const names = process.argv.slice(2);
for (const name of names.length > 0 ? names : ['cc-2.1.139-bare-resume', 'cc-2.1.332-countdown']) measure(name);
await measureHop(names[0] ?? 'cc-2.1.139-bare-resume', Number(process.env['BENCH_PATH_ROUNDS'] ?? 9));
