// Replays a recorded Claude Code session into a fresh engine along one route
// and returns, per call, what the engine truly did beside what the proxy
// estimated and what a perfect stabiliser could have reused. A route is a
// path (the client straight in, the client with its own switch, or through
// the proxy) under one setting (none, or the engine's, the client's or the
// proxy's fix for a named loss), so each fix is measured with and without the
// proxy and its gain is attributed to whichever did it. The engine serves
// every name as one model family (families.ts), and "perfect" is that
// family's: the least a stabiliser could leave to evaluate on it, on the
// engine as the route configures it (its slots, chosen by the engine's own
// rule, and which runner each call reaches); beside it, what it could leave
// with a slot per conversation, the figure a remedy is held to.
// Shared by the engine bench and the engine tests.
import { once } from 'node:events';
import { hostConfigFromSettings, ProxyHost } from '../../main/core/host/proxy-host.js';
import { proxyOptionsFromSettings } from '../../main/core/proxy/options-from-settings.js';
import { defaultSettings, type Settings } from '../../main/core/settings/schema.js';
import type { CallRecord } from '../../main/core/wire/types.js';
import { convertRequest, type MessagesBody } from './convert.js';
import { resolveModel } from './catalog.js';
import { family, perfectCalls, withCheckpoints } from './families.js';
import { idealClientBody } from './ideal-client.js';
import { lossCause, type EngineEvent, type LossCause, type Role } from './loss.js';
import { cacheRamMibOf, startEngine, type EngineOptions, type RunningEngine } from './open.js';
import { replaySession, type ReplayResult, type TimedCall } from './replay.js';
import { CALL_HEADER, startTap, type TappedCall } from './tap.js';

/**
 * - `direct`: the recorded bytes straight into the engine;
 * - `ideal`: the bytes the client sends with its own switch
 *   (`CLAUDE_CODE_ATTRIBUTION_HEADER=0`: no billing block), straight in;
 * - `proxy`: the recorded bytes through the proxy with default settings;
 * - `proxy-off`: through the proxy with `--rewrite off`.
 */
export type Path = 'direct' | 'ideal' | 'proxy' | 'proxy-off';

/**
 * A fix for a named loss, applied on any path:
 * - `side-model`: side calls for a second model, which the engine (as Ollama)
 *   keeps in a runner and cache of its own. Through the proxy it is the
 *   proxy's `--side-model`; straight in it is the client's own
 *   (`ANTHROPIC_DEFAULT_HAIKU_MODEL`).
 * - `slots-2`: an engine of 2 slots (`OLLAMA_NUM_PARALLEL=2`); through the
 *   proxy with `--slots 2` as well.
 * - `subagent-model`: subagent calls for a second model, as the client sends
 *   them with `CLAUDE_CODE_SUBAGENT_MODEL`.
 */
export type Setting = 'side-model' | 'slots-2' | 'subagent-model';

export interface Route {
  readonly path: Path;
  readonly setting: Setting | null;
}

/** Who a setting belongs to, for the attribution of what it did. */
export const SETTING_OWNER: Readonly<Record<Setting, string>> = {
  'side-model': 'the proxy (--side-model), or the client (ANTHROPIC_DEFAULT_HAIKU_MODEL) without it',
  'slots-2': 'the engine (OLLAMA_NUM_PARALLEL=2)',
  'subagent-model': 'the client (CLAUDE_CODE_SUBAGENT_MODEL)',
};

export const routeName = (r: Route): string => (r.setting === null ? r.path : `${r.path}+${r.setting}`);

/** The other model name the fixes send side calls or subagent calls to: another weights file. */
export const OTHER_MODEL = 'llm-cache-proxy-side:latest';

/**
 * The settings that fix a recording's kinds of call: side calls →
 * `side-model`, subagents → `slots-2` and `subagent-model`. None when the
 * defaults are the fix (the fold, the billing block).
 */
export function fixSettings(calls: readonly Pick<SessionCall, 'role'>[]): Setting[] {
  const settings: Setting[] = [];
  if (calls.some((c) => c.role === 'side')) settings.push('side-model');
  if (calls.some((c) => c.role === 'subagent')) settings.push('slots-2', 'subagent-model');
  return settings;
}

/** Every route a recording is measured on: the three anchors, then each fix straight in and through the proxy. */
export function routesFor(calls: readonly Pick<SessionCall, 'role'>[], withRewriteOff = false): Route[] {
  const anchors: Route[] = [{ path: 'direct', setting: null }, { path: 'ideal', setting: null }, { path: 'proxy', setting: null }];
  if (withRewriteOff) anchors.push({ path: 'proxy-off', setting: null });
  return [...anchors, ...fixSettings(calls).flatMap((setting): Route[] => [{ path: 'direct', setting }, { path: 'proxy', setting }])];
}

