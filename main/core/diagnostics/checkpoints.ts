// The cache rule of a hybrid model (attention plus a recurrent state, as Qwen
// 3.5 and 3.6): the recurrent state cannot be cut back to an arbitrary
// position, only restored from a checkpoint. A ring of checkpoints per slot;
// after each batch, a new one at the batch's last position when that is at
// least `minPos` and at least `interval` past the slot's last checkpoint; a
// prompt that diverges from the cache at p resumes after the latest checkpoint
// before p (PrepareRestore → pos + 1), or from scratch, and the checkpoints
// past it are pruned. A prompt that only extends the cache needs no restore.
// Followed from ollama/ollama's model/models/qwen35/checkpoints.go (0b08438,
// Feb 2026). The dev engine (bench/engine/slots.ts) and the proxy's estimate
// (tracker.ts) both take their numbers from here, so they cannot disagree.
// Positions carry no unit: the engine counts tokens, the estimate characters
// turned into tokens by the model's measured ratio.
export interface CheckpointRule {
  /** Checkpoints kept per slot (a ring: the oldest is overwritten). */
  readonly count: number;
  /** No checkpoint before this position. */
  readonly minPos: number;
  /** A batch ending at least this many positions past the last checkpoint makes a new one. */
  readonly interval: number;
  /** Tokens per forward pass (Ollama's num_batch, 512): checkpoints fall on batch ends. */
  readonly batch: number;
}

/**
 * Ollama's rule as the dev engine models it: model/models/qwen35/checkpoints.go
 * at 0b08438 (Feb 2026), 32 per slot, one per 1,280 positions, none before 16,
 * Ollama's batch of 512.
 */
export const QWEN35_CHECKPOINTS: CheckpointRule = { count: 32, minPos: 16, interval: 1280, batch: 512 };

/**
 * llama-server's defaults: `--ctx-checkpoints` 32 per slot and
 * `--checkpoint-every-n-tokens` 8,192 during a prompt's prefill, between
 * batches of `--batch-size` 2,048. Where it also places a checkpoint near a
 * prompt's end is not modelled, so this errs low after a divergence.
 */
export const LLAMA_SERVER_CHECKPOINTS: CheckpointRule = { count: 32, minPos: 0, interval: 8192, batch: 2048 };

/**
 * The rule a hybrid model's cache follows on this backend, for the estimate;
 * null for a model that is not hybrid or a backend whose rule is not known.
 *
 * Ollama gets the dev engine's rule, although no release ran exactly it: the
 * Go engine of 0.17.1–0.29 kept 24 per slot, one per 1,664 (kvcache/recurrent.go),
 * and since 0.30 GGUF models run on llama-server (llm/llama_server.go passes
 * neither checkpoint flag, so its defaults hold, with Ollama's batch of 512).
 * Its version alone does not say which engine runs a model, the engine is the
 * only truth the estimate can be held against, and both rules keep the same
 * shape: a divergence re-reads back to the last checkpoint before it.
 * llama-server itself gets its own defaults (its usage carries cache figures,
 * so there the estimate only stands in when they are missing). vLLM, SGLang
 * and LM Studio keep recurrent state their own ways: none is assumed.
 */
export function checkpointRuleFor(hybrid: boolean, backend: string | null): CheckpointRule | null {
  if (!hybrid) return null;
  if (backend === 'ollama') return QWEN35_CHECKPOINTS;
  if (backend === 'llama-server') return LLAMA_SERVER_CHECKPOINTS;
  return null;
}

/** One slot's checkpoint ring: positions only (the engine underneath can cut anywhere). */
export class CheckpointRing {
  private readonly entries: number[] = [];
  private next = 0;
  private last = -1;

  constructor(private readonly rule: CheckpointRule) {}

  /** Checkpoint positions held now, in ring order. */
  get positions(): readonly number[] {
    return this.entries.filter((p) => p >= 0);
  }

  /**
   * How many tokens a prompt sharing `common` tokens with the slot keeps, when
   * the recurrent state stands at `cached`: all `common` when the prompt
   * extends the cache, else one past the latest checkpoint before the
   * divergence (0 when none), pruning the later checkpoints.
   */
  restore(cached: number, common: number): number {
    if (common >= cached) {
      // Checkpoints taken inside what no longer matches (our junk answer) cannot serve a later restore.
      if (this.entries.some((p) => p >= common)) this.pruneAfter(common - 1);
      return common;
    }
    let best = -1;
    for (const p of this.entries) if (p >= 0 && p < common && p > best) best = p;
    if (best < 0) {
      this.reset();
      return 0;
    }
    this.pruneAfter(best);
    return best + 1;
  }

  /** Records the checkpoints made while evaluating positions [from, to) in batches; returns their positions. */
  evaluate(from: number, to: number): number[] {
    const made: number[] = [];
    for (let start = from; start < to; start += this.rule.batch) {
      const end = Math.min(start + this.rule.batch, to) - 1;
      if (end < this.rule.minPos) continue;
      if ((this.last < 0 || end - this.last >= this.rule.interval) && this.record(end)) made.push(end);
    }
    return made;
  }

  /** An independent copy (to try a restore without changing this ring). */
  clone(): CheckpointRing {
    const copy = new CheckpointRing(this.rule);
    copy.entries.push(...this.entries);
    copy.next = this.next;
    copy.last = this.last;
    return copy;
  }

  reset(): void {
    this.entries.length = 0;
    this.next = 0;
    this.last = -1;
  }

  private record(pos: number): boolean {
    if (this.rule.count <= 0) return false;
    this.entries[this.next] = pos;
    this.next = (this.next + 1) % this.rule.count;
    this.last = pos;
    return true;
  }

  /** pruneAfter: later checkpoints go; the next write takes a free entry, else the oldest. */
  private pruneAfter(pos: number): void {
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i]! > pos) this.entries[i] = -1;
    const free = this.entries.indexOf(-1);
    if (free >= 0) this.next = free;
    else if (this.entries.length < this.rule.count) this.next = this.entries.length;
    else {
      let oldest = 0;
      this.entries.forEach((p, i) => { if (p < this.entries[oldest]!) oldest = i; });
      this.next = oldest;
    }
    this.last = pos;
  }
}
