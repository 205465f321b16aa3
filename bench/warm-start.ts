// Warm start on the engine: the first call of a new Claude Code session after
// the backend lost the prompt, with and without the proxy's warm-up, one
// scenario per way it is lost.
//
// Two real 2.1.332 sessions of one project send the same system prompt and
// tools (once the billing block is gone) and different first prompts. Session A
// runs; then the backend loses it; then, after a pause, session B asks its
// first question. Every run starts a fresh engine.
// - foreign-use: another client (an editor, a chat page) sends the same model
//   a short prompt straight to the engine, which takes its one slot. Routes:
//   direct (Claude Code straight into the engine); proxy (through the proxy as
//   the CLI runs it, host and backend monitor, warm start off); warm (the same
//   with warm start on, B sent once the warm-up has finished);
//   warm-interrupted (B sent the moment the warm-up starts, which cancels it;
//   the engine stops reading where Ollama would, and B reuses what it read).
// - reloaded: the model is unloaded (`ollama stop`, or its keep-alive ran out)
//   and loaded again (`ollama run`); the monitor sees it appear in /api/ps.
// - restarted: the proxy restarts with the prefix an earlier run remembered
//   (warm-prefix.json) in front of a fresh engine that holds nothing.
// - other-project: session B is a new session in another project directory
//   (a second real recording). Routes: proxy (B right after A, the slot still
//   holding A) and warm (after another client took the slot, as foreign-use).
// - client-start: the model's keep-alive ran out, so it is unloaded; then
//   Claude Code starts (its `HEAD /api/hello`) and, after its user has typed,
//   session B asks. Routes: proxy (warm start off) and warm (`idle`, which
//   loads the model only for a starting client).
// `resumed` is a resumed turn of session A through the proxy: the wait warm start aims at.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProxyHost } from '../main/core/host/proxy-host.js';
import { proxyOptionsFromSettings } from '../main/core/proxy/options-from-settings.js';
import { backendFromSettings } from '../main/core/backends/upstream.js';
import { defaultSettings } from '../main/core/settings/schema.js';
import type { BackendState } from '../main/core/backends/types.js';
import type { WarmSetting, WarmUpRecord } from '../main/core/wire/types.js';
import { fileWarmStore, WARM_FILE_NAME, type WarmStore } from '../main/core/warm/warm-store.js';
import type { ModelSize } from './engine/model.js';
import { startEngine, type RunningEngine } from './engine/open.js';
import { family, libraryFamily, perfectPrompt } from './engine/families.js';
import { replay, type ReplayCall, type ReplayResult } from './engine/replay.js';
import { commonPrefixLength } from './engine/slots.js';
import { loadRecording } from '../test/support/recordings.js';
import { spread, type Spread } from './stats.js';

export const WARM_ROUTES = ['direct', 'proxy', 'warm', 'warm-interrupted'] as const;
export type WarmRoute = (typeof WARM_ROUTES)[number];
export const WARM_SCENARIOS = ['foreign-use', 'reloaded', 'restarted', 'other-project', 'client-start'] as const;
export type WarmScenario = (typeof WARM_SCENARIOS)[number];

export function isWarmScenario(name: string): name is WarmScenario {
  return (WARM_SCENARIOS as readonly string[]).includes(name);
}

/** One scenario along one route; the others' routes are the ones that say something new. */
export interface WarmVariant {
  readonly scenario: WarmScenario;
  readonly route: WarmRoute;
}

export const WARM_VARIANTS: readonly WarmVariant[] = [
  ...WARM_ROUTES.map((route) => ({ scenario: 'foreign-use' as const, route })),
  { scenario: 'reloaded', route: 'warm' },
  { scenario: 'restarted', route: 'warm' },
  { scenario: 'other-project', route: 'proxy' },
  { scenario: 'other-project', route: 'warm' },
  { scenario: 'client-start', route: 'proxy' },
  { scenario: 'client-start', route: 'warm' },
];

