// The model families the engine serves, each as Ollama serves it: how the
// prompt is rendered (the renderer a model's config names, reported by
// `POST /api/show` as `renderer` and `parser`; none means the template path),
// whether it thinks, and how its cache can be reused. Also what a perfect
// stabiliser could reuse on each family, for the engine bench, in two figures:
// on the backend as configured (its slots, chosen by its own rule), and with a
// slot for every conversation (what a remedy could reach).
import { convertRequest, type MessagesBody, type OllamaChat } from './convert.js';
import { CheckpointRing, GO_ENGINE_CHECKPOINTS, OLLAMA_CHECKPOINTS, type CheckpointRule } from '../../main/core/diagnostics/checkpoints.js';
import type { Token } from './llama.js';
import { renderTemplate } from './render.js';
import { renderQwen35, renderQwen3Coder } from './render-qwen.js';
import { commonPrefixLength } from './slots.js';
import { chooseSlot } from '../../main/core/diagnostics/slot-choice.js';
import { defaultLimits, PromptCache, swap } from '../../main/core/diagnostics/prompt-cache.js';
import { forcesOneSlot } from '../../main/core/backends/renderer.js';

export const FAMILY_NAMES = ['template', 'qwen3-coder', 'qwen3.5'] as const;
export type FamilyName = (typeof FAMILY_NAMES)[number];

export interface Family {
  readonly name: FamilyName;
  /** POST /api/show's `renderer` and `parser` (empty on the template path). */
  readonly renderer: string;
  readonly parser: string;
  /** The model has Ollama's `thinking` capability: answers carry thinking blocks unless turned off. */
  readonly thinks: boolean;
  /** The GGUF architecture of the models Ollama gives this family (what its scheduler keys one-slot models by). */
  readonly architecture: string;
  /** A hybrid model's checkpoint rule; null when any prefix can be kept exactly. */
  readonly checkpoints: CheckpointRule | null;
  /** The Ollama source the rendering follows. */
  readonly source: string;
  /** What happens to `role: "system"` messages after the first, in a word or two. */
  readonly inlineSystem: 'hoisted' | 'dropped' | 'in place';
  render(chat: OllamaChat): string;
  /**
   * The ways a perfect stabiliser could send a body on this family so that the
   * model still reads every system message: the billing block always gone;
   * the first way is the one `perfectPrompt` renders. Which one re-reads least
   * depends on what the client changes (see `perfectCalls`).
   */
  readonly strategies: readonly Strategy[];
}

/**
 * - `as sent`: only the billing block removed (the backend hoists or keeps the system messages);
 * - `folded`: every later system message kept where it stands, as user text;
 * - `hoisted`: every later system message appended to the top system prompt (what the template path
 *   does by itself), for a renderer that would otherwise drop them.
 */
export interface Strategy {
  readonly name: 'as sent' | 'folded' | 'hoisted';
  body(raw: string): MessagesBody;
}

const BILLING_PREFIX = 'x-anthropic-billing-header:';

interface Body {
  system?: unknown;
  messages?: { role?: unknown; content?: unknown }[];
  tools?: unknown;
}

/** The body without the billing block (or a string system's billing line); every other field as sent. */
export function withoutBilling(raw: string): Body {
  const body = JSON.parse(raw) as Body;
  let system = body.system;
  if (Array.isArray(system)) {
    system = system.filter((b: { text?: unknown }) => !(typeof b?.text === 'string' && b.text.startsWith(BILLING_PREFIX)));
  } else if (typeof system === 'string' && system.startsWith(BILLING_PREFIX)) {
    system = system.slice(system.indexOf('\n') + 1);
  }
  return { ...body, system };
}

/** Inline system messages as user text where they stand: what the proxy's fold delivers. */
function folded(raw: string): Body {
  const body = withoutBilling(raw);
  return { ...body, messages: (body.messages ?? []).map((m) => (m.role === 'system' ? { ...m, role: 'user' } : m)) };
}