/** The recorded body with its top-level `model` set to `model`, every other byte as sent. */
export function withModel(body: string, model: string): string {
  const asked = (JSON.parse(body) as { model?: unknown }).model;
  const field = `"model":${JSON.stringify(asked)}`;
  const at = body.indexOf(field);
  if (typeof asked !== 'string' || at < 0) throw new Error('the recorded body has no "model" field to change');
  return body.slice(0, at) + `"model":${JSON.stringify(model)}` + body.slice(at + field.length);
}

export interface SessionCall extends TimedCall {
  /** Ground truth from the recorder: main conversation, side call (title…), or subagent. */
  readonly role: Role;
}

export interface CallMeasure {
  readonly index: number;
  readonly role: Role;
  readonly status: number;
  readonly error: string | null;
  readonly ttftMs: number | null;
  /** Prompt tokens the engine evaluated now, and reused from its cache (its own count). */
  readonly evaluated: number;
  readonly reused: number;
  /**
   * What a perfect stabiliser could reuse here on the engine's family, on the
   * engine as this route configures it (families.ts perfectCalls, `onBackend`)…
   */
  readonly perfect: number;
  /** …of a prompt this many tokens long (a family's renderer may drop what the perfect prompt keeps). */
  readonly perfectPrompt: number;
  /**
   * The same with a slot per conversation (`perConversation`): what a remedy
   * (more slots, another weights file) could reach, and of a prompt this long.
   * Losses are read against it, so an eviction the configured slots impose is
   * still a loss the proxy must name, with its remedy.
   */
  readonly perConversation: number;
  readonly perConversationPrompt: number;
  /** The proxy's reuse estimate for this call (0..1), when the call went through it. */
  readonly proxyEstimate: number | null;
  /** The proxy's own bust cause and the remedy it told the user, when it named one. */
  readonly proxyCause: string | null;
  readonly proxyRemedy: string | null;
  /** Why it reused under 99% of perfect, from the engine's record (loss.ts); null when it did not. */
  readonly loss: LossCause | null;
}

export interface RouteRun {
  readonly route: Route;
  readonly measures: CallMeasure[];
  /** What went wrong: a call that failed, an engine or proxy record that is missing. A run with any is no measurement. */
  readonly problems: string[];
}

export interface RouteOptions {
  /**
   * The engine every run starts afresh: its model, slots (default 1, as Ollama), context, threads…
   * and the family it serves every name as (default: the template path).
   */
  readonly engine: EngineOptions;
  /** Ollama's keep-alive in recorded milliseconds: a runner idle longer is unloaded (default 5 minutes). */
  readonly keepAliveMs?: number;
  /** Calls recorded closer than this went out together (default 50 ms; see `planSession`). */
  readonly concurrentMs?: number;
}

export const DEFAULT_KEEP_ALIVE_MS = 5 * 60_000;
export const DEFAULT_CONCURRENT_MS = 50;

interface Body {
  system?: unknown;
  messages?: { role?: unknown; content?: unknown }[];
  tools?: unknown;
}

/** The bodies the client sends on this route: its own switch on `ideal`, and the client's half of a fix. */
export function clientBodies(recorded: readonly SessionCall[], route: Route): SessionCall[] {
  const straight = route.path === 'direct' || route.path === 'ideal';
  const moved = (c: SessionCall): boolean =>
    (route.setting === 'subagent-model' && c.role === 'subagent') || (route.setting === 'side-model' && straight && c.role === 'side');
  return recorded.map((c) => {
    let body = route.path === 'ideal' ? idealClientBody(c.body) : c.body;
    if (moved(c)) body = withModel(body, OTHER_MODEL);
    return body === c.body ? c : { ...c, body };
  });
}

function proxySettings(route: Route): Settings {
  const settings = defaultSettings();
  if (route.path === 'proxy-off') return { ...settings, rewrite: 'off' };
  if (route.setting === 'side-model') return { ...settings, sideModel: OTHER_MODEL };
  return settings;
}

/** The model a recorded body asks for. */
const modelOf = (body: string): string => String((JSON.parse(body) as { model?: unknown }).model ?? '');

