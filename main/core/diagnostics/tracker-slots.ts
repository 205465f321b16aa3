// The tracker's picture of the backend and the conversations, and the pure
// rules it applies to them: which slot a prompt loads into and what of it
// that slot serves, when a prompt starts another conversation, and how a
// conversation is shown.
import type { RenderedPrompt } from './render.js';
import type { StoredPrompt } from './stored-prompt.js';
import { commonPrefix, commonStored, readStored } from './stored-prompt.js';
import { shortSessionId } from './conversation-key.js';
import { CheckpointRing, type CheckpointRule } from './checkpoints.js';
import { chooseSlot } from './slot-choice.js';
import { swap, type PromptCache } from './prompt-cache.js';

/** A call's place in the agent tree, as shown (short ids). */
export interface ObservedAgent {
  readonly id: string;
  /** The parent subagent; null when the main agent is the parent. */
  readonly parent: string | null;
  /** True when recognised by its prompt (a client without agent headers). */
  readonly inferred: boolean;
}

export interface Thread {
  readonly id: string;
  readonly key: string;
  readonly model: string;
  readonly ordinal: number;
  turn: number;
  call: number;
  prompt: StoredPrompt;
  readonly agent: ObservedAgent | null;
  /** The slot its latest prompt went to. */
  slot: number;
}

export interface Slot {
  prompt: StoredPrompt | null;
  lastUsed: number;
  /** The thread that loaded it (its id), to name it when it evicts another. */
  owner?: Thread;
  /** The prompt came from a side call. */
  side?: boolean;
  /** What a hybrid model evaluated in this slot since it last started afresh, in characters. */
  evaluated?: readonly Evaluated[] | null;
}

/**
 * One prompt a slot evaluated, in characters: the checkpoints it left are
 * placed in tokens only when an estimate needs them, with the ratio in force
 * then, so that a session's first calls (made before any ratio was measured)
 * do not leave checkpoints where the default ratio put them.
 */
export interface Evaluated {
  /** Characters it shared with what the slot held. */
  readonly common: number;
  /** It extended what the slot held (no restore). */
  readonly extends: boolean;
  /** Its length. */
  readonly length: number;
}

/**
 * A single-message prompt with a new first message: a fresh conversation
 * (e.g. a subagent). Inline system messages (2.1.332's `# Environment`) are
 * lifted out of the conversation, so they do not count as its messages.
 */
export function startsAnotherThread(previous: StoredPrompt, current: RenderedPrompt): boolean {
  if (current.messageStarts.length - current.inlineSystemMessages !== 1) return false;
  const starts = previous.layout.messageStarts;
  if (starts.length === 0) return true;
  const previousFirst = readStored(previous, starts[0], starts.length > 1 ? starts[1] : previous.length);
  return previousFirst !== current.text.slice(current.messageStarts[0]);
}

/** How a hybrid model's cache is estimated: its checkpoint rule, and the model's characters per token. */
export interface HybridCache {
  readonly rule: CheckpointRule;
  readonly charsPerToken: number;
}

/**
 * A backend's host-memory prompt cache as the estimate keeps it (llama-server's
 * `--cache-ram`: prompt-cache.ts), per model: the slots it saved, measured in
 * characters, and what a character costs in RAM.
 */
export interface SlotCache {
  readonly cache: PromptCache<Slot>;
  readonly bytesPerChar: number;
}

/** Where a prompt lands and what of it the backend keeps. */
export interface SlotFit {
  /** The slot it loads into. */
  readonly target: number;
  /**
   * The prompt cache after the prompt took its slot (a copy: the caller keeps
   * it once the call stands), and the saved slot it loaded there, whose prompt
   * the backend serves this one from; null without a cache.
   */
  readonly cache: PromptCache<Slot> | null;
  readonly restored: Slot | null;
  /** Characters the slot holds in common with the prompt. */
  readonly commonChars: number;
  /** Of those, what the backend reuses: all of them, unless a hybrid model must resume from a checkpoint. */
  readonly reusedChars: number;
  /** The slot's evaluations after this prompt; null for a model that is not hybrid. */
  readonly evaluated: readonly Evaluated[] | null;
}

/**
 * The slot a prompt loads into, as llama-server chooses it (slot-choice.ts),
 * and what of it that slot serves. On a hybrid model a prompt that parts from
 * what the slot held resumes after the last checkpoint before the divergence.
 * Checkpoints fall on token positions: the slot's evaluations are replayed
 * with the model's current characters-per-token ratio to place them.
 */
export function fitSlot(slots: readonly Slot[], text: string, hybrid: HybridCache | null, saved: SlotCache | null = null): SlotFit {
  const common = slots.map((slot) => (slot.prompt === null ? null : commonPrefix(slot.prompt, text)));
  const target = chooseSlot(common, slots.map((slot) => slot.lastUsed), text.length);
  let commonChars = common[target] ?? 0;
  let held = slots[target]!;
  // With a prompt cache, the slot may go to RAM and a saved one come back (with its checkpoints) first.
  const cache = saved === null ? null : saved.cache.clone();
  const loaded = cache === null || held.prompt === null ? null : swap(cache, held, text.length, {
    length: (slot) => slot.prompt?.length ?? 0,
    bytes: (slot) => (slot.prompt?.length ?? 0) * saved!.bytesPerChar,
    common: (a, b) => (a.prompt === null || b.prompt === null ? 0 : commonStored(a.prompt, b.prompt)),
    commonWithPrompt: (slot) => (slot === held ? commonChars : slot.prompt === null ? 0 : commonPrefix(slot.prompt, text)),
  }).loaded?.value ?? null;
  if (loaded !== null) {
    held = loaded;
    commonChars = loaded.prompt === null ? 0 : commonPrefix(loaded.prompt, text);
  }
  const restored = loaded;
  if (hybrid === null) return { target, cache, restored, commonChars, reusedChars: commonChars, evaluated: null };
  // A prompt entirely cached is not extended: its last token is read again, from a checkpoint before it.
  const extendsIt = held.prompt === null || (commonChars >= held.prompt.length && commonChars < text.length);
  const step: Evaluated = { common: commonChars, extends: extendsIt, length: text.length };
  // Nothing in common empties the ring whatever the ratio: what came before can go.
  const evaluated = commonChars === 0 ? [step] : [...(held.evaluated ?? []), step];
  const ring = new CheckpointRing(hybrid.rule);
  let kept = 0;
  for (const each of evaluated) kept = replayStep(ring, each, hybrid.charsPerToken);
  const reusedChars = extendsIt ? commonChars : Math.min(commonChars, Math.round(kept * hybrid.charsPerToken));
  return { target, cache, restored, commonChars, reusedChars, evaluated };
}

/**
 * One evaluation on the ring, in tokens: the restore it needed, then its
 * batches (the checkpoints its request made); returns the tokens it kept.
 */
function replayStep(ring: CheckpointRing, step: Evaluated, perToken: number): number {
  const length = Math.ceil(step.length / perToken);
  const common = Math.max(0, Math.min(Math.floor(step.common / perToken), length - 1));
  const kept = ring.restore(step.extends ? 0 : Number.POSITIVE_INFINITY, common);
  ring.evaluate(kept, length);
  return kept;
}

/** A conversation as shown: the session, then the subagent's id or (recognised by prompt) its ordinal. */
export function sessionLabel(thread: Thread): string {
  const session = shortSessionId(thread.key);
  if (thread.agent === null) return thread.ordinal > 1 ? `${session}/${thread.ordinal}` : session;
  return thread.agent.inferred ? thread.agent.id : `${session}/${thread.agent.id}`;
}
