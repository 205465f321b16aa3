// Replays a recorded Claude Code session into a fresh engine along one route
// (direct, through the proxy with default settings, through the proxy with
// `--rewrite off`, or through the proxy with the fix for the recording's named
// loss) and returns, per call, what the engine truly did beside what the proxy
// estimated and what a perfect stabiliser could have reused.
// Shared by the engine bench and the engine tests.
import { createProxy } from '../../main/core/proxy/server.js';
import { proxyOptionsFromSettings } from '../../main/core/proxy/options-from-settings.js';
import { defaultSettings, type Settings } from '../../main/core/settings/schema.js';
import type { CallRecord } from '../../main/core/wire/types.js';
import type { ModelSize } from './model.js';
import { startEngine } from './open.js';
import { family, perfectPrompt, type FamilyName } from './families.js';
import { replay, type ReplayCall } from './replay.js';
import { commonPrefixLength } from './slots.js';
import type { Token } from './llama.js';

/**
 * - `direct`: the client straight into the engine;
 * - `proxy`: through the proxy with default settings (the fold of inline system messages is one);
 * - `proxy-off`: through the proxy with `--rewrite off`;
 * - `side-model`: the fix for title side calls, `--side-model` naming another model, which the
 *   engine (as Ollama) keeps in a runner and cache of its own;
 * - `slots-2`: a fix for subagents, a 2-slot engine and `--slots 2` (`OLLAMA_NUM_PARALLEL=2`);
 * - `subagent-model`: the other fix for subagents, the subagent calls sent for another model
 *   (what `CLAUDE_CODE_SUBAGENT_MODEL` in the snippet makes the client send), default proxy.
 */
export type Route = 'direct' | 'proxy' | 'proxy-off' | FixRoute;
export type FixRoute = 'side-model' | 'slots-2' | 'subagent-model';
export const ROUTES: readonly Route[] = ['direct', 'proxy', 'proxy-off', 'side-model', 'slots-2', 'subagent-model'];

/** The other model name the fixes send side calls or subagent calls to: another weights file. */
export const OTHER_MODEL = 'llm-cache-proxy-side:latest';

/**
 * The fix routes for a recording's named loss: side calls → `side-model`,
 * subagents → both `slots-2` and `subagent-model` (measured side by side).
 * None when the default proxy is the fix (the fold, the billing block).
 */
export function fixRoutes(calls: readonly Pick<SessionCall, 'role'>[]): FixRoute[] {
  const routes: FixRoute[] = [];
  if (calls.some((c) => c.role === 'side')) routes.push('side-model');
  if (calls.some((c) => c.role === 'subagent')) routes.push('slots-2', 'subagent-model');
  return routes;
}

/** The recorded body with its top-level `model` set to `model`, every other byte as sent. */
export function withModel(body: string, model: string): string {
  const asked = (JSON.parse(body) as { model?: unknown }).model;
  const field = `"model":${JSON.stringify(asked)}`;
  const at = body.indexOf(field);
  if (typeof asked !== 'string' || at < 0) throw new Error('the recorded body has no "model" field to change');
  return body.slice(0, at) + `"model":${JSON.stringify(model)}` + body.slice(at + field.length);
}

export interface SessionCall extends ReplayCall {
  /** Ground truth from the recorder: main conversation, side call (title…), or subagent. */
  readonly role: 'main' | 'side' | 'subagent';
}

/** Why a call reused less than a perfect stabiliser could, named so no loss hides. */
export type LossCause = 'system-reminder-hoisted' | `${SessionCall['role']}-call-evicted-slot` | 'billing-header' | 'unexplained';

export interface CallMeasure {
  readonly index: number;
  readonly role: SessionCall['role'];
  readonly status: number;
  readonly error: string | null;
  readonly ttftMs: number | null;
  /** Prompt tokens the engine evaluated now, and reused from its cache (its own count). */
  readonly evaluated: number;
  readonly reused: number;
  /** What a perfect stabiliser could reuse here (see `perfectReuse`). */
  readonly perfect: number;
  /** The proxy's reuse estimate for this call (0..1), when the call went through it. */
  readonly proxyEstimate: number | null;
  /** The proxy's own bust cause, when it named one. */
  readonly proxyCause: string | null;
  readonly loss: LossCause | null;
}

export interface RouteOptions {
  readonly size: ModelSize;
  readonly slots?: number;
  readonly contextSize?: number;
  /** llama.cpp threads (default 2, the cores of our machines). */
  readonly threads?: number;
  /** The family every recorded model name is served as (default: the template path). */
  readonly family?: FamilyName;
}

interface Body {
  system?: unknown;
  messages?: { role?: unknown; content?: unknown }[];
  tools?: unknown;
}

/**
 * The body as a perfect stabiliser would forward it on the template path: only what carries no
 * meaning is removed (the billing block), and `role: "system"` messages stay where they stand, as
 * user text, instead of being hoisted to the top by the backend's template.
 */
export function perfectBody(raw: string): Body {
  return family('template').strategies[0]!.body(raw) as Body;
}

