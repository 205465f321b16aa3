// llama-server's host-memory prompt cache (`--cache-ram`, on with 8,192 MiB by
// default; Ollama 0.30 and later start llama-server without the flag, so it is
// on there): when a completion task takes a slot it would mostly throw away,
// the slot's state is copied to RAM first, and the cache is searched for an
// entry that serves the new prompt better, which is loaded into the slot.
// Followed from ggml-org/llama.cpp tools/server/server-context.cpp
// (get_available_slot: `update_cache`) and server_prompt_cache::alloc / load /
// update (#16391), as docs/llama-server-cache.md §4 quotes them.
// The dev engine (bench/engine/slots.ts) and the proxy's estimate
// (tracker-slots.ts) both decide with this module: the engine counts tokens and
// real state bytes, the estimate characters. Lengths carry no unit here.
//
// Pure: an entry's payload (a state file, a stored prompt) is the caller's;
// how long a prefix two prompts share is asked through `common`.
import { SLOT_PROMPT_SIMILARITY } from './slot-choice.js';

/** llama-server's `--cache-ram` default, in MiB. */
export const CACHE_RAM_MIB = 8192;

/** A slot that would keep less than this share of what it holds is saved first (server-context.cpp: `f_keep < 0.5f`). */
export const SAVE_BELOW_KEEP = 0.5;

/** An entry keeping less than this share of itself is never loaded ("don't trash large prompts"). */
export const LOAD_MIN_KEEP = 0.25;

/**
 * Whether the slot a prompt was given is saved to the cache before the prompt
 * takes it: (a) chosen by similarity (its share of the prompt above
 * `--slot-prompt-similarity`, which is how chooseSlot picked it) yet keeping
 * under half of what it holds; or (b) chosen by least recent use (no idle slot
 * shared more than a tenth of the prompt). A slot holding nothing has nothing
 * to save.
 */
export function savesSlot(slotLength: number, common: number, promptLength: number, similarity = SLOT_PROMPT_SIMILARITY): boolean {
  if (slotLength <= 0) return false;
  const bySimilarity = promptLength > 0 && common / promptLength > similarity;
  return !bySimilarity || common / slotLength < SAVE_BELOW_KEEP;
}

/** One saved slot: its payload, its length and what it costs in RAM. */
export interface CacheEntry<T> {
  readonly value: T;
  readonly length: number;
  readonly bytes: number;
}

export interface PromptCacheLimits {
  /** `--cache-ram` in bytes; 0 turns the cache off. */
  readonly bytes: number;
  /** The context's total length (n_ctx, all slots): the fewest units the cache may hold. */
  readonly length: number;
}

/** The default limits for a context of `length` (llama-server's 8,192 MiB). */
export function defaultLimits(length: number, mib = CACHE_RAM_MIB): PromptCacheLimits {
  return { bytes: mib * 1024 * 1024, length };
}

/** The cache of one context (one runner): entries oldest first. */
export class PromptCache<T> {
  readonly #entries: CacheEntry<T>[] = [];

  constructor(public limits: PromptCacheLimits) {}

  get enabled(): boolean {
    return this.limits.bytes > 0;
  }

  get entries(): readonly CacheEntry<T>[] {
    return this.#entries;
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.#entries.reduce((sum, e) => sum + e.bytes, 0);
  }

  /** Units (tokens, characters) held now. */
  get length(): number {
    return this.#entries.reduce((sum, e) => sum + e.length, 0);
  }

  /**
   * Whether a slot of `length` needs saving: false when an entry already
   * holds all of it as a prefix ("prompt is already in the cache, skipping").
   * `common(entry)`: what that entry shares with the slot.
   */
  wouldSave(length: number, common: (entry: T) => number): boolean {
    return this.enabled && length > 0 && !this.#entries.some((e) => common(e.value) >= length);
  }