/** Inline system messages' text appended to the top system prompt, joined as the template path joins them. */
function hoisted(raw: string): Body {
  const body = withoutBilling(raw);
  const inline = (body.messages ?? []).filter((m) => m.role === 'system');
  const text = (content: unknown): string => (typeof content === 'string' ? content : Array.isArray(content)
    ? content.map((b: { type?: unknown; text?: unknown }) => (b?.type === 'text' && typeof b.text === 'string' ? b.text : '')).join('') : '');
  const top = typeof body.system === 'string' ? [{ type: 'text', text: body.system }] : Array.isArray(body.system) ? body.system : [];
  return {
    ...body,
    system: [...top, ...inline.map((m) => ({ type: 'text', text: `\n\n${text(m.content)}` }))],
    messages: (body.messages ?? []).filter((m) => m.role !== 'system'),
  };
}

const AS_SENT: Strategy = { name: 'as sent', body: withoutBilling };
const FOLDED: Strategy = { name: 'folded', body: folded };
const HOISTED: Strategy = { name: 'hoisted', body: hoisted };

export const FAMILIES: readonly Family[] = [
  {
    name: 'template',
    renderer: '',
    parser: '',
    thinks: false,
    architecture: 'qwen2',
    checkpoints: null,
    source: 'template/template.go (collate) with the Qwen 2.5 template',
    inlineSystem: 'hoisted',
    render: renderTemplate,
    strategies: [FOLDED, AS_SENT],
  },
  {
    name: 'qwen3-coder',
    renderer: 'qwen3-coder',
    parser: 'qwen3-coder',
    thinks: false,
    architecture: 'qwen3moe',
    checkpoints: null,
    source: 'model/renderers/qwen3coder.go',
    inlineSystem: 'dropped',
    render: renderQwen3Coder,
    // As sent, this renderer drops later system messages: the model would not read them.
    strategies: [FOLDED, HOISTED],
  },
  {
    name: 'qwen3.5',
    renderer: 'qwen3.5',
    parser: 'qwen3.5',
    thinks: true,
    architecture: 'qwen35',
    // Ollama ≥ 0.30: llama-server's checkpoints near each prompt's end (checkpoints.ts); see withCheckpoints.
    checkpoints: OLLAMA_CHECKPOINTS,
    source: 'model/renderers/qwen35.go; llama.cpp tools/server/server-context.cpp (b10488)',
    inlineSystem: 'in place',
    render: renderQwen35,
    // This renderer keeps later system messages in place by itself.
    strategies: [AS_SENT],
  },
];

/** Which Ollama ran a hybrid family: llama-server (0.30 and later, the default) or the Go engine (0.17.1–0.29). */
export type CheckpointEngine = 'llama-server' | 'go-engine';

export const CHECKPOINT_ENGINES: readonly CheckpointEngine[] = ['llama-server', 'go-engine'];

/** The family as the Ollama of that engine runs it: a hybrid family takes its checkpoint rule; others are unchanged. */
export function withCheckpoints(f: Family, engine: CheckpointEngine): Family {
  if (f.checkpoints === null) return f;
  return { ...f, checkpoints: engine === 'go-engine' ? GO_ENGINE_CHECKPOINTS : OLLAMA_CHECKPOINTS };
}

export function isFamilyName(name: string): name is FamilyName {
  return (FAMILY_NAMES as readonly string[]).includes(name);
}

export function family(name: FamilyName): Family {
  return FAMILIES.find((f) => f.name === name)!;
}

/**
 * The family Ollama's library gives a model name, by the rule Ollama applies
 * to a model's architecture when it is created (x/create/client/create.go
 * rendererNameForIdentifier): Qwen 3.5 and 3.6 (`qwen3_5`, `qwen3_5_moe`, whose
 * chat template has no `resolved_reasoning_effort`) → `qwen3.5`; other Qwen 3
 * (qwen3-coder) → `qwen3-coder`; the rest (Qwen 2.5 and older) → the template path.
 */
export function libraryFamily(model: string): FamilyName {
  const base = model.toLowerCase().split(':')[0]!.split('/').pop()!;
  if (/^qwen3\.[56]\b/.test(base)) return 'qwen3.5';
  if (base.startsWith('qwen3-coder')) return 'qwen3-coder';
  return 'template';
}

/** The prompt a perfect stabiliser's body renders to on this family, sent its first way. */
export function perfectPrompt(f: Family, raw: string, strategy: Strategy = f.strategies[0]!): string {
  return f.render(convertRequest(strategy.body(raw)));
}

