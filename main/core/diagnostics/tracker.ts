// Measures how much of each prompt the backend can serve from its KV cache
// and names the cause when a turn does not begin with its predecessor.
//
// Two references per prompt:
// - the conversation's previous turn: what the client should have kept;
// - the prompts the backend last saw, one per cache slot: what it did keep.
// Slots follow Ollama's runner: with one slot it is always reused; with
// several, a slot whose whole content begins this prompt is reused, else the
// least recently used slot takes the prompt, seeded with the longest prefix
// any slot holds.
//
// Claude Code sends its subagents under the main agent's session id. Since
// 2.1.268 their agent headers make each one a conversation of its own (see
// conversation-key.ts). For older clients a session holds several
// conversations ("threads"): a single-message prompt whose first message is
// new starts another thread rather than counting as the session's history
// being rewritten.
//
// Each slot remembers which conversation loaded it, so a miss caused by
// another agent's prompts names that agent; and the tracker measures how many
// slots the calls seen so far need so that none is evicted (the largest
// number of conversations a conversation's consecutive calls span).
//
// Side calls (a title, a one-off question: see side-call.ts) are no
// conversation: they take a slot and nothing else, and a main call whose slot
// one of them took is told so by name.
//
// A call that got no answer from the backend is taken back (forget()): it
// reused nothing, and the conversation's baseline and the slots stay as they were.
import type { RewriteMode } from '../rewrite/types.js';
import type { Bust } from './types.js';
import type { RenderedPrompt } from './render.js';
import type { StoredPrompt } from './stored-prompt.js';
import { commonPrefix, readStored, storePrompt } from './stored-prompt.js';
import { MISS_MIN_LOST_CHARS, classifyDivergence, describeBust } from './bust.js';
import { REMEDIES, remedyFor, slotEvictedRemedy } from './remedies.js';
import { shortAgentId, shortSessionId, type AgentRef } from './conversation-key.js';

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

