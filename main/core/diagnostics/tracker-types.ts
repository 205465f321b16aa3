// What the cache tracker is told about each call and what it answers: the
// conversation, turn and slot the prompt went to, how much of it the backend
// holds, and the cause when a turn does not begin with its predecessor.
import type { RewriteMode } from '../rewrite/types.js';
import type { Bust } from '../wire/types.js';
import type { RenderedPrompt } from './render.js';
import type { AgentRef } from './conversation-key.js';
import type { HybridCache, ObservedAgent } from './tracker-slots.js';
import type { PromptCacheLimits } from './prompt-cache.js';

export interface CacheTrackerOptions {
  /** Cache slots the backend holds per model (OLLAMA_NUM_PARALLEL); default 1. */
  readonly slots?: number;
  /** Conversations remembered, least recently used out; default 64. */
  readonly maxConversations?: number;
  /** Characters of each prompt kept for comparison; default 1,000,000. */
  readonly maxPromptChars?: number;
  /**
   * Characters the conversations' prompts may add up to, least recently used
   * out beyond it (the latest always stays); default 6,000,000. Shared
   * prefixes count once per conversation, so what is held is at most this:
   * some 30 conversations of Claude Code's usual 50K tokens.
   */
  readonly maxHeldChars?: number;
  /** Models whose backend slots are tracked, least recently used out; default 8. */
  readonly maxModels?: number;
  /**
   * A hybrid model's checkpoint rule and characters per token, asked per call;
   * null (the default) for a model whose cache can keep any prefix.
   */
  readonly hybrid?: (model: string | null) => HybridCache | null;
  /**
   * The backend's host-memory prompt cache for a model (llama-server's
   * `--cache-ram`, on in Ollama 0.30+: prompt-cache.ts), in characters, asked
   * per call; null (the default) where the backend keeps none.
   */
  readonly promptCache?: (model: string | null) => PromptCacheModel | null;
}

/** A prompt cache's limits in characters, and what a character costs in RAM. */
export interface PromptCacheModel {
  readonly limits: PromptCacheLimits;
  readonly bytesPerChar: number;
}

export interface ObserveInput {
  /** From conversationKey(). */
  readonly key: string;
  /** The body as forwarded to the backend (after the rewrite), rendered. */
  readonly rendered: RenderedPrompt;
  readonly rewriteMode: RewriteMode;
  /** The call opens a user turn (see turns.ts) rather than continuing a tool loop; default true. */
  readonly userTurn?: boolean;
  /** A side call (see side-call.ts): it takes a slot but belongs to no conversation. */
  readonly side?: boolean;
  /** The subagent the call comes from, by its headers; null or absent for the main agent (or an older client). */
  readonly agent?: AgentRef | null;
}

export interface Observation {
  /** Short display id of the conversation (never prompt text). */
  readonly session: string;
  /** 1-based user turn within the conversation; 0 for a side call. */
  readonly turn: number;
  /** 1-based model call within the user turn (a tool loop makes several); 0 for a side call. */
  readonly call: number;
  readonly side: boolean;
  readonly model: string | null;
  readonly promptChars: number;
  /** Characters of this prompt the backend holds in a cache slot. */
  readonly reusedChars: number;
  /** reusedChars / promptChars, 0..1. */
  readonly reuse: number;
  /** Common prefix with the previous turn; null on turn 1. */
  readonly conversationChars: number | null;
  /** conversationChars / previous prompt length; null on turn 1. */
  readonly conversationReuse: number | null;
  readonly bust: Bust | null;
  /** The backend slot this prompt now occupies. */
  readonly slot: number;
  /** Null for the main agent. */
  readonly agent: ObservedAgent | null;
  /**
   * Slots the calls seen so far on this model need for none to evict another's
   * prefix, as the backend chooses slots (slot-demand.ts); null when no count
   * up to MAX_SIMULATED_SLOTS does (a prompt takes the slot it shares most with).
   */
  readonly slotsNeeded: number | null;
  /**
   * The backend's prompt cache loaded a saved slot for this call: the label of
   * the conversation (or `side call`) whose prompt it held; absent when none.
   */
  readonly restoredFrom?: string;
  /**
   * A side call or a subagent's, where the backend keeps a prompt cache:
   * whether the model's latest main conversation is still held afterwards, in
   * a slot or that cache (what warm start's `other-call` trigger asks).
   */
  readonly mainKept?: boolean;
  /** A new conversation's first call that reused another conversation's prompt from the slot: that one's label. */
  readonly reusedFrom?: string | null;
}

/** What the tracker holds, for tests and the status API. */
export interface TrackerStats {
  readonly conversations: number;
  readonly models: number;
  /** Distinct prompts held (a slot and its conversation share one). */
  readonly prompts: number;
  /** Distinct chunks held (by content), and their characters. */
  readonly chunks: number;
  readonly chars: number;
}
