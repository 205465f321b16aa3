// One line per cause telling the user what to do about a cache miss.
import type { RewriteMode } from '../rewrite/types.js';
import type { BustCause, ModelRenderer } from '../wire/types.js';
import type { BackendKind } from '../wire/types.js';
import { thousands } from '../number-format.js';
import { MAX_SIMULATED_SLOTS } from './slot-demand.js';

const REASONING_DROPPED_REMEDY = "the model's template drops earlier turns' reasoning at each new prompt, so this one re-read the previous turn";

export const REMEDIES: Readonly<Record<BustCause, string>> = {
  'billing-header': 'rewrite is off; use --rewrite drop',
  'tools-reordered': 'MCP tools arrived in another order; keep the same MCP servers connected for the whole session',
  'tools-changed': 'the tool list changed (an MCP server connected or left); the next turn reuses the new prefix',
  'date-changed': 'the date line changed (once a day); the next turn reuses the new prefix',
  'system-reminder': 'set CLAUDE_CODE_TOTAL_TOKENS_REMINDER=off',
  'system-changed': 'the system prompt changed (CLAUDE.md, output style or settings); the next turn reuses the new prefix',
  'inline-system': 'a role:"system" message the backend lifts to the top of the prompt; keep --inline-system fold on (the default), or set CLAUDE_CODE_TOTAL_TOKENS_REMINDER=off',
  'history-rewritten': 'earlier messages changed (compaction or --resume); the next turn reuses the new history',
  'reasoning-dropped': REASONING_DROPPED_REMEDY,
  'slot-evicted': 'set OLLAMA_NUM_PARALLEL=2 (or more) so subagents get their own slot (each slot is another context\'s worth of KV memory)',
  'side-call-evicted': 'a side call (title generation or the like) took the main conversation\'s slot; set --side-model <a model with a different weights file> (an `ollama cp` alias shares the runner and its cache; a second file costs its memory), or OLLAMA_NUM_PARALLEL=2 with --slots 2 (a second context in memory), or ANTHROPIC_DEFAULT_HAIKU_MODEL=<that second model> in the snippet',
  unknown: 'cause not recognised; please report this line',
};

/** The billing line's remedy depends on what the rewriter was doing. */
export const BILLING_REMEDIES = {
  rewriteOff: REMEDIES['billing-header'],
  unknownVariant: 'unknown billing-header variant; please report it',
  lineRemoved: 'the billing line was removed (rewrite turned on, or the client stopped sending it); expected once',
} as const;

export interface RemedyContext {
  readonly rewriteMode: RewriteMode;
  /** Whether the billing line is in the prompt the backend received. */
  readonly billingInPrompt: boolean;
}

export function remedyFor(cause: BustCause, context: RemedyContext): string {
  if (cause !== 'billing-header') return REMEDIES[cause];
  if (!context.billingInPrompt) return BILLING_REMEDIES.lineRemoved;
  // With drop or normalize on, a billing line that still varies is one the
  // rewriter did not recognise.
  return context.rewriteMode === 'off' ? BILLING_REMEDIES.rewriteOff : BILLING_REMEDIES.unknownVariant;
}

/** Who took the slot, when the tracker knows. */
export interface Evictor {
  readonly label: string;
  readonly subagent: boolean;
}

/** What a slot costs, said wherever more slots are advised. */
const SLOT_COST = 'each slot is another context\'s worth of KV memory: Ollama allocates num_ctx × OLLAMA_NUM_PARALLEL';

/** The other fix for a subagent: a runner of its own, which only another weights file gets. */
const SUBAGENT_MODEL_FIX = 'run subagents on a model with a different weights file: '
  + 'Ollama keys its runners (and caches) by weights file, so an `ollama cp` alias shares the main model\'s cache, and a second file costs its memory '
  + '(Settings › Subagent model, or `llm-cache-proxy snippet --subagent-model M` for CLAUDE_CODE_SUBAGENT_MODEL)';

/**
 * Names who took the slot, and offers the fixes that work on a stock Ollama.
 * `needed` is the tracker's count (slot-demand.ts): the slots under which the
 * backend, choosing as it does, would have kept every conversation's prefix
 * on the calls seen so far; null when no number of slots would (the prompt
 * that took the slot shares most with it, and would take it again), so only
 * another weights file helps. For a subagent both fixes are offered; without
 * a count, the advice is one more slot than now.
 */