/**
 * The backend's caches as a route configures them: slots per runner
 * (OLLAMA_NUM_PARALLEL) and, per call, the runner (weights file) it reaches;
 * calls on one runner share its slots. Without `runners`, one runner serves all.
 */
export interface BackendSlots {
  readonly slots: number;
  readonly runners?: readonly string[];
  /** Each runner keeps llama-server's host-memory prompt cache (Ollama 0.30+; prompt-cache.ts). */
  readonly promptCache: boolean;
}

/** Ollama's default since 0.30: one slot, one runner, llama-server's prompt cache. */
export const ONE_SLOT: BackendSlots = { slots: 1, promptCache: true };

/** One of the two perfect figures of a call: its best way's prompt, and what of it could be reused. */
export interface PerfectFigure {
  /** Tokens of the prompt the best way renders, and how many of them could be reused. */
  readonly promptTokens: number;
  readonly reused: number;
  readonly strategy: Strategy['name'];
}

/**
 * "Perfect" for a call, twice. `onBackend` (the bench's `perfect`): on the
 * backend as configured, where the slots hold what the perfect prompts before
 * this one left there, each prompt going to the slot the backend's own rule
 * picks. No client and no proxy can reuse more there: with one slot, a
 * subagent's prompt stands in it when the main agent returns. `perConversation`:
 * as if every conversation kept a slot of its own, which is what a remedy (more
 * slots, another weights file) could reach; the remedy routes are held to it.
 */
export interface PerfectCall {
  readonly onBackend: PerfectFigure;
  readonly perConversation: PerfectFigure;
}

/**
 * Per call, of the family's ways of sending (each applied to the whole
 * session), the one that leaves the fewest tokens to evaluate, for each
 * figure: an upper bound for any one stabiliser. On the template path,
 * folding keeps a new system message from busting the prefix, while leaving
 * it hoisted keeps a client's edit of an earlier message (the max-output
 * recovery) from re-reading it: neither wins every session.
 */
export function perfectCalls(f: Family, tokenize: (text: string) => readonly Token[], raws: readonly string[], backend: BackendSlots = ONE_SLOT): PerfectCall[] {
  const ways = f.strategies.map((strategy) => {
    const prompts = raws.map((raw) => tokenize(perfectPrompt(f, raw, strategy)));
    return { strategy, prompts, onBackend: slotReuses(f, prompts, backend), perConversation: perfectReuses(f, prompts) };
  });
  const best = (i: number, reuses: (w: (typeof ways)[number]) => readonly number[]): PerfectFigure => {
    const way = ways.reduce((a, b) => (b.prompts[i]!.length - reuses(b)[i]! < a.prompts[i]!.length - reuses(a)[i]! ? b : a));
    return { promptTokens: way.prompts[i]!.length, reused: reuses(way)[i]!, strategy: way.strategy.name };
  };
  return raws.map((_, i) => ({ onBackend: best(i, (w) => w.onBackend), perConversation: best(i, (w) => w.perConversation) }));
}

/**
 * Tokens each call could reuse on the backend as configured, given each
 * call's perfect prompt: every runner has `backend.slots` slots, each holding
 * the last prompt it served; a prompt goes to the slot llama-server's rule
 * picks (slot-choice.ts, the rule the engine and the proxy's estimate use),
 * keeps its common prefix with what that slot holds less the one token an
 * engine must evaluate, and on a hybrid family only up to that slot's last
 * checkpoint before the divergence (unless it extends the slot). This is the
 * engine's own arithmetic (slots.ts) run on the perfect prompts, so a route
 * that sends them reuses exactly this.
 */
