// Warm start on the engine: the first call of a new Claude Code session after
// another client used the model, with and without the proxy's warm-up.
//
// Two real 2.1.332 sessions of one project send the same system prompt and
// tools (once the billing block is gone) and different first prompts. Session A
// runs; then another client (an editor, a chat page) sends the same model a
// short prompt straight to the engine, which takes its one slot; then, after a
// pause, session B asks its first question. Routes, each into a fresh engine:
// - direct: Claude Code straight into the engine;
// - proxy: through the proxy as the CLI runs it (the host, its backend monitor), warm start off;
// - warm: the same with warm start on, B sent once the warm-up has finished;
// - warm-interrupted: B sent the moment the warm-up starts, so the warm-up is cancelled.
// `resumed` is a resumed turn of session A through the proxy: the wait warm start aims at.
import { setTimeout as sleep } from 'node:timers/promises';
import { ProxyHost } from '../main/core/host/proxy-host.js';
import { proxyOptionsFromSettings } from '../main/core/proxy/options-from-settings.js';
import { backendFromSettings } from '../main/core/backends/upstream.js';
import { defaultSettings } from '../main/core/settings/schema.js';
import type { WarmSetting, WarmUpRecord } from '../main/core/wire/types.js';
import type { ModelSize } from './engine/model.js';
import { startEngine, type RunningEngine } from './engine/open.js';
import { family, libraryFamily, perfectPrompt } from './engine/families.js';
import { replay, type ReplayCall, type ReplayResult } from './engine/replay.js';
import { commonPrefixLength } from './engine/slots.js';
import { loadRecording } from '../test/support/recordings.js';
import { spread, type Spread } from './stats.js';

export const WARM_ROUTES = ['direct', 'proxy', 'warm', 'warm-interrupted'] as const;
export type WarmRoute = (typeof WARM_ROUTES)[number];

/** Session A (a tool loop) and session B (another first prompt in the same project). */
const SESSION_A = 'cc-2.1.332-tool-loop';
const SESSION_B = 'cc-2.1.332-subagent';

/** Long enough that the proxy can tell the other client's request from Claude Code's last one (see warm-triggers.ts). */
const OTHER_CLIENT_AFTER_MS = 5_000;

export interface WarmStartRun {
  readonly route: WarmRoute;
  /** Time to the first token of session B's first call, ms. */
  readonly firstTokenMs: number;
  /** What the engine reused and evaluated for it (its own count). */
  readonly reused: number;
  readonly evaluated: number;
  /** Session A's resumed turns' first tokens, ms (through the proxy routes only). */
  readonly resumedMs: readonly number[];
  /** The warm-up that ran, if one did. */
  readonly warmUp: WarmUpRecord | null;
  /** Tokens the two sessions' first prompts share on this engine (the static prefix). */
  readonly staticPrefixTokens: number;
}

export interface WarmStartOptions {
  readonly size: ModelSize;
  readonly threads: number;
  /** Give up waiting for the warm-up after this long (the bench model re-reads 12K tokens in minutes). */
  readonly warmUpTimeoutMs?: number;
}

function mainCalls(name: string): ReplayCall[] {
  return loadRecording(name).calls.filter((c) => c.role === 'main');
}

/** A short chat from another client of the same model, as an editor plug-in sends it. */
function otherClientCall(model: string): ReplayCall {
  return {
    path: '/v1/messages',
    headers: { 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model, max_tokens: 8, stream: true, system: 'You are a concise assistant in a code editor.', messages: [{ role: 'user', content: 'Explain what a mutex is in one sentence.' }] }),
  };
}

/** The tokens the two sessions' first prompts share on the engine: the static prefix (system prompt and tools). */
export function staticPrefixTokens(engine: Pick<RunningEngine, 'tokenize'>): number {
  const [a] = mainCalls(SESSION_A);
  const [b] = mainCalls(SESSION_B);
  const model = (JSON.parse(a!.body) as { model: string }).model;
  const served = family(libraryFamily(model));
  return commonPrefixLength(engine.tokenize(perfectPrompt(served, a!.body)), engine.tokenize(perfectPrompt(served, b!.body)));
}

