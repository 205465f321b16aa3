// Measures how much of each prompt the backend can serve from its KV cache
// and names the cause when a turn does not begin with its predecessor.
//
// Two references per prompt:
// - the conversation's previous turn: what the client should have kept;
// - the prompts the backend last saw, one per cache slot: what it did keep.
// Slots follow llama-server, which Ollama runs underneath (slot-choice.ts):
// the slot sharing the largest prefix with the prompt, when that is more than
// a tenth of it, else the least recently used one. On a hybrid model (Qwen
// 3.5 and 3.6) a prompt that parts from its slot's content resumes only from
// the last checkpoint before the divergence (checkpoints.ts).
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
// slots the calls seen so far need so that none is evicted, by replaying them
// through backends of more slots that choose as this one does (slot-demand.ts).
//
// Side calls (a title, a one-off question: see side-call.ts) are no
// conversation: they take a slot and nothing else, and a main call whose slot
// one of them took is told so by name.
//
// A call that got no answer from the backend is taken back (forget()): it
// reused nothing, and the conversation's baseline and the slots stay as they were.
import type { Bust } from '../wire/types.js';
import type { RenderedPrompt } from './render.js';
import type { StoredPrompt } from './stored-prompt.js';
import { commonPrefix, commonStored, storePrompt } from './stored-prompt.js';
import type { HybridCache, ObservedAgent, Slot, SlotCache, SlotFit, Thread } from './tracker-slots.js';
import { PromptCache } from './prompt-cache.js';
import { fitSlot, sessionLabel, startsAnotherThread } from './tracker-slots.js';
import { MISS_MIN_LOST_CHARS, classifyDivergence, describeBust } from './bust.js';
import { REMEDIES, remedyFor, slotEvictedRemedy } from './remedies.js';
import { SlotDemand } from './slot-demand.js';
import { shortAgentId, shortSessionId, type AgentRef } from './conversation-key.js';
import type { CacheTrackerOptions, Observation, ObserveInput, PromptCacheModel, TrackerStats } from './tracker-types.js';

/** Step 1's finding: the conversation a prompt continues, and the client's own miss. */
interface Match {
  /** The thread sharing the longest prefix with the prompt, whether or not the prompt continues it. */
  readonly best: Thread | null;
  readonly bestChars: number;
  /** The highest ordinal among the session's threads, for numbering a new one. */
  readonly lastOrdinal: number;
  /** The thread the prompt continues; null when it starts another. */
  readonly thread: Thread | null;
  readonly bust: Bust | null;
  readonly conversationChars: number | null;
  readonly conversationReuse: number | null;
}

/** What observe() changed, so that forget() can put it back. */
interface Undo {
  readonly stored: StoredPrompt;
  readonly slots: Slot[];
  readonly target: number;
  readonly slotBefore: Slot;
  /** The model and its prompt cache before (absent: it had none). */
  readonly model: string;
  readonly cacheBefore: PromptCache<Slot> | undefined;
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

export class CacheTracker {
  readonly slots: number;
  readonly maxConversations: number;
  readonly maxPromptChars: number;
  readonly maxHeldChars: number;
  readonly maxModels: number;
  readonly #hybrid: (model: string | null) => HybridCache | null;
  readonly #promptCache: (model: string | null) => PromptCacheModel | null;
  /** Per model, the backend's prompt cache as estimated (bounded with the backends). */
  readonly #caches = new Map<string, PromptCache<Slot>>();
  /** Insertion order is recency: the first entry is the least recently used. */
  readonly #threads = new Map<string, Thread>();
  readonly #backends = new Map<string, Slot[]>();
  readonly #undo = new WeakMap<Observation, Undo>();
  /** Per model, the slots its calls so far need (slot-demand.ts), bounded like the backends. */
  readonly #demand = new Map<string, SlotDemand>();
  #clock = 0;

  constructor(options: CacheTrackerOptions = {}) {
    this.slots = positiveInteger(options.slots, DEFAULTS.slots, 'slots');
    this.maxConversations = positiveInteger(options.maxConversations, DEFAULTS.maxConversations, 'maxConversations');
    this.maxPromptChars = positiveInteger(options.maxPromptChars, DEFAULTS.maxPromptChars, 'maxPromptChars');
    this.maxHeldChars = positiveInteger(options.maxHeldChars, DEFAULTS.maxHeldChars, 'maxHeldChars');
    this.maxModels = positiveInteger(options.maxModels, DEFAULTS.maxModels, 'maxModels');
    this.#hybrid = options.hybrid ?? (() => null);
    this.#promptCache = options.promptCache ?? (() => null);
  }