export function slotReuses(f: Family, prompts: readonly (readonly Token[])[], backend: BackendSlots): number[] {
  /** What a slot (or a saved copy of it) holds: the prompt and its checkpoints. */
  interface Held { readonly tokens: readonly Token[]; readonly ring: CheckpointRing | null }
  interface Runner { held: (Held | null)[]; lastUsed: number[]; cache: PromptCache<Held> | null }
  // Ollama runs some architectures (the qwen3.5 family's qwen35) on one slot whatever OLLAMA_NUM_PARALLEL says.
  const slots = forcesOneSlot(f.architecture) ? 1 : backend.slots;
  const runners = new Map<string, Runner>();
  // The byte limits are never reached by a recorded session: entries are counted as weighing nothing.
  const fresh = (): Runner => ({
    held: Array.from({ length: slots }, () => null),
    lastUsed: Array.from({ length: slots }, () => 0),
    cache: backend.promptCache ? new PromptCache<Held>(defaultLimits(Number.MAX_SAFE_INTEGER)) : null,
  });
  let clock = 0;
  return prompts.map((prompt, i) => {
    const key = backend.runners?.[i] ?? '';
    let runner = runners.get(key);
    if (runner === undefined) runners.set(key, (runner = fresh()));
    const common = runner.held.map((held) => (held === null ? null : commonPrefixLength(held.tokens, prompt)));
    const slot = chooseSlot(common, runner.lastUsed, prompt.length);
    let held = runner.held[slot] ?? null;
    let shared = common[slot] ?? 0;
    if (runner.cache !== null && held !== null) {
      // The slot goes to RAM (a copy: the slot's own checkpoints change from here) and a saved one may come back.
      const copy: Held = { tokens: held.tokens, ring: held.ring?.clone() ?? null };
      const loaded = swap(runner.cache, copy, prompt.length, {
        length: (h) => h.tokens.length,
        bytes: () => 0,
        common: (a, b) => commonPrefixLength(a.tokens, b.tokens),
        commonWithPrompt: (h) => commonPrefixLength(h.tokens, prompt),
      }).loaded?.value;
      if (loaded !== undefined) {
        held = loaded;
        shared = commonPrefixLength(loaded.tokens, prompt);
      }
    }
    shared = Math.max(0, Math.min(shared, prompt.length - 1));
    const ring = held?.ring ?? (f.checkpoints === null ? null : new CheckpointRing(f.checkpoints));
    const kept = ring === null ? shared : ring.restore(held?.tokens.length ?? 0, shared);
    ring?.evaluate(kept, prompt.length);
    runner.held[slot] = { tokens: prompt, ring };
    runner.lastUsed[slot] = ++clock;
    return kept;
  });
}

/**
 * Tokens a perfect stabiliser could reuse for each call with a slot per
 * conversation, given each call's perfect prompt: the longest prefix shared
 * with any earlier call (as if every conversation kept a slot of its own,
 * whatever the backend's slots; the figure a remedy could reach), less the one token an engine must
 * evaluate; on a hybrid family, only up to that earlier slot's last checkpoint
 * before the divergence (unless the call only extends it). A call that holds
 * all of an earlier one continues that conversation in its slot, so the earlier
 * call's state is gone: a later call resumes from the newer one, whose
 * checkpoints the rule has thinned (after a thinking turn, a call that drops
 * its reasoning cannot go back to the first call's N − 4). A prefix of at most
 * `similarity` of the prompt counts as none (only the template's header; no
 * engine picks a slot for it, llama-server's `--slot-prompt-similarity`).
 */
export function perfectReuses(f: Family, prompts: readonly (readonly Token[])[], similarity = 0.1): number[] {
  const rings: CheckpointRing[] = [];
  const out: number[] = [];
  const superseded = new Set<number>();
  prompts.forEach((prompt, i) => {
    let best = 0;
    let from = -1;
    for (let j = 0; j < i; j++) {
      if (superseded.has(j)) continue;
      const common = Math.min(commonPrefixLength(prompt, prompts[j]!), prompt.length - 1);
      const kept = f.checkpoints === null ? common : rings[j]!.clone().restore(prompts[j]!.length, common);
      if (kept > best) { best = kept; from = j; }
    }
    if (best <= similarity * prompt.length) { best = 0; from = -1; }
    out.push(best);
    if (from >= 0 && commonPrefixLength(prompt, prompts[from]!) === prompts[from]!.length) superseded.add(from);
    if (f.checkpoints !== null) {
      const ring = from < 0 ? new CheckpointRing(f.checkpoints) : rings[from]!.clone();
      if (from >= 0) ring.restore(prompts[from]!.length, best);
      ring.evaluate(best, prompt.length);
      rings.push(ring);
    }
  });
  return out;
}