/**
 * Tokens a perfect stabiliser could reuse for call `i`: the longest common
 * token prefix between its perfect prompt and that of any earlier call (as if
 * every conversation and side call kept a slot of its own), less the one token
 * an engine must always evaluate. A prefix of at most `similarity` of the
 * prompt counts as none: it is only the template's header, no engine picks a
 * slot for it (llama-server's `--slot-prompt-similarity`), and a conversation's
 * first call in a slot of its own finds that slot empty.
 */
export function perfectReuse(perfectPrompts: readonly (readonly Token[])[], i: number, similarity = 0.1): number {
  let best = 0;
  for (let j = 0; j < i; j++) best = Math.max(best, commonPrefixLength(perfectPrompts[i]!, perfectPrompts[j]!));
  if (best <= similarity * perfectPrompts[i]!.length) return 0;
  return Math.min(best, perfectPrompts[i]!.length - 1);
}

function hasInlineSystem(raw: string): boolean {
  return (JSON.parse(raw) as Body).messages?.some((m) => m.role === 'system') ?? false;
}

/**
 * Names the cause of a call that reused under 99% of what was possible.
 * `served[j]` is the runner (model name) the engine served call j with: only
 * a call of another kind on the same one-slot runner can evict this one.
 */
function lossCause(route: Route, calls: readonly SessionCall[], served: readonly string[], i: number, slots: number): LossCause {
  if (route === 'direct' || route === 'proxy-off') return 'billing-header';
  // A conversation is its agent (2.1.268+ send one per subagent), else its kind of call.
  const conversation = (j: number): string => calls[j]!.headers['x-claude-code-agent-id'] ?? calls[j]!.role;
  const previous = served.lastIndexOf(served[i]!, i - 1);
  if (slots === 1 && previous >= 0 && conversation(previous) !== conversation(i)) return `${calls[previous]!.role}-call-evicted-slot`;
  if (hasInlineSystem(calls[i]!.body)) return 'system-reminder-hoisted';
  return 'unexplained';
}

/** Proxy settings for a route through the proxy. */
function proxySettings(route: Route): Settings {
  const settings = defaultSettings();
  if (route === 'proxy-off') return { ...settings, rewrite: 'off' };
  if (route === 'side-model') return { ...settings, sideModel: OTHER_MODEL };
  return settings;
}

/** The proxy's record of call `i`; it is written as the answer ends, so it may trail the client's last byte. */
async function nextRecord(records: readonly CallRecord[], i: number): Promise<CallRecord | undefined> {
  for (let waited = 0; records.length <= i && waited < 2000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  return records[i];
}

export async function replayRoute(recorded: readonly SessionCall[], route: Route, options: RouteOptions): Promise<CallMeasure[]> {
  const slots = route === 'slots-2' ? 2 : options.slots ?? 1;
  const servedAs = family(options.family ?? 'template');
  // The other model is another weights file: only that keeps a runner (and cache) of its own on Ollama.
  const models = { [OTHER_MODEL]: { copy: 1 } };
  const engine = await startEngine({ size: options.size, slots, contextSize: options.contextSize ?? 32768, family: servedAs.name, models, ...(options.threads === undefined ? {} : { threads: options.threads }) });
  const calls = route === 'subagent-model'
    ? recorded.map((c) => (c.role === 'subagent' ? { ...c, body: withModel(c.body, OTHER_MODEL) } : c))
    : recorded;
  const proxy = route === 'direct' ? null : createProxy({ ...proxyOptionsFromSettings(proxySettings(route)), host: '127.0.0.1', port: 0, target: engine.url, slots });
  const url = proxy === null ? engine.url : `http://127.0.0.1:${(await proxy.start()).port}`;
  const records: CallRecord[] = [];
  proxy?.on('call', (r) => records.push(r));
  try {
    const perfect = calls.map((c) => engine.tokenize(perfectPrompt(servedAs, c.body)));
    const out: CallMeasure[] = [];
    const served: string[] = [];
    for (const [i, call] of calls.entries()) {
      const before = engine.calls.length;
      const result = await replay(url, call);
      const truth = engine.calls[before];
      served.push(truth?.model ?? '');
      const record = proxy === null ? undefined : await nextRecord(records, i);
      const evaluated = truth?.evaluated ?? 0;
      const reused = truth?.reused ?? 0;
      const possible = perfectReuse(perfect, i);
      out.push({
        index: i,
        role: call.role,
        status: result.status,
        error: result.error,
        ttftMs: result.ttftMs,
        evaluated,
        reused,
        perfect: possible,
        // The proxy's own estimate: `reuse` is the engine's figure once its usage carries cache_read_input_tokens.
        proxyEstimate: record?.estimatedReuse ?? null,
        proxyCause: record?.bust?.cause ?? null,
        loss: i > 0 && reused < 0.99 * possible ? lossCause(route, calls, served, i, slots) : null,
      });
    }
    return out;
  } finally {
    await proxy?.stop(100);
    await engine.close();
  }
}

/** The engine's true reuse of a call, 0..1. */
export function trueReuse(m: Pick<CallMeasure, 'evaluated' | 'reused'>): number {
  const total = m.evaluated + m.reused;
  return total === 0 ? 0 : m.reused / total;
}