export function slotEvictedRemedy(slots: number, evictor: Evictor | null = null, needed: number | null = 1): string {
  const who = evictor === null ? '' : `${evictor.label} took this conversation's cache slot`;
  if (needed === null) {
    return `${who === '' ? 'another conversation took this conversation\'s cache slot' : who}. No number of slots up to ${MAX_SIMULATED_SLOTS} keeps it, `
      + 'as the backend picks slots (a prompt sharing over a tenth of itself with a slot takes that slot, not an empty one). Fix: '
      + (evictor?.subagent ? SUBAGENT_MODEL_FIX : 'send the other conversation to a model with a different weights file (a second file costs its memory)');
  }
  const parallel = Math.max(slots + 1, needed);
  const moreSlots = `OLLAMA_NUM_PARALLEL=${parallel} with --slots ${parallel}`;
  if (evictor?.subagent) {
    return `${who}. Fix: more slots (${moreSlots}; `
      + `this agent tree needs ${parallel}, as the backend picks slots; ${SLOT_COST}), or ${SUBAGENT_MODEL_FIX}`;
  }
  if (slots <= 1 && evictor === null) return REMEDIES['slot-evicted'];
  return `${who === '' ? '' : `${who}; `}set ${moreSlots} (or more) so each conversation keeps its prefix (${SLOT_COST})`;
}

/**
 * The remedy for dropped reasoning that fits the backend: the chat template's
 * own switch where it has one (Qwen 3.6's `preserve_thinking`, which llama-
 * server takes at start or per request); on Ollama, whose built-in renderers
 * have none, what it cost and what thinking off would save. Claude Code
 * cannot turn Ollama's thinking off: with CLAUDE_CODE_DISABLE_THINKING=1 it
 * still sends its effort level, which anthropic.go maps to thinking on, and
 * with no effort at all the qwen3.5 renderer thinks by default.
 */
export function reasoningDroppedRemedy(renderer: ModelRenderer | null, kind: BackendKind | 'unknown' | null, rereadTokens: number | null): string {
  const cost = rereadTokens === null || rereadTokens <= 0 ? '' : ` (about ${thousands(rereadTokens)} tokens)`;
  const base = `${REASONING_DROPPED_REMEDY}${cost}`;
  const key = renderer?.keepReasoningSwitch;
  if (key) {
    return `${base}. Keep it: start llama-server with --chat-template-kwargs '{"${key}":true}', or send chat_template_kwargs {"${key}":true} where the backend passes it per request`;
  }
  if (kind === 'ollama') {
    const name = renderer && renderer.name !== 'template' ? `${renderer.name} renderer` : 'template';
    return `${base}. Ollama's ${name} has no switch to keep it. Thinking off would save that re-read at every new prompt, `
      + 'but Claude Code cannot ask Ollama for it (CLAUDE_CODE_DISABLE_THINKING=1 still sends an effort level, which Ollama turns into thinking on); '
      + 'or serve the model with llama-server and its chat template\'s preserve_thinking';
  }
  return `${base}. Where the chat template takes preserve_thinking (Qwen 3.6), set it to true`;
}

/**
 * The eviction remedy for a model Ollama runs on one slot whatever
 * OLLAMA_NUM_PARALLEL says (server/sched.go: the Qwen 3.5 family and the other
 * architectures renderer.ts lists), so more slots are never offered. With a
 * prompt cache (Ollama 0.30+: prompt-cache.ts) a conversation another prompt
 * pushes out comes back from RAM, unless that prompt shared over a tenth of
 * itself with it and kept at least half: then the slot is cut in place with
 * no copy saved, which is what happened here.
 */
export function oneSlotEvictedRemedy(cause: 'slot-evicted' | 'side-call-evicted', evictedBy: string | null, promptCache: boolean): string {
  const who = cause === 'side-call-evicted' ? 'a side call' : evictedBy ?? 'another conversation';
  const why = promptCache
    ? `${who} shared most of this conversation's prompt, so the backend cut the slot in place instead of saving it to its prompt cache`
    : `${who} took the slot`;
  const fix = cause === 'side-call-evicted'
    ? 'set --side-model <a model with a different weights file>, or ANTHROPIC_DEFAULT_HAIKU_MODEL=<that model> in the snippet'
    : SUBAGENT_MODEL_FIX;
  return `${why}. Ollama runs this model on one slot whatever OLLAMA_NUM_PARALLEL says, so more slots do not help. Fix: ${fix}`;
}
