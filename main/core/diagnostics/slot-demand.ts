// How many cache slots a backend needs so that no conversation's prefix is
// evicted by another's, when the backend picks slots as llama-server does
// (slot-choice.ts, which Ollama 0.30+ runs underneath): the prompts of one
// model are replayed, as they come, through simulated backends of 1, 2, …
// MAX_SIMULATED_SLOTS slots, each choosing by that rule, and the count is the
// fewest slots under which no call found less in its slot than its own
// conversation's previous prompt shared with it.
//
// Counting conversations instead (as if each kept a slot by key, the least
// recently used one going) is wrong both ways under that rule. A subagent
// whose prompt shares most with another subagent's slot takes that slot, not
// an idle one, so an agent tree can need fewer slots than it has agents. And a
// prompt that shares more than a tenth with the main conversation's slot takes
// that slot whatever the number of slots, so no count keeps the main prefix:
// only another weights file (a runner of its own) does.
//
// Side calls take a slot like any prompt, so they are replayed too; they owe
// nothing, so their own losses do not count.
//
// Where the backend keeps a host-memory prompt cache (llama-server's
// `--cache-ram`, Ollama 0.30+: prompt-cache.ts), each simulated backend keeps
// one too, so a conversation the cache gives back counts as kept: one slot
// then often suffices, and no more are advised.
import type { StoredPrompt } from './stored-prompt.js';
import { commonPrefix, commonStored } from './stored-prompt.js';
import { chooseSlot } from './slot-choice.js';
import { PromptCache, swap, type PromptCacheLimits } from './prompt-cache.js';

/**
 * The most slots simulated. Each slot is another context's worth of KV memory
 * (Ollama allocates num_ctx × OLLAMA_NUM_PARALLEL), so advice beyond this
 * would not be worth its memory anyway.
 */
export const MAX_SIMULATED_SLOTS = 8;

interface SimulatedSlot {
  readonly prompt: StoredPrompt | null;
  readonly lastUsed: number;
}

/** One model's simulated backends, one per slot count, and which of them lost a conversation's prefix. */
export class SlotDemand {
  readonly #backends: SimulatedSlot[][];
  readonly #lost: boolean[];
  /** Each simulated backend's prompt cache; null while the backend keeps none. */
  #caches: PromptCache<StoredPrompt>[] | null = null;
  #clock = 0;

  constructor(readonly maxSlots = MAX_SIMULATED_SLOTS) {
    this.#backends = Array.from({ length: maxSlots }, (_, k) => Array.from({ length: k + 1 }, () => ({ prompt: null, lastUsed: 0 })));
    this.#lost = this.#backends.map(() => false);
  }

  /**
   * Replays one prompt (`text`, kept as `stored`) through every simulated
   * backend. `owed`: the characters its conversation's previous prompt shared
   * with it, which a slot should still hold (null for a side call or a
   * conversation's first call); a loss of at least `minLost` of them counts.
   */
  observe(text: string, stored: StoredPrompt, owed: number | null, minLost: number, cache: { limits: PromptCacheLimits; bytesPerChar: number } | null = null): void {
    // The backends hold the same few prompts: compare each with the new one once.
    const memo = new Map<StoredPrompt, number>();
    const common = (p: StoredPrompt): number => {
      let n = memo.get(p);
      if (n === undefined) memo.set(p, (n = commonPrefix(p, text)));
      return n;
    };
    const now = ++this.#clock;
    const caches = this.#cachesFor(cache?.limits ?? null);
    this.#backends.forEach((slots, k) => {
      const shared = slots.map((s) => (s.prompt === null ? null : common(s.prompt)));
      const target = chooseSlot(shared, slots.map((s) => s.lastUsed), text.length);
      const held = slots[target]!.prompt;
      const loaded = caches === null || held === null ? null : swap(caches[k]!, held, text.length, {
        length: (p) => p.length,
        bytes: (p) => p.length * cache!.bytesPerChar,
        common: commonStored,
        commonWithPrompt: common,
      }).loaded;
      const kept = loaded === null ? shared[target] ?? 0 : common(loaded.value);
      if (owed !== null && owed - kept >= minLost) this.#lost[k] = true;
      slots[target] = { prompt: stored, lastUsed: now };
    });
  }

  /** The fewest slots that have kept every conversation's prefix so far; null when no count up to the maximum has. */
  get needed(): number | null {
    const k = this.#lost.indexOf(false);
    return k < 0 ? null : k + 1;
  }

  /** The backend lost its cache: the simulated slots start empty too (what they taught stays). */
  clear(): void {
    for (const slots of this.#backends) slots.fill({ prompt: null, lastUsed: 0 });
    this.#caches = null;
  }

  /** The simulated prompt caches, with the limits in force now; null for none. */
  #cachesFor(limits: PromptCacheLimits | null): PromptCache<StoredPrompt>[] | null {
    if (limits === null) return (this.#caches = null);
    this.#caches ??= this.#backends.map(() => new PromptCache<StoredPrompt>(limits));
    for (const cache of this.#caches) cache.limits = limits;
    return this.#caches;
  }
}