function nextWarmUp(host: ProxyHost, outcome: 'running' | 'finished', timeoutMs: number): Promise<WarmUpRecord> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no warm-up ${outcome === 'running' ? 'started' : 'finished'} within ${timeoutMs / 1000} s`)), timeoutMs);
    const listener = (record: WarmUpRecord): void => {
      if ((outcome === 'running') !== (record.outcome === 'running')) return;
      clearTimeout(timer);
      host.warmer.off('warm-up', listener);
      resolve(record);
    };
    host.warmer.on('warm-up', listener);
  });
}

function check(result: ReplayResult, what: string): number {
  if (result.status !== 200 || result.ttftMs === null) throw new Error(`${what}: HTTP ${result.status} ${result.error ?? 'no first token'}`);
  return result.ttftMs;
}

export async function runWarmStart(route: WarmRoute, options: WarmStartOptions): Promise<WarmStartRun> {
  const engine = await startEngine({ size: options.size, slots: 1, contextSize: 32768, threads: options.threads });
  let host: ProxyHost | null = null;
  let stop = async (): Promise<void> => undefined;
  try {
    let url = engine.url;
    const a = mainCalls(SESSION_A);
    const model = (JSON.parse(a[0]!.body) as { model: string }).model;
    if (route !== 'direct') {
      const settings = defaultSettings();
      const warm: WarmSetting = route === 'proxy' ? 'off' : 'on';
      host = new ProxyHost({
        proxy: { ...proxyOptionsFromSettings(settings), host: '127.0.0.1', port: 0, target: engine.url },
        backend: backendFromSettings('auto', null), model, contextTokens: 0,
        snippet: { bare: false, subagentModel: '', shell: 'bash' }, warm,
      });
      const proxy = host.createProxy();
      url = `http://127.0.0.1:${(await proxy.start()).port}`;
      host.start();
      const running = host;
      stop = async () => {
        running.stop();
        await proxy.stop(100);
      };
    }
    const resumedMs: number[] = [];
    for (const [i, call] of a.entries()) {
      const ttft = check(await replay(url, call), `session A call ${i + 1}`);
      if (i > 0 && route !== 'direct') resumedMs.push(ttft);
    }
    // Someone at the keyboard: the other client's chat comes a few seconds after Claude Code's last answer.
    await sleep(OTHER_CLIENT_AFTER_MS);
    check(await replay(engine.url, otherClientCall(model)), 'the other client');
    const timeoutMs = options.warmUpTimeoutMs ?? 20 * 60_000;
    let warmUp: WarmUpRecord | null = null;
    if (route === 'warm') warmUp = await nextWarmUp(host!, 'finished', timeoutMs);
    if (route === 'warm-interrupted') warmUp = await nextWarmUp(host!, 'running', timeoutMs);
    const before = engine.calls.length;
    const [b] = mainCalls(SESSION_B);
    const cancelled = route === 'warm-interrupted' ? nextWarmUp(host!, 'finished', 10_000) : null;
    const firstTokenMs = check(await replay(url, b!), 'session B, first call');
    if (cancelled) warmUp = await cancelled;
    // The user's call is the last the engine served (a cancelled warm-up may be logged before it).
    const truth = engine.calls.slice(before).at(-1);
    if (truth === undefined) throw new Error('the engine has no record of session B\'s first call');
    return { route, firstTokenMs, reused: truth.reused, evaluated: truth.evaluated, resumedMs, warmUp, staticPrefixTokens: staticPrefixTokens(engine) };
  } finally {
    await stop();
    await engine.close();
    // The monitor's last timers are unref'd; give the sockets a moment to close before the next engine.
    await sleep(50);
  }
}

export interface WarmStartFigures {
  /** Median first token of session B's first call per route, seconds, with min and max. */
  readonly firstToken: Readonly<Record<WarmRoute, Spread>>;
  /** Median first token of a resumed turn through the proxy, seconds. */
  readonly resumed: Spread;
  readonly staticPrefixTokens: number;
}

/** Every route `runs` times, interleaved, each into a fresh engine. A failed run is a problem, never a skipped figure. */
export async function measureWarmStart(
  options: WarmStartOptions, runs: number, log: (line: string) => void, problems: string[],
): Promise<WarmStartFigures | null> {
  const byRoute = new Map<WarmRoute, WarmStartRun[]>(WARM_ROUTES.map((r) => [r, []]));
  for (let run = 1; run <= runs; run++) {
    for (const route of WARM_ROUTES) {
      try {
        const r = await runWarmStart(route, options);
        byRoute.get(route)!.push(r);
        const warm = r.warmUp === null ? '' : `; warm-up (${r.warmUp.trigger}) ${r.warmUp.outcome} after ${((r.warmUp.durationMs ?? 0) / 1000).toFixed(2)} s`;
        log(`warm start run ${run} ${route.padEnd(16)} new-session first token ${(r.firstTokenMs / 1000).toFixed(2).padStart(7)} s, reused ${r.reused} of ${r.reused + r.evaluated} tokens${warm}`);
      } catch (error) {
        problems.push(`warm start, ${route}, run ${run}: ${(error as Error).message}`);
      }
    }
  }
  if (WARM_ROUTES.some((r) => byRoute.get(r)!.length !== runs)) return null;
  const seconds = (runs_: readonly WarmStartRun[]): Spread => spread(runs_.map((r) => r.firstTokenMs / 1000));
  const firstToken = Object.fromEntries(WARM_ROUTES.map((r) => [r, seconds(byRoute.get(r)!)])) as Record<WarmRoute, Spread>;
  const resumed = spread([...byRoute.get('proxy')!, ...byRoute.get('warm')!].flatMap((r) => r.resumedMs.map((ms) => ms / 1000)));
  return { firstToken, resumed, staticPrefixTokens: byRoute.get('direct')![0]!.staticPrefixTokens };
}

export function warmStartLine(f: WarmStartFigures): string {
  const s = (x: Spread): string => `${x.median.toFixed(2)} s`;
  return `warm start: new-session first token direct ${s(f.firstToken.direct)}, through proxy ${s(f.firstToken.proxy)}, `
    + `with warm start ${s(f.firstToken.warm)}, resumed turn ${s(f.resumed)}; static prefix ${f.staticPrefixTokens} tokens`;
}