  /** The model's prompt cache, with the limits in force now; null where the backend keeps none. */
  #cacheFor(model: string | null): SlotCache | null {
    const config = this.#promptCache(model);
    const key = model ?? '';
    if (config === null) {
      this.#caches.delete(key);
      return null;
    }
    let cache = this.#caches.get(key);
    if (cache === undefined) this.#caches.set(key, (cache = new PromptCache<Slot>(config.limits)));
    // The limits in characters follow the model's measured characters per token; the next update applies them.
    cache.limits = config.limits;
    return { cache, bytesPerChar: config.bytesPerChar };
  }

  /** The call stands: the model's prompt cache is what its fit left. */
  #keepCache(model: string, fit: SlotFit): PromptCache<Slot> | undefined {
    const before = this.#caches.get(model);
    if (fit.cache !== null) this.#caches.set(model, fit.cache);
    return before;
  }

  observe(input: ObserveInput): Observation {
    if (input.side === true) return this.#observeSide(input);
    const model = input.rendered.model ?? '';
    const match = this.#matchAndClassify(input);
    const slots = this.#slotsFor(model);
    const fit = fitSlot(slots, input.rendered.text, this.#hybrid(input.rendered.model), this.#cacheFor(input.rendered.model));
    const stored = this.#store(input.rendered, match, slots, fit);
    // Before the miss is described, so that its remedy counts this call too.
    const needed = this.#demandFor(model, input.rendered.text, stored, match.thread === null ? null : match.conversationChars);
    const bust = match.bust ?? this.#detectEviction(match, slots, fit, input.rendered, needed);
    return this.#commit(input, match, slots, fit, bust, stored, needed);
  }

  /** What is kept of the prompt: chunks shared with whichever reference matched more. */
  #store(rendered: RenderedPrompt, match: Match, slots: readonly Slot[], fit: SlotFit): StoredPrompt {
    const { best, bestChars } = match;
    return best !== null && bestChars > fit.commonChars
      ? storePrompt(rendered, best.prompt, bestChars, this.maxPromptChars)
      : storePrompt(rendered, (fit.restored ?? slots[fit.target]).prompt, fit.commonChars, this.maxPromptChars);
  }

  /** Replays the prompt through the model's simulated backends (slot-demand.ts); the slots its calls so far need. */
  #demandFor(model: string, text: string, stored: StoredPrompt, owed: number | null): number | null {
    let demand = this.#demand.get(model);
    if (demand === undefined) demand = new SlotDemand();
    else this.#demand.delete(model);
    this.#demand.set(model, demand);
    while (this.#demand.size > this.maxModels) this.#demand.delete(this.#demand.keys().next().value as string);
    demand.observe(text, stored, owed, MISS_MIN_LOST_CHARS, this.#promptCache(model === '' ? null : model));
    return demand.needed;
  }

  /**
   * Step 1: the conversation this prompt continues (the thread sharing the
   * longest prefix), or none when it starts another; and, when the client
   * itself lost part of its previous prompt, what changed and why.
   */
  #matchAndClassify(input: ObserveInput): Match {
    const { key, rendered, rewriteMode } = input;
    const { best, bestChars, lastOrdinal } = this.#closestThread(key, rendered.model ?? '', rendered.text);
    const none = { best, bestChars, lastOrdinal, bust: null, conversationChars: null, conversationReuse: null };
    if (best === null) return { ...none, thread: null };
    const previous = best.prompt;
    const missed = previous.length - bestChars >= MISS_MIN_LOST_CHARS;
    if (missed && startsAnotherThread(previous, rendered)) return { ...none, thread: null };
    const conversationReuse = previous.length > 0 ? bestChars / previous.length : 1;
    if (!missed) return { ...none, thread: best, conversationChars: bestChars, conversationReuse };
    const cause = classifyDivergence(previous, rendered, bestChars);
    const remedy = remedyFor(cause, { rewriteMode, billingInPrompt: rendered.billing !== null });
    return { ...none, thread: best, conversationChars: bestChars, conversationReuse, bust: describeBust(cause, previous, rendered, bestChars, remedy) };
  }

  /**
   * Step 2: the client kept its prefix, but the backend's slots no longer
   * hold it: another conversation (or a side call) took the slot. Empty slots
   * mean a cold backend, which is nobody's eviction.
   */
  #detectEviction(match: Match, slots: readonly Slot[], fit: SlotFit, rendered: RenderedPrompt, needed: number | null): Bust | null {
    const held = (fit.restored ?? slots[fit.target]).prompt;
    const { best, conversationChars } = match;
    // What the slot holds, not what a hybrid model restores of it: a checkpoint's loss is no eviction.
    if (held === null || best === null || conversationChars === null || conversationChars - fit.commonChars < MISS_MIN_LOST_CHARS) return null;
    const lost = slots[best.slot] ?? slots[fit.target];
    if (lost.side === true) return describeBust('side-call-evicted', held, rendered, fit.commonChars, REMEDIES['side-call-evicted']);
    const taker = lost.owner ?? slots[fit.target].owner;
    const evictor = taker === undefined || taker === best ? null : { label: this.#label(taker), subagent: taker.agent !== null };
    return {
      ...describeBust('slot-evicted', held, rendered, fit.commonChars, slotEvictedRemedy(this.slots, evictor, needed)),
      ...(evictor === null ? {} : { evictedBy: evictor.label }),
    };
  }

  /** Step 3: the prompt goes into its slot and its conversation, kept so that forget() can take it back. */
  #commit(input: ObserveInput, match: Match, slots: Slot[], fit: SlotFit, bust: Bust | null, stored: StoredPrompt, needed: number | null): Observation {
    const { key, rendered } = input;
    const text = rendered.text;
    const target = fit.target;
    const slotBefore = slots[target];
    const model = rendered.model ?? '';
    const cacheBefore = this.#keepCache(model, fit);
    const before = match.thread;
    const threadBefore = before === null ? null : { prompt: before.prompt, turn: before.turn, call: before.call, slot: before.slot };
    // A new conversation that found another one's prompt in the slot (the system prompt and tools every session shares).
    const donor = before === null && fit.reusedChars >= MISS_MIN_LOST_CHARS ? (fit.restored ?? slots[target]).owner : undefined;
    const thread = this.#remember(before, key, rendered.model ?? '', match.lastOrdinal, stored, input.agent ?? null, target, input.userTurn ?? true);
    slots[target] = { prompt: stored, lastUsed: ++this.#clock, owner: thread, evaluated: fit.evaluated };

    const observation: Observation = {
      session: sessionLabel(thread),
      turn: thread.turn,
      call: thread.call,
      side: false,
      model: rendered.model,
      promptChars: text.length,
      reusedChars: fit.reusedChars,
      reuse: text.length > 0 ? fit.reusedChars / text.length : 0,
      conversationChars: match.conversationChars,
      conversationReuse: match.conversationReuse,
      bust,
      slot: target,
      agent: thread.agent,
      slotsNeeded: needed,
      reusedFrom: donor === undefined ? null : sessionLabel(donor),
      ...this.#restoredFrom(fit),
      ...(thread.agent === null || fit.cache === null ? {} : { mainKept: this.#mainKept(model) }),
    };
    this.#undo.set(observation, { stored, slots, target, slotBefore, model, cacheBefore, thread, threadBefore });
    return observation;
  }


  /**
   * Whether the model's latest main conversation (no agent) is still held, in
   * a slot or the prompt cache, to within what a miss would count: true when
   * there is none to lose.
   */
  #mainKept(model: string): boolean {
    let main: Thread | undefined;
    for (const thread of this.#threads.values()) if (thread.model === model && thread.agent === null) main = thread;
    if (main === undefined) return true;
    const want = main.prompt.length - MISS_MIN_LOST_CHARS;
    const held = [...this.#slotsFor(model).map((s) => s.prompt), ...(this.#caches.get(model)?.entries ?? []).map((e) => e.value.prompt)];
    return held.some((p) => p !== null && commonStored(p, main!.prompt) > want);
  }

  /** Whose prompt the prompt cache loaded for this call, as shown. */
  #restoredFrom(fit: SlotFit): { restoredFrom?: string } {
    const from = fit.restored;
    if (from === null) return {};
    return { restoredFrom: from.side === true ? 'side call' : from.owner === undefined ? 'another prompt' : sessionLabel(from.owner) };
  }

  /**
   * A warm-up (never a user's call) read this prompt into the model's slot:
   * the conversation whose prompt it is holds the slot again, so the next
   * call's estimate claims no eviction the warm-up undid.
   */
  warmed(rendered: RenderedPrompt): void {
    const model = rendered.model ?? '';
    const slots = this.#slotsFor(model);
    let owner: Thread | undefined;
    let ownerChars = MISS_MIN_LOST_CHARS - 1;
    for (const thread of this.#threads.values()) {
      if (thread.model !== model) continue;
      const chars = commonPrefix(thread.prompt, rendered.text);
      if (chars > ownerChars) {
        owner = thread;
        ownerChars = chars;
      }
    }
    const fit = fitSlot(slots, rendered.text, this.#hybrid(rendered.model), this.#cacheFor(rendered.model));
    const target = fit.target;
    this.#keepCache(model, fit);
    const stored = owner !== undefined && ownerChars > fit.commonChars
      ? storePrompt(rendered, owner.prompt, ownerChars, this.maxPromptChars)
      : storePrompt(rendered, (fit.restored ?? slots[target]).prompt, fit.commonChars, this.maxPromptChars);
    slots[target] = { prompt: stored, lastUsed: ++this.#clock, evaluated: fit.evaluated, ...(owner === undefined ? {} : { owner }) };
    if (owner !== undefined) owner.slot = target;
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
    if (undo.slots[undo.target]?.prompt === undo.stored) {
      undo.slots[undo.target] = undo.slotBefore;
      if (undo.cacheBefore === undefined) this.#caches.delete(undo.model);
      else this.#caches.set(undo.model, undo.cacheBefore);
    }
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
    const model = rendered.model ?? '';
    const slots = this.#slotsFor(model);
    const fit = fitSlot(slots, rendered.text, this.#hybrid(rendered.model), this.#cacheFor(rendered.model));
    const { target, reusedChars } = fit;
    const stored = storePrompt(rendered, (fit.restored ?? slots[target]).prompt, fit.commonChars, this.maxPromptChars);
    const needed = this.#demandFor(model, rendered.text, stored, null);
    const slotBefore = slots[target];
    const cacheBefore = this.#keepCache(model, fit);
    slots[target] = { prompt: stored, lastUsed: ++this.#clock, side: true, evaluated: fit.evaluated };
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
      slotsNeeded: needed,
      ...(fit.cache === null ? {} : { mainKept: this.#mainKept(model) }),
    };
    this.#undo.set(observation, { stored, slots, target, slotBefore, model, cacheBefore, thread: null, threadBefore: null });
    return observation;
  }

  /** How a thread is named in a miss it caused. */
  #label(thread: Thread): string {
    const session = shortSessionId(thread.key);
    if (thread.agent === null) return `session ${session}`;
    return thread.agent.inferred ? `conversation ${thread.agent.id} (a subagent, by its prompt)` : `subagent ${thread.agent.id} of session ${session}`;
  }

  /** The backend lost its cache (model unloaded or restarted): forget what its slots held. */
  clearBackend(model?: string): void {
    if (model === undefined) this.#backends.clear();
    else this.#backends.delete(model);
    if (model === undefined) this.#caches.clear();
    else this.#caches.delete(model);
    for (const [name, demand] of this.#demand) if (model === undefined || name === model) demand.clear();
  }

  stats(): TrackerStats {
    const prompts = new Set<StoredPrompt>();
    for (const thread of this.#threads.values()) prompts.add(thread.prompt);
    for (const slots of this.#backends.values()) {
      for (const slot of slots) if (slot.prompt !== null) prompts.add(slot.prompt);
    }
    for (const cache of this.#caches.values()) {
      for (const e of cache.entries) if (e.value.prompt !== null) prompts.add(e.value.prompt);
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
    while (this.#backends.size > this.maxModels) {
      const oldest = this.#backends.keys().next().value as string;
      this.#backends.delete(oldest);
      this.#caches.delete(oldest);
    }
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