  /**
   * Adds a saved slot (server_prompt_cache::alloc), dropping the entries that
   * are prefixes of it; call only when wouldSave() said so. Returns the
   * payloads it dropped, for the caller to free.
   */
  add(entry: CacheEntry<T>, common: (other: T) => number): T[] {
    const dropped: T[] = [];
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const e = this.#entries[i]!;
      if (common(e.value) >= e.length) {
        dropped.push(e.value);
        this.#entries.splice(i, 1);
      }
    }
    this.#entries.push(entry);
    return dropped;
  }

  /**
   * The entry to load for a prompt of `promptLength` into a slot of
   * `slotLength` that shares `slotCommon` with it (server_prompt_cache::load):
   * one that keeps at least a quarter of itself, and both keeps a larger share
   * of itself than the slot does and covers a larger share of the prompt
   * (strictly, both), the best such; it leaves the cache. Null when none does.
   * `common(entry)`: what that entry shares with the prompt.
   */
  take(slotLength: number, slotCommon: number, promptLength: number, common: (entry: T) => number): CacheEntry<T> | null {
    if (!this.enabled || promptLength <= 0) return null;
    let keepBest = slotLength > 0 ? slotCommon / slotLength : -1;
    let simBest = slotCommon / promptLength;
    let best = -1;
    this.#entries.forEach((e, i) => {
      const shared = common(e.value);
      const keep = e.length > 0 ? shared / e.length : 0;
      const sim = shared / promptLength;
      if (keep < LOAD_MIN_KEEP) return;
      if (keepBest < keep && simBest < sim) {
        keepBest = keep;
        simBest = sim;
        best = i;
      }
    });
    if (best < 0) return null;
    return this.#entries.splice(best, 1)[0]!;
  }

  /**
   * The limits, applied after every save and load (server_prompt_cache::update):
   * the oldest out while the bytes exceed the limit, then while the units
   * exceed max(context length, limit ÷ average bytes per unit); the last entry
   * always stays. Returns the payloads it dropped.
   */
  trim(): T[] {
    const dropped: T[] = [];
    const out = (): void => void dropped.push(this.#entries.shift()!.value);
    const { bytes, length } = this.limits;
    if (bytes > 0) while (this.#entries.length > 1 && this.bytes > bytes) out();
    const perUnit = Math.max(1, this.bytes / Math.max(1, this.length));
    const maxLength = bytes > 0 ? Math.max(length, bytes / perUnit) : length;
    if (length > 0) while (this.#entries.length > 1 && this.length > maxLength) out();
    return dropped;
  }

  /** Empties the cache (the backend restarted); returns the payloads. */
  clear(): T[] {
    return this.#entries.splice(0).map((e) => e.value);
  }

  /** An independent copy holding the same entries (the payloads are shared). */
  clone(): PromptCache<T> {
    const copy = new PromptCache<T>(this.limits);
    copy.#entries.push(...this.#entries);
    return copy;
  }
}

/** What a slot-assignment did with the cache. */
export interface CacheSwap<T> {
  /** The slot's previous content went to the cache (false: not saved, or already held). */
  readonly saved: boolean;
  /** The entry loaded into the slot; null when the slot kept what it held. */
  readonly loaded: CacheEntry<T> | null;
}

/** How a payload is measured and compared, for swap(). */
export interface SwapMeasure<T> {
  readonly length: (value: T) => number;
  readonly bytes: (value: T) => number;
  /** Common prefix of two payloads. */
  readonly common: (a: T, b: T) => number;
  /** Common prefix of a payload and the new prompt. */
  readonly commonWithPrompt: (value: T) => number;
}

/**
 * The whole exchange at slot assignment, for callers whose payloads need no
 * I/O (the estimate; the engine does the same steps around its state files):
 * save the slot when savesSlot says so and no entry holds it, take the entry
 * that serves the prompt better, apply the limits.
 */
export function swap<T>(cache: PromptCache<T>, slot: T | null, promptLength: number, measure: SwapMeasure<T>): CacheSwap<T> {
  if (!cache.enabled || slot === null) return { saved: false, loaded: null };
  const length = measure.length(slot);
  const slotCommon = measure.commonWithPrompt(slot);
  if (!savesSlot(length, slotCommon, promptLength)) return { saved: false, loaded: null };
  const saved = cache.wouldSave(length, (e) => measure.common(e, slot));
  if (saved) cache.add({ value: slot, length, bytes: measure.bytes(slot) }, (other) => measure.common(other, slot));
  const loaded = cache.take(length, slotCommon, promptLength, measure.commonWithPrompt);
  cache.trim();
  return { saved, loaded };
}