/** A call's place in the agent tree, as shown (short ids). */
export interface ObservedAgent {
  readonly id: string;
  /** The parent subagent; null when the main agent is the parent. */
  readonly parent: string | null;
  /** True when recognised by its prompt (a client without agent headers). */
  readonly inferred: boolean;
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
  /** Slots the calls seen so far need for none to evict another's prefix (at least 1). */
  readonly slotsNeeded: number;
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

interface Thread {
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

interface Slot {
  prompt: StoredPrompt | null;
  lastUsed: number;
  /** The thread that loaded it (its id), to name it when it evicts another. */
  owner?: Thread;
  /** The prompt came from a side call. */
  side?: boolean;
}

/** What observe() changed, so that forget() can put it back. */
interface Undo {
  readonly stored: StoredPrompt;
  readonly slots: Slot[];
  readonly target: number;
  readonly slotBefore: Slot;
  readonly thread: Thread | null;
  /** The thread's state before; null when observe() created it. */
  readonly threadBefore: { prompt: StoredPrompt; turn: number; call: number; slot: number } | null;
}

// Diagnostics must stay a small part of an app that runs for weeks: 64 prompts of 1M characters would be 64-128 MB.
const DEFAULTS = { slots: 1, maxConversations: 64, maxPromptChars: 1_000_000, maxHeldChars: 6_000_000, maxModels: 8 };

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * A single-message prompt with a new first message: a fresh conversation
 * (e.g. a subagent). Inline system messages (2.1.332's `# Environment`) are
 * lifted out of the conversation, so they do not count as its messages.
 */
function startsAnotherThread(previous: StoredPrompt, current: RenderedPrompt): boolean {
  if (current.messageStarts.length - current.inlineSystemMessages !== 1) return false;
  const starts = previous.layout.messageStarts;
  if (starts.length === 0) return true;
  const previousFirst = readStored(previous, starts[0], starts.length > 1 ? starts[1] : previous.length);
  return previousFirst !== current.text.slice(current.messageStarts[0]);
}

/** The slot sharing the longest prefix with `text` (the first, on a tie), as Ollama's runner picks it. */
function longestSlot(slots: readonly Slot[], text: string): { longest: number; reusedChars: number } {
  let longest = 0;
  let reusedChars = -1;
  slots.forEach((slot, i) => {
    const chars = slot.prompt === null ? 0 : commonPrefix(slot.prompt, text);
    if (chars > reusedChars) {
      longest = i;
      reusedChars = chars;
    }
  });
  return { longest, reusedChars };
}

/**
 * Where the prompt goes: the one slot; or, with several, the longest slot if
 * all it holds begins this prompt, else the least recently used one.
 */
function slotToLoad(slots: readonly Slot[], longest: number, longestChars: number): number {
  if (slots.length === 1) return 0;
  const held = slots[longest].prompt;
  if (held === null || longestChars >= held.length) return longest;
  let oldest = 0;
  slots.forEach((slot, i) => {
    if (slot.lastUsed < slots[oldest].lastUsed) oldest = i;
  });
  return oldest;
}

/** A conversation as shown: the session, then the subagent's id or (recognised by prompt) its ordinal. */
function sessionLabel(thread: Thread): string {
  const session = shortSessionId(thread.key);
  if (thread.agent === null) return thread.ordinal > 1 ? `${session}/${thread.ordinal}` : session;
  return thread.agent.inferred ? thread.agent.id : `${session}/${thread.agent.id}`;
}

export class CacheTracker {
  readonly slots: number;
  readonly maxConversations: number;
  readonly maxPromptChars: number;
  readonly maxHeldChars: number;
  readonly maxModels: number;
  /** Insertion order is recency: the first entry is the least recently used. */
  readonly #threads = new Map<string, Thread>();
  readonly #backends = new Map<string, Slot[]>();
  readonly #undo = new WeakMap<Observation, Undo>();
  /** Per model, thread ids by recency (most recent last), bounded like the threads. */
  readonly #recency = new Map<string, string[]>();
  #slotsNeeded = 1;
  #clock = 0;

  constructor(options: CacheTrackerOptions = {}) {
    this.slots = positiveInteger(options.slots, DEFAULTS.slots, 'slots');
    this.maxConversations = positiveInteger(options.maxConversations, DEFAULTS.maxConversations, 'maxConversations');
    this.maxPromptChars = positiveInteger(options.maxPromptChars, DEFAULTS.maxPromptChars, 'maxPromptChars');
    this.maxHeldChars = positiveInteger(options.maxHeldChars, DEFAULTS.maxHeldChars, 'maxHeldChars');
    this.maxModels = positiveInteger(options.maxModels, DEFAULTS.maxModels, 'maxModels');
  }

  observe(input: ObserveInput): Observation {
    if (input.side === true) return this.#observeSide(input);
    const { key, rendered, rewriteMode } = input;
    const text = rendered.text;
    const model = rendered.model ?? '';

    const agent = input.agent ?? null;
    const { best, bestChars, lastOrdinal } = this.#closestThread(key, model, text);
    let thread = best;
    let bust: Bust | null = null;
    let conversationChars: number | null = null;
    let conversationReuse: number | null = null;
    if (best !== null) {
      const previous = best.prompt;
      const missed = previous.length - bestChars >= MISS_MIN_LOST_CHARS;
      if (missed && startsAnotherThread(previous, rendered)) {
        thread = null;
      } else {
        conversationChars = bestChars;
        conversationReuse = previous.length > 0 ? bestChars / previous.length : 1;
        if (missed) {
          const cause = classifyDivergence(previous, rendered, bestChars);
          const remedy = remedyFor(cause, { rewriteMode, billingInPrompt: rendered.billing !== null });
          bust = describeBust(cause, previous, rendered, bestChars, remedy);
        }
      }
    }

    // Before the miss is described, so that its remedy counts this call too.
    if (thread !== null) this.#noteRecency(model, thread);
    const slots = this.#slotsFor(model);
    const { longest, reusedChars } = longestSlot(slots, text);
    const held = slots[longest].prompt;
    if (bust === null && held !== null && conversationChars !== null && conversationChars - reusedChars >= MISS_MIN_LOST_CHARS) {
      // The client kept its prefix but another conversation took the slot.
      // (Empty slots mean a cold backend, which is nobody's eviction.)
      const lost = slots[best!.slot] ?? slots[longest];
      if (lost.side === true) {
        bust = describeBust('side-call-evicted', held, rendered, reusedChars, REMEDIES['side-call-evicted']);
      } else {
        const taker = lost.owner ?? slots[longest].owner;
        const evictor = taker === undefined || taker === best ? null : { label: this.#label(taker), subagent: taker.agent !== null };
        bust = {
          ...describeBust('slot-evicted', held, rendered, reusedChars, slotEvictedRemedy(this.slots, evictor, this.#slotsNeeded)),
          ...(evictor === null ? {} : { evictedBy: evictor.label }),
        };
      }
    }

    // Share chunks with whichever reference matched more.
    const stored = best !== null && bestChars > reusedChars
      ? storePrompt(rendered, best.prompt, bestChars, this.maxPromptChars)
      : storePrompt(rendered, held, reusedChars, this.maxPromptChars);
    const target = slotToLoad(slots, longest, reusedChars);
    const slotBefore = slots[target];
    const threadBefore = thread === null ? null : { prompt: thread.prompt, turn: thread.turn, call: thread.call, slot: thread.slot };
    thread = this.#remember(thread, key, model, lastOrdinal, stored, agent, target, input.userTurn ?? true);
    slots[target] = { prompt: stored, lastUsed: ++this.#clock, owner: thread };

    const observation: Observation = {
      session: sessionLabel(thread),
      turn: thread.turn,
      call: thread.call,
      side: false,
      model: rendered.model,
      promptChars: text.length,
      reusedChars,
      reuse: text.length > 0 ? reusedChars / text.length : 0,
      conversationChars,
      conversationReuse,
      bust,
      slot: target,
      agent: thread.agent,
      slotsNeeded: this.#slotsNeeded,
    };
    this.#undo.set(observation, { stored, slots, target, slotBefore, thread, threadBefore });
    return observation;
  }

  /**
   * Takes back what observe() recorded for a call the backend never answered
   * (refused, failed, unreachable): the slot and the conversation hold what
   * they held before, unless a later call has replaced it since.
   */
  forget(observation: Observation): void {
    const undo = this.#undo.get(observation);
    if (undo === undefined) return;
    this.#undo.delete(observation);
    if (undo.slots[undo.target]?.prompt === undo.stored) undo.slots[undo.target] = undo.slotBefore;
    const thread = undo.thread;
    if (thread === null || thread.prompt !== undo.stored) return;
    if (undo.threadBefore === null) {
      this.#threads.delete(thread.id);
    } else {
      thread.prompt = undo.threadBefore.prompt;
      thread.turn = undo.threadBefore.turn;
      thread.call = undo.threadBefore.call;
      thread.slot = undo.threadBefore.slot;
    }
  }

  /** A side call takes the slot it lands in and touches no conversation. */
  #observeSide(input: ObserveInput): Observation {
    const { key, rendered } = input;
    const slots = this.#slotsFor(rendered.model ?? '');
    const { longest, reusedChars } = longestSlot(slots, rendered.text);
    const stored = storePrompt(rendered, slots[longest].prompt, reusedChars, this.maxPromptChars);
    const target = slotToLoad(slots, longest, reusedChars);
    const slotBefore = slots[target];
    slots[target] = { prompt: stored, lastUsed: ++this.#clock, side: true };
    const observation: Observation = {
      session: shortSessionId(key),
      turn: 0,
      call: 0,
      side: true,
      model: rendered.model,
      promptChars: rendered.text.length,
      reusedChars,
      reuse: rendered.text.length > 0 ? reusedChars / rendered.text.length : 0,
      conversationChars: null,
      conversationReuse: null,
      bust: null,
      slot: target,
      agent: null,
      slotsNeeded: this.#slotsNeeded,
    };
    this.#undo.set(observation, { stored, slots, target, slotBefore, thread: null, threadBefore: null });
    return observation;
  }

  /** Slots the calls seen so far need so that no conversation's prefix is evicted by another's. */
  get slotsNeeded(): number {
    return this.#slotsNeeded;
  }

  /** How a thread is named in a miss it caused. */
  #label(thread: Thread): string {
    const session = shortSessionId(thread.key);
    if (thread.agent === null) return `session ${session}`;
    return thread.agent.inferred ? `conversation ${thread.agent.id} (a subagent, by its prompt)` : `subagent ${thread.agent.id} of session ${session}`;
  }

  /**
   * Counts the conversations on `model` since `thread`'s previous call: with
   * fewer slots than that plus one, an LRU backend has evicted its prefix.
   */
  #noteRecency(model: string, thread: Thread): void {
    let order = this.#recency.get(model);
    if (order === undefined) this.#recency.set(model, (order = []));
    const at = order.lastIndexOf(thread.id);
    if (at >= 0) {
      this.#slotsNeeded = Math.max(this.#slotsNeeded, order.length - at);
      order.splice(at, 1);
    }
    order.push(thread.id);
    if (order.length > this.maxConversations) order.shift();
    while (this.#recency.size > this.maxModels) this.#recency.delete(this.#recency.keys().next().value as string);
  }

  /** The backend lost its cache (model unloaded or restarted): forget what its slots held. */
  clearBackend(model?: string): void {
    if (model === undefined) this.#backends.clear();
    else this.#backends.delete(model);
  }

  stats(): TrackerStats {
    const prompts = new Set<StoredPrompt>();
    for (const thread of this.#threads.values()) prompts.add(thread.prompt);
    for (const slots of this.#backends.values()) {
      for (const slot of slots) if (slot.prompt !== null) prompts.add(slot.prompt);
    }
    // Strings have no identity in JS, so equal chunks count once: the
    // figure is what the tracker holds when sharing works as intended.
    const chunks = new Set<string>();
    for (const prompt of prompts) for (const chunk of prompt.chunks) chunks.add(chunk);
    let chars = 0;
    for (const chunk of chunks) chars += chunk.length;
    return { conversations: this.#threads.size, models: this.#backends.size, prompts: prompts.size, chunks: chunks.size, chars };
  }

  /** Of this session's threads on this model, the one `text` shares most with (ties go to the most recent). */
  #closestThread(key: string, model: string, text: string): { best: Thread | null; bestChars: number; lastOrdinal: number } {
    let best: Thread | null = null;
    let bestChars = -1;
    let lastOrdinal = 0;
    for (const thread of this.#threads.values()) {
      if (thread.key !== key) continue;
      lastOrdinal = Math.max(lastOrdinal, thread.ordinal);
      if (thread.model !== model) continue;
      const chars = commonPrefix(thread.prompt, text);
      if (chars >= bestChars) {
        best = thread;
        bestChars = chars;
      }
    }
    return { best, bestChars, lastOrdinal };
  }

  #slotsFor(model: string): Slot[] {
    let slots = this.#backends.get(model);
    if (slots === undefined) {
      slots = Array.from({ length: this.slots }, () => ({ prompt: null, lastUsed: 0 }));
    } else {
      this.#backends.delete(model);
    }
    this.#backends.set(model, slots);
    while (this.#backends.size > this.maxModels) this.#backends.delete(this.#backends.keys().next().value as string);
    return slots;
  }

  #remember(thread: Thread | null, key: string, model: string, lastOrdinal: number, prompt: StoredPrompt, agent: AgentRef | null, slot: number, userTurn: boolean): Thread {
    if (thread !== null) {
      thread.prompt = prompt;
      thread.slot = slot;
      if (userTurn) {
        thread.turn += 1;
        thread.call = 1;
      } else {
        thread.call += 1;
      }
      this.#threads.delete(thread.id);
      this.#threads.set(thread.id, thread);
      this.#dropOldest();
      return thread;
    }
    const ordinal = lastOrdinal + 1;
    const shown: ObservedAgent | null = agent !== null
      ? { id: shortAgentId(agent.id), parent: agent.parent === null ? null : shortAgentId(agent.parent), inferred: false }
      : ordinal > 1 ? { id: `${shortSessionId(key)}/${ordinal}`, parent: null, inferred: true } : null;
    const created: Thread = { id: `${key}\u0000${ordinal}`, key, model, ordinal, turn: 1, call: 1, prompt, agent: shown, slot };
    this.#threads.set(created.id, created);
    this.#dropOldest();
    this.#noteRecency(model, created);
    return created;
  }

  /** Least recently used conversations out until both bounds hold; the latest always stays. */
  #dropOldest(): void {
    let held = 0;
    for (const thread of this.#threads.values()) held += thread.prompt.storedLength;
    for (const [id, oldest] of this.#threads) {
      if (this.#threads.size <= 1 || (this.#threads.size <= this.maxConversations && held <= this.maxHeldChars)) break;
      held -= oldest.prompt.storedLength;
      this.#threads.delete(id);
    }
  }
}
