// Which cache slot a prompt lands in, as llama-server picks it (which Ollama
// 0.30+ runs underneath): ggml-org/llama.cpp tools/server/server-context.cpp,
// get_available_slot. Among the idle slots that hold anything, the one whose
// longest common prefix with the prompt is the largest share of the prompt,
// when that share is above `--slot-prompt-similarity` (0.1 by default; the
// first such slot on a tie); otherwise the least recently used idle slot (the
// last of them on a tie: it compares with `<=`). A slot's share counts what it
// holds in common, not what a hybrid model could restore of it. The dev engine
// (bench/engine/slots.ts) counts tokens, the estimate (tracker.ts) characters:
// both pick with this one function.
//
// Ollama's own runners before 0.30 (runner/ollamarunner/cache.go,
// findBestCacheSlot) chose otherwise: the longest slot only when all it held
// began the prompt, else the least recently used one, seeded with the longest
// prefix copied from another slot.

/** llama-server's `--slot-prompt-similarity` default. */
export const SLOT_PROMPT_SIMILARITY = 0.1;

/**
 * The slot for a prompt of `promptLength`, given each slot's common prefix
 * with it (null for a slot that holds nothing) and when each was last used
 * (higher is later; a never-used slot lowest).
 */
export function chooseSlot(common: readonly (number | null)[], lastUsed: readonly number[], promptLength: number, similarity = SLOT_PROMPT_SIMILARITY): number {
  let best = -1;
  let bestShare = 0;
  common.forEach((length, i) => {
    if (length === null || promptLength <= 0) return;
    const share = length / promptLength;
    if (share > bestShare && share > similarity) {
      best = i;
      bestShare = share;
    }
  });
  if (best >= 0) return best;
  let oldest = -1;
  lastUsed.forEach((t, i) => {
    if (oldest < 0 || t <= lastUsed[oldest]!) oldest = i;
  });
  return Math.max(0, oldest);
}
