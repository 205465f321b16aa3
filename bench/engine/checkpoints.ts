// The cache rule of a hybrid model (attention plus a recurrent state, as Qwen
// 3.5 and 3.6): the recurrent state cannot be cut back to an arbitrary
// position, only restored from a checkpoint. Followed from ollama/ollama's
// model/models/qwen35/checkpoints.go (0b08438, Feb 2026): a ring of 32
// checkpoints per slot; after each batch, a new one at the batch's last
// position when that is at least 16 and at least 1,280 past the slot's last
// checkpoint; a prompt that diverges from the cache at p resumes after the
// latest checkpoint before p (PrepareRestore → pos + 1), or from scratch, and
// the checkpoints past it are pruned. A prompt that only extends the cache
// needs no restore. Ollama's last Go engine used 24 / 16 / 1,664
// (kvcache/recurrent.go); since 0.30 GGUF models run on llama-server, whose
// defaults are 32 per slot and one per 8,192 prompt tokens; both are this rule
// with other numbers.

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

export const QWEN35_CHECKPOINTS: CheckpointRule = { count: 32, minPos: 16, interval: 1280, batch: 512 };

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