/** The conversation a call belongs to: its agent (2.1.268+ send one per subagent), else its kind of call. */
const conversationOf = (c: SessionCall): string => c.headers['x-claude-code-agent-id'] ?? c.role;

/** Where a body's conversation begins in its rendered prompt: the first text of its first non-system message. */
function messagesAt(prompt: string, body: Body): number {
  const first = body.messages?.find((m) => m.role !== 'system');
  const content = first?.content;
  const text = typeof content === 'string' ? content
    : Array.isArray(content) ? (content as { text?: unknown }[]).map((b) => (typeof b?.text === 'string' ? b.text : '')).find((t) => t !== '') : undefined;
  const at = text === undefined ? -1 : prompt.indexOf(text.slice(0, 80));
  return at < 0 ? prompt.length : at;
}

/**
 * The engine's record of each call it served, in its own order, joined to what
 * reached it (the tap: body, call tag) by the answer's message id.
 */
function servedEvents(
  engine: RunningEngine, render: (body: Body) => string, tapped: readonly TappedCall[], calls: readonly SessionCall[],
  unloads: readonly { before: number; runner: string }[], problems: string[],
): EngineEvent[] {
  const unmatched = [...tapped];
  const history: EngineEvent[] = [];
  engine.calls.forEach((e, k) => {
    for (const u of unloads) if (u.before === k) history.push({ kind: 'unloaded', runner: u.runner });
    const at = unmatched.findIndex((t) => t.engine?.id === e.id);
    if (at < 0) return void problems.push(`the engine served a call (${e.model}, slot ${e.slot}) that reached it untagged or unanswered`);
    const t = unmatched.splice(at, 1)[0]!;
    if (t.call === null) return void problems.push('a call reached the engine without its tag');
    const body = JSON.parse(t.body) as Body;
    const prompt = render(body);
    history.push({
      kind: 'served', call: t.call, conversation: conversationOf(calls[t.call]!), role: calls[t.call]!.role,
      runner: e.runner, slot: e.slot, prompt, messagesAt: messagesAt(prompt, body),
      inlineSystem: body.messages?.some((m) => m.role === 'system') ?? false,
    });
  });
  for (const u of unloads) if (u.before >= engine.calls.length) history.push({ kind: 'unloaded', runner: u.runner });
  return history;
}

/**
 * The proxy's record of each call, by call index. Records are numbered in
 * arrival order, which is the order calls were sent; of calls sent together,
 * a side call is paired with the record the proxy marked as one.
 */
function recordsByCall(records: readonly CallRecord[], calls: readonly SessionCall[]): (CallRecord | undefined)[] {
  const left = [...records].sort((a, b) => a.id - b.id);
  return calls.map((c) => {
    let at = left.findIndex((r) => r.sideCall === (c.role === 'side'));
    if (at < 0) at = 0;
    return left.splice(at, 1)[0];
  });
}