/** Session A (a tool loop) and session B (another first prompt in the same project). */
const SESSION_A = 'cc-2.1.332-tool-loop';
const SESSION_B = 'cc-2.1.332-subagent';
/** A session in one project, then one in another: prompt 1 is A, prompt 2 is B. */
const OTHER_PROJECT = 'cc-2.1.332-other-project';

/** Long enough that the proxy can tell the other client's request from Claude Code's last one (see warm-triggers.ts). */
const OTHER_CLIENT_AFTER_MS = 5_000;
/**
 * From Claude Code's start-up request to its user's first question: the
 * client draws its screen within a second or two, and typing a short first
 * question ("Say hi in 3 words") and pressing enter takes several more.
 */
const TYPING_PAUSE_MS = 10_000;

export interface WarmStartRun extends WarmVariant {
  /** Time to the first token of session B's first call, ms. */
  readonly firstTokenMs: number;
  /** What the engine reused and evaluated for it (its own count). */
  readonly reused: number;
  readonly evaluated: number;
  /** Tokens of a saved state the engine's prompt cache loaded for it (0: none). */
  readonly restored: number;
  /** Session A's resumed turns' first tokens, ms (through the proxy routes only). */
  readonly resumedMs: readonly number[];
  /** The warm-up that ran, if one did. */
  readonly warmUp: WarmUpRecord | null;
  /** The engine's record of that warm-up: what it read before it ended or was cancelled. */
  readonly warmUpCall: WarmUpRead | null;
  /** Tokens session B's first prompt shares with session A's on this engine (the static prefix, in one project). */
  readonly sharedTokens: number;
}

/** What the engine did for a warm-up (its own count). */
export interface WarmUpRead {
  readonly promptTokens: number;
  readonly reused: number;
  readonly evaluated: number;
  /** Tokens of a saved state the prompt cache loaded for it (0: none). */
  readonly restored: number;
  /** Its client (the proxy) left, and the engine stopped reading there. */
  readonly cancelled: boolean;
}

export interface WarmStartOptions {
  readonly size: ModelSize;
  readonly threads: number;
  /** The engine's host-memory prompt cache in MiB (default 8,192, as Ollama 0.30+; 0 for none, as before 0.30). */
  readonly cacheRamMib?: number;
  /** Give up waiting for a warm-up after this long (the bench model re-reads 12K tokens in minutes). */
  readonly warmUpTimeoutMs?: number;
}

function mainCalls(name: string, prompt?: number): ReplayCall[] {
  return loadRecording(name).calls.filter((c) => c.role === 'main' && (prompt === undefined || c.prompt === prompt));
}

/** Session A's calls and session B's first call, per scenario. */
function sessions(scenario: WarmScenario): { a: ReplayCall[]; b: ReplayCall } {
  if (scenario === 'other-project') return { a: mainCalls(OTHER_PROJECT, 1), b: mainCalls(OTHER_PROJECT, 2)[0]! };
  return { a: mainCalls(SESSION_A), b: mainCalls(SESSION_B)[0]! };
}

const modelOf = (call: ReplayCall): string => (JSON.parse(call.body) as { model: string }).model;

/** A short chat from another client of the same model, as an editor plug-in sends it. */
function otherClientCall(model: string): ReplayCall {
  return {
    path: '/v1/messages',
    headers: { 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model, max_tokens: 8, stream: true, system: 'You are a concise assistant in a code editor.', messages: [{ role: 'user', content: 'Explain what a mutex is in one sentence.' }] }),
  };
}

/** The tokens two first calls share on the engine, as the proxy forwards them (billing block gone, system messages in place). */
export function sharedPrefixTokens(engine: Pick<RunningEngine, 'tokenize'>, a: ReplayCall, b: ReplayCall): number {
  const served = family(libraryFamily(modelOf(a)));
  return commonPrefixLength(engine.tokenize(perfectPrompt(served, a.body)), engine.tokenize(perfectPrompt(served, b.body)));
}

function nextWarmUp(host: ProxyHost, outcome: 'running' | 'finished', timeoutMs: number): Promise<WarmUpRecord> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no warm-up ${outcome === 'running' ? 'started' : 'finished'} within ${timeoutMs / 1000} s`)), timeoutMs);
    // A wait nobody awaits any more (its run failed first) must not hold the bench open.
    timer.unref();
    const listener = (record: WarmUpRecord): void => {
      if ((outcome === 'running') !== (record.outcome === 'running')) return;
      clearTimeout(timer);
      host.warmer.off('warm-up', listener);
      resolve(record);
    };
    host.warmer.on('warm-up', listener);
  });
}

/** The monitor's next look at the backend that shows the model loaded (or not). */
function lookShowing(host: ProxyHost, model: string, loaded: boolean, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the monitor never saw ${model} ${loaded ? 'loaded' : 'unloaded'}`)), timeoutMs);
    const listener = (state: BackendState): void => {
      if (state.status !== 'up' || state.loaded.some((m) => m.name === model) !== loaded) return;
      clearTimeout(timer);
      host.session.off('checked', listener);
      resolve();
    };
    host.session.on('checked', listener);
  });
}

/** `ollama stop` and `ollama run`: POST /api/generate with no prompt, keep_alive 0 to unload. */
async function ollamaGenerate(engine: RunningEngine, model: string, unload: boolean): Promise<void> {
  const res = await fetch(`${engine.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model, ...(unload ? { keep_alive: 0 } : {}) }) });
  if (res.status !== 200) throw new Error(`POST /api/generate: HTTP ${res.status} ${await res.text()}`);
}

function check(result: ReplayResult, what: string): number {
  if (result.status !== 200 || result.ttftMs === null) throw new Error(`${what}: HTTP ${result.status} ${result.error ?? 'no first token'}`);
  return result.ttftMs;
}

interface RunningProxy {
  readonly url: string;
  readonly host: ProxyHost;
  stop(): Promise<void>;
}

/** The proxy as the CLI runs it: host, backend monitor, default settings. */
async function startProxy(target: string, model: string, warm: WarmSetting, warmStore?: WarmStore): Promise<RunningProxy> {
  const host = new ProxyHost({
    proxy: { ...proxyOptionsFromSettings(defaultSettings()), host: '127.0.0.1', port: 0, target },
    backend: backendFromSettings('auto', null), model, contextTokens: 0,
    snippet: { bare: false, subagentModel: '', shell: 'bash' }, warm,
  }, warmStore === undefined ? {} : { warmStore });
  const proxy = host.createProxy();
  const url = `http://127.0.0.1:${(await proxy.start()).port}`;
  host.start();
  return {
    url, host,
    stop: async () => {
      host.stop();
      await proxy.stop(100);
    },
  };
}

async function waitForFile(file: string, timeoutMs: number): Promise<void> {
  for (const end = Date.now() + timeoutMs; !existsSync(file); await sleep(100)) {
    if (Date.now() > end) throw new Error(`warm start never wrote ${path.basename(file)}`);
  }
}

export async function runWarmStart(variant: WarmVariant, options: WarmStartOptions): Promise<WarmStartRun> {
  const { scenario, route } = variant;
  const timeoutMs = options.warmUpTimeoutMs ?? 20 * 60_000;
  const { a, b } = sessions(scenario);
  const model = modelOf(a[0]!);
  const open = (): Promise<RunningEngine> => startEngine({ size: options.size, slots: 1, contextSize: 32768, threads: options.threads, ...(options.cacheRamMib === undefined ? {} : { cacheRamMib: options.cacheRamMib }) });
  let engine = await open();
  let proxy: RunningProxy | null = null;
  const folder = scenario === 'restarted' ? mkdtempSync(path.join(os.tmpdir(), 'warm-start-')) : null;
  try {
    // A starting client is the one case where `idle` loads a model the backend dropped; the others run `on`.
    const warm: WarmSetting = route === 'proxy' ? 'off' : scenario === 'client-start' ? 'idle' : 'on';
    if (route !== 'direct') proxy = await startProxy(engine.url, model, warm, folder === null ? undefined : fileWarmStore(folder));
    const url = proxy?.url ?? engine.url;
    const resumedMs: number[] = [];
    for (const [i, call] of a.entries()) {
      const ttft = check(await replay(url, call), `session A call ${i + 1}`);
      if (i > 0 && route !== 'direct') resumedMs.push(ttft);
    }
    // Someone at the keyboard: what loses the prompt comes a few seconds after Claude Code's last answer.
    await sleep(OTHER_CLIENT_AFTER_MS);
    const waitFor = route === 'warm' ? 'finished' : route === 'warm-interrupted' ? 'running' : null;
    let warmUp: Promise<WarmUpRecord> | null = null;
    /** client-start: the warm-up's end, which may come after B (B cancels it if it is still reading). */
    let warmUpEnd: Promise<WarmUpRecord> | null = null;
    let bAt = 0;
    /** Where the engine's records of what follows the loss begin (set where a warm-up may start at once). */
    let mark: number | null = null;
    if (scenario === 'foreign-use' || (scenario === 'other-project' && route === 'warm')) {
      if (waitFor !== null) warmUp = nextWarmUp(proxy!.host, waitFor, timeoutMs);
      check(await replay(engine.url, otherClientCall(model)), 'the other client');
    } else if (scenario === 'reloaded') {
      const gone = lookShowing(proxy!.host, model, false);
      await ollamaGenerate(engine, model, true);
      await gone;
      if (waitFor !== null) warmUp = nextWarmUp(proxy!.host, waitFor, timeoutMs);
      await ollamaGenerate(engine, model, false);
    } else if (scenario === 'restarted') {
      await waitForFile(path.join(folder!, WARM_FILE_NAME), 60_000);
      await proxy!.stop();
      await engine.close();
      engine = await open();
      proxy = await startProxy(engine.url, model, warm, fileWarmStore(folder!));
      if (waitFor !== null) warmUp = nextWarmUp(proxy.host, waitFor, timeoutMs);
    } else if (scenario === 'client-start') {
      // Ollama unloads a model whose keep-alive ran out, and its cache with it; in `idle` nothing reloads it.
      // Warm start has to have seen it gone to act on the client's start; with warm start off, nothing looks.
      const gone = route === 'warm' ? lookShowing(proxy!.host, model, false) : null;
      await engine.unload(model);
      await gone;
      if (route === 'warm') {
        warmUp = nextWarmUp(proxy!.host, 'running', 60_000);
        warmUpEnd = nextWarmUp(proxy!.host, 'finished', timeoutMs);
        warmUpEnd.catch(() => undefined);
      }
      bAt = Date.now() + TYPING_PAUSE_MS;
      mark = engine.calls.length;
      const hello = await fetch(`${proxy!.url}/api/hello`, { method: 'HEAD' });
      if (hello.status >= 500) throw new Error(`HEAD /api/hello through the proxy: HTTP ${hello.status}`);
    }
    // What the engine serves from here on: the warm-up, if one reaches it, then B.
    mark ??= engine.calls.length;
    let record: WarmUpRecord | null = warmUp === null ? null : await warmUp;
    if (bAt > Date.now()) await sleep(bAt - Date.now());
    // A warm-up that failed may still have filled the engine's cache: not a pass. (A starting client's may be cut short by B.)
    if (route === 'warm' && scenario !== 'client-start' && record !== null && record.outcome !== 'done') throw new Error(`the warm-up (${record.trigger}) ${record.outcome}: ${record.error ?? ''}`);
    const before = engine.calls.length;
    const cancelled = route === 'warm-interrupted' ? nextWarmUp(proxy!.host, 'finished', 10_000) : null;
    const firstTokenMs = check(await replay(proxy?.url ?? engine.url, b), 'session B, first call');
    if (cancelled) record = await cancelled;
    if (warmUpEnd !== null) record = await warmUpEnd;
    // The user's call is the last the engine served; a warm-up it found running or finished is the one before it.
    const truth = engine.calls.at(-1);
    if (truth === undefined || engine.calls.length <= before) throw new Error('the engine has no record of session B\'s first call');
    const prior = record === null || engine.calls.length - 2 < mark ? undefined : engine.calls.at(-2);
    const warmUpCall = prior === undefined ? null
      : { promptTokens: prior.promptTokens, reused: prior.reused, evaluated: prior.evaluated, restored: prior.restoredTokens, cancelled: prior.cancelled };
    return {
      scenario, route, firstTokenMs, reused: truth.reused, evaluated: truth.evaluated, restored: truth.restoredTokens, resumedMs, warmUp: record, warmUpCall,
      sharedTokens: sharedPrefixTokens(engine, a[0]!, b),
    };
  } finally {
    await proxy?.stop();
    await engine.close();
    if (folder !== null) rmSync(folder, { recursive: true, force: true });
    // The monitor's last timers are unref'd; give the sockets a moment to close before the next engine.
    await sleep(50);
  }
}

/** A scenario beside foreign-use, along one route: its reuse (deterministic) and first token. */
export interface WarmVariantFigures extends WarmVariant {
  readonly firstToken: Spread;
  readonly reused: number;
  readonly promptTokens: number;
  readonly sharedTokens: number;
  /** What the last run's warm-up read on the engine (null: no warm-up, or none reached it). */
  readonly warmUpCall: WarmUpRead | null;
}

/** The foreign-use scenario along its four routes: the issue's figures and targets. */
export interface ForeignUseFigures {
  /** Median first token of session B's first call per route, seconds, with min and max. */
  readonly firstToken: Readonly<Record<WarmRoute, Spread>>;
  /** Median first token of a resumed turn through the proxy, seconds. */
  readonly resumed: Spread;
  readonly staticPrefixTokens: number;
  /** warm-interrupted, per run: what the cancelled warm-up had read, and what session B then reused. */
  readonly interrupted: readonly { readonly warmUpCall: WarmUpRead | null; readonly reused: number; readonly promptTokens: number }[];
}

export interface WarmStartFigures {
  /** Null when that scenario was not run. */
  readonly foreignUse: ForeignUseFigures | null;
  /** The other scenarios run, each along its routes. */
  readonly others: readonly WarmVariantFigures[];
}

const variantName = (v: WarmVariant): string => (v.scenario === 'foreign-use' ? v.route : `${v.scenario}/${v.route}`);

/** Every variant of the scenarios `runs` times, interleaved, each into a fresh engine. A failed run is a problem, never a skipped figure. */
export async function measureWarmStart(
  options: WarmStartOptions, runs: number, log: (line: string) => void, problems: string[], scenarios: readonly WarmScenario[] = WARM_SCENARIOS,
): Promise<WarmStartFigures | null> {
  const variants = WARM_VARIANTS.filter((v) => scenarios.includes(v.scenario));
  const byVariant = new Map<WarmVariant, WarmStartRun[]>(variants.map((v) => [v, []]));
  for (let run = 1; run <= runs; run++) {
    for (const variant of variants) {
      try {
        const r = await runWarmStart(variant, options);
        byVariant.get(variant)!.push(r);
        const warm = r.warmUp === null ? '' : `; warm-up (${r.warmUp.trigger}) ${r.warmUp.outcome} after ${((r.warmUp.durationMs ?? 0) / 1000).toFixed(2)} s, ${warmUpReadWords(r.warmUpCall)}`;
        log(`warm start run ${run} ${variantName(variant).padEnd(21)} new-session first token ${(r.firstTokenMs / 1000).toFixed(2).padStart(7)} s, reused ${r.reused} of ${r.reused + r.evaluated} tokens${r.restored > 0 ? ` (from ${r.restored} the prompt cache loaded)` : ''}${warm}`);
      } catch (error) {
        problems.push(`warm start, ${variantName(variant)}, run ${run}: ${(error as Error).message}`);
      }
    }
  }
  if (variants.some((v) => byVariant.get(v)!.length !== runs)) return null;
  const seconds = (rs: readonly WarmStartRun[]): Spread => spread(rs.map((r) => r.firstTokenMs / 1000));
  const foreign = (route: WarmRoute): WarmStartRun[] => byVariant.get(variants.find((v) => v.scenario === 'foreign-use' && v.route === route)!)!;
  const foreignUse = !scenarios.includes('foreign-use') ? null : {
    firstToken: Object.fromEntries(WARM_ROUTES.map((r) => [r, seconds(foreign(r))])) as Record<WarmRoute, Spread>,
    resumed: spread([...foreign('proxy'), ...foreign('warm')].flatMap((r) => r.resumedMs.map((ms) => ms / 1000))),
    staticPrefixTokens: foreign('direct')[0]!.sharedTokens,
    interrupted: foreign('warm-interrupted').map((r) => ({ warmUpCall: r.warmUpCall, reused: r.reused, promptTokens: r.reused + r.evaluated })),
  };
  const others = variants.filter((v) => v.scenario !== 'foreign-use').map((v): WarmVariantFigures => {
    const rs = byVariant.get(v)!;
    const last = rs.at(-1)!;
    return { ...v, firstToken: seconds(rs), reused: last.reused, promptTokens: last.reused + last.evaluated, sharedTokens: last.sharedTokens, warmUpCall: last.warmUpCall };
  });
  return { foreignUse, others };
}

/** `read 4608 of its 20112 tokens when cancelled`: the engine's own count of a warm-up's work. */
function warmUpReadWords(w: WarmUpRead | null): string {
  if (w === null) return 'never reached the engine';
  const loaded = w.restored > 0 ? `, ${w.reused} of them from the ${w.restored} the prompt cache loaded` : '';
  return `read ${w.reused + w.evaluated} of its ${w.promptTokens} tokens${loaded}${w.cancelled ? ' when cancelled' : ''}`;
}

/**
 * The call during a warm-up, per run (the warm-up's read count depends on when
 * the engine noticed the cancel, so it differs between runs; the call reuses
 * what the warm-up read as far as the two prompts agree).
 */
export function interruptedLine(f: ForeignUseFigures): string {
  const runs = f.interrupted.map((r) => `${warmUpReadWords(r.warmUpCall)}, then the call reused ${r.reused} of ${r.promptTokens}`).join('; ');
  return `warm start, a call during a warm-up: first token ${f.firstToken['warm-interrupted'].median.toFixed(2)} s, without warm start ${f.firstToken.proxy.median.toFixed(2)} s (medians); per run, the warm-up ${runs}`;
}

export function warmStartLine(f: ForeignUseFigures): string {
  const s = (x: Spread): string => `${x.median.toFixed(2)} s`;
  return `warm start: new-session first token direct ${s(f.firstToken.direct)}, through proxy ${s(f.firstToken.proxy)}, `
    + `with warm start ${s(f.firstToken.warm)}, resumed turn ${s(f.resumed)}; static prefix ${f.staticPrefixTokens} tokens`;
}

const SCENARIO_WORDS: Readonly<Record<WarmScenario, string>> = {
  'foreign-use': 'after another client',
  reloaded: 'after the model was reloaded',
  restarted: 'after the proxy restarted (fresh engine, remembered prefix)',
  'other-project': 'in another project',
  'client-start': `after the model's keep-alive ran out, Claude Code starting (HEAD /api/hello) and a ${TYPING_PAUSE_MS / 1000} s typing pause`,
};

/** One line per other scenario: `warm start after the model was reloaded, with warm start: first token 0.31 s, reused 17381 of 17412 tokens`. */
export function warmScenarioLines(f: WarmStartFigures): string[] {
  return f.others.map((o) => {
    const how = o.route === 'warm' ? `with warm start${o.scenario === 'client-start' ? ' (idle)' : ''}`
      : o.scenario === 'other-project' ? 'through proxy, slot still holding the first project\'s session' : 'through proxy, warm start off';
    const shared = o.scenario === 'other-project' ? `; the two projects' first prompts share ${o.sharedTokens} tokens` : '';
    const warmUp = o.route === 'warm' ? `; the warm-up ${warmUpReadWords(o.warmUpCall)}` : '';
    return `warm start ${SCENARIO_WORDS[o.scenario]}, ${how}: first token ${o.firstToken.median.toFixed(2)} s, reused ${o.reused} of ${o.promptTokens} tokens${shared}${warmUp}`;
  });
}