async function settle(records: readonly CallRecord[], count: number): Promise<void> {
  for (let waited = 0; records.length < count && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
}

export async function replayRoute(recorded: readonly SessionCall[], route: Route, options: RouteOptions): Promise<RouteRun> {
  const slots = route.setting === 'slots-2' ? 2 : options.engine.slots ?? 1;
  const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  const servedAs = withCheckpoints(family(options.engine.family ?? 'template'), options.engine.checkpoints ?? 'llama-server');
  // The recorded model names are installed, as the user's model is on their Ollama (so /api/tags lists
  // them and the proxy learns their renderer before the first call); the other model is another weights
  // file: only that keeps a runner (and cache) of its own on Ollama.
  const recordedNames = Object.fromEntries(recorded.map((c) => [modelOf(c.body), {}]));
  const models = { ...recordedNames, ...options.engine.models, [OTHER_MODEL]: { copy: 1 } };
  const engine = await startEngine({ ...options.engine, slots, family: servedAs.name, models });
  const tap = await startTap(engine.url, engine.calls);
  const calls = clientBodies(recorded, route);
  const straight = route.path === 'direct' || route.path === 'ideal';
  // The proxy as the CLI builds it: beside the backend session that watches the engine and asks it each
  // model's renderer, which decides the fold and the estimate.
  const settings = proxySettings(route);
  const host = straight ? null : new ProxyHost({
    ...hostConfigFromSettings(settings, 'bash'),
    proxy: { ...proxyOptionsFromSettings(settings), host: '127.0.0.1', port: 0, target: tap.url, slots },
  });
  const proxy = host?.createProxy() ?? null;
  if (host !== null) {
    const checked = once(host.session.watch.monitor, 'checked');
    host.start();
    await checked;
  }
  const url = proxy === null ? tap.url : `http://127.0.0.1:${(await proxy.start()).port}`;
  const records: CallRecord[] = [];
  proxy?.on('call', (r) => records.push(r));
  const problems: string[] = [];
  // The engine's own rendering: what it tokenizes, and so what a slot holds.
  const render = (body: Body): string => servedAs.render(convertRequest(body as MessagesBody));
  try {
    // Ollama's keep-alive, per runner (weights file): unloaded once idle longer than it, by the recorded clock.
    const lastUse = new Map<string, { t: number; name: string }>();
    const unloads: { before: number; runner: string }[] = [];
    const beforeCall = async (i: number): Promise<void> => {
      for (const t of tap.calls) {
        if (t.call === null || t.engine === null) continue;
        const was = lastUse.get(t.engine.runner);
        if (was === undefined || was.t < calls[t.call]!.t) lastUse.set(t.engine.runner, { t: calls[t.call]!.t, name: t.model });
      }
      for (const [runner, last] of lastUse) {
        if (calls[i]!.t - last.t <= keepAliveMs) continue;
        lastUse.delete(runner);
        if (await engine.unload(last.name)) unloads.push({ before: engine.calls.length, runner });
      }
    };
    const results: ReplayResult[] = await replaySession(url, calls, {
      concurrentMs: options.concurrentMs ?? DEFAULT_CONCURRENT_MS,
      headers: (i) => ({ [CALL_HEADER]: String(i) }),
    }, beforeCall);
    if (proxy !== null) await settle(records, calls.length);
    const byCall = proxy === null ? [] : recordsByCall(records, calls);
    const history = servedEvents(engine, render, tap.calls, calls, unloads, problems);
    // The engine as configured: its slots, and the runner (weights file) each call reaches, the proxy's --side-model included.
    const catalog = { size: options.engine.size, family: servedAs.name, models, ...(options.engine.hybrid === undefined ? {} : { hybrid: options.engine.hybrid }) };
    const reaching = (c: SessionCall): string => (!straight && route.setting === 'side-model' && c.role === 'side' ? OTHER_MODEL : modelOf(c.body));
    const runners = calls.map((c) => resolveModel(catalog, reaching(c)).fileKey);
    const perfect = perfectCalls(servedAs, (text) => engine.tokenize(text), calls.map((c) => c.body), { slots, runners, promptCache: cacheRamMibOf(options.engine) > 0 });
    const measures = calls.map((call, i): CallMeasure => {
      const result = results[i]!;
      const at = history.findIndex((e) => e.kind === 'served' && e.call === i);
      const served = tap.calls.find((t) => t.call === i);
      const record = byCall[i];
      if (result.status !== 200) problems.push(`call ${i + 1}: HTTP ${result.status} ${result.error ?? ''}`.trim());
      else if (served?.engine == null || at < 0) problems.push(`call ${i + 1}: the engine has no record of it`);
      if (proxy !== null && record === undefined) problems.push(`call ${i + 1}: the proxy wrote no record of it`);
      const evaluated = served?.engine?.evaluated ?? 0;
      const reused = served?.engine?.reused ?? 0;
      const { onBackend, perConversation } = perfect[i]!;
      const share = (reused: number, prompt: number): number => (prompt === 0 ? 0 : reused / prompt);
      return {
        index: i, role: call.role, status: result.status, error: result.error, ttftMs: result.ttftMs,
        evaluated, reused, perfect: onBackend.reused, perfectPrompt: onBackend.promptTokens,
        perConversation: perConversation.reused, perConversationPrompt: perConversation.promptTokens,
        proxyEstimate: record?.estimatedReuse ?? null,
        proxyCause: record?.bust?.cause ?? null,
        proxyRemedy: record?.bust?.remedy ?? null,
        // A loss is a smaller share of the prompt reused than perfect's with a slot per conversation: a renderer that
        // drops text makes both shorter.
        loss: i > 0 && at >= 0 && share(reused, evaluated + reused) < 0.99 * share(perConversation.reused, perConversation.promptTokens) ? lossCause(history, at) : null,
      };
    });
    return { route, measures, problems };
  } finally {
    host?.stop();
    await proxy?.stop(100);
    await tap.close();
    await engine.close();
  }
}

/** The engine's true reuse of a call, 0..1. */
export function trueReuse(m: Pick<CallMeasure, 'evaluated' | 'reused'>): number {
  const total = m.evaluated + m.reused;
  return total === 0 ? 0 : m.reused / total;
}

