// The cache rule of a hybrid model (attention plus a recurrent state, as Qwen
// 3.5 and 3.6): the recurrent state cannot be cut back to an arbitrary
// position, only restored from a checkpoint. Which checkpoints a slot keeps
// depends on the engine that runs the model, and Ollama changed engines:
//
// - Ollama 0.17.1 to 0.29, its Go engine (kvcache/recurrent.go and
//   recurrent_checkpoints.go): a ring of 24 per slot, one at the end of a
//   512-token batch at least 1,664 positions past the last, none before 16,
//   during generation too.
// - Ollama 0.30 and later run every GGUF model on upstream llama-server
//   (b10488 at Ollama's HEAD; tools/server/server-context.cpp), with no
//   checkpoint flag, so its defaults hold: per request at most two, just
//   before the batches that read the prompt's last tokens (N − B and N − 4),
//   none while generating; older requests' checkpoints thinned to 8,192
//   tokens apart, 32 at most.
//
// Both restore alike: a prompt that extends what the slot holds keeps all of
// it; else the newest checkpoint at or before the divergence (before the last
// token when the prompt is entirely cached), exactly its tokens, and the later
// checkpoints go; none, from scratch. Checkpoints are counted in tokens the
// state holds (a restore keeps exactly that many). The dev engine
// (bench/engine/slots.ts, families.ts) and the proxy's estimate
// (tracker-slots.ts) all run this one ring, so they cannot disagree.
// Positions carry no unit: the engine counts tokens, the estimate characters
// turned into tokens by the model's measured ratio.

/** Ollama's Go engine (0.17.1–0.29): an interval ring. */
export interface GoEngineRule {
  readonly kind: 'go-engine';
  /** Checkpoints kept per slot (the oldest goes). */
  readonly count: number;
  /** No checkpoint before this position (a batch's last). */
  readonly minPos: number;
  /** A batch ending at least this many positions past the last checkpoint makes a new one. */
  readonly interval: number;
  /** Tokens per forward pass (Ollama's num_batch, 512): checkpoints fall on batch ends. */
  readonly batch: number;
}

/** llama-server (b10488): checkpoints near each prompt's end. */
export interface LlamaServerRule {
  readonly kind: 'llama-server';
  /** `--ctx-checkpoints`: at most this many per slot (the oldest go). */
  readonly count: number;
  /** `--checkpoint-min-step`: older requests' checkpoints closer than this to the previous one kept go. */
  readonly minStep: number;
  /** `-b`: tokens per batch (and the step at which a cancel lands). */
  readonly batch: number;
  /**
   * Tokens before the prompt's end where a batch breaks and a checkpoint is
   * taken, largest first: `min(b, 4 + ub)` and `min(b, 4)`
   * (`checkpoint_offsets[] = {4 + n_ubatch, 4}`).
   */
  readonly nearEnd: readonly number[];
}

export type CheckpointRule = GoEngineRule | LlamaServerRule;

/** Ollama 0.17.1–0.29's Go engine: kvcache/recurrent.go (`DefaultCheckpointCount` 24, `…Interval` 1,664, `…MinPos` 16), batch 512. */
export const GO_ENGINE_CHECKPOINTS: GoEngineRule = { kind: 'go-engine', count: 24, minPos: 16, interval: 1664, batch: 512 };

/** llama-server b10488's rule for batch `-b` and micro-batch `-ub`, with its defaults of 32 checkpoints and a min-step of 8,192. */
export function llamaServerRule(batch: number, ubatch: number): LlamaServerRule {
  return { kind: 'llama-server', count: 32, minStep: 8192, batch, nearEnd: [Math.min(batch, 4 + ubatch), Math.min(batch, 4)] };
}

/**
 * Ollama ≥ 0.30: llama-server with `-b` = `-ub` = num_batch (512 by default;
 * llm/llama_server.go appendBatchArgs), so checkpoints at N − 512 and N − 4.
 * Ollama raises num_batch by itself on roomy GPUs (docs/llama-server-cache.md §7),
 * which moves only the first of them.
 */
export const OLLAMA_CHECKPOINTS: LlamaServerRule = llamaServerRule(512, 512);

/** llama-server run by hand, with its defaults `-b 2048 -ub 512`: checkpoints at N − 516 and N − 4. */
export const LLAMA_SERVER_CHECKPOINTS: LlamaServerRule = llamaServerRule(2048, 512);

/** A version as major, minor, patch (a pre-release or build suffix after `-` or `+` ignored); null for anything else, or a source build's 0.0.0. */
export function parseVersion(version: string | null | undefined): readonly [number, number, number] | null {
  const m = /^\s*v?(\d+)\.(\d+)(?:\.(\d+))?(?=$|[-+\s])/.exec(version ?? '');
  if (m === null) return null;
  const parts = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] as const;
  // Ollama built from source reports 0.0.0: it says nothing about the engine.
  return parts.every((p) => p === 0) ? null : parts;
}

/** Ollama before 0.30 ran hybrid models on its Go engine; 0.30 (and each of its pre-releases) on llama-server. */
export function ollamaRunsGoEngine(version: string | null | undefined): boolean {
  const v = parseVersion(version);
  return v !== null && v[0] === 0 && v[1] < 30;
}

/**
 * The rule a hybrid model's cache follows on this backend, for the estimate;
 * null for a model that is not hybrid or a backend whose rule is not known.
 * Ollama: the Go engine's before 0.30, llama-server's with Ollama's batch from
 * 0.30 on, and when the version is unknown (a source build, or not yet asked):
 * every release since May 2026 runs llama-server. llama-server itself: its
 * defaults (its usage carries cache figures, so there the estimate only stands
 * in when they are missing). vLLM, SGLang and LM Studio keep recurrent state
 * their own ways: none is assumed.
 */
export function checkpointRuleFor(hybrid: boolean, backend: string | null, version: string | null = null): CheckpointRule | null {
  if (!hybrid) return null;
  if (backend === 'ollama') return ollamaRunsGoEngine(version) ? GO_ENGINE_CHECKPOINTS : OLLAMA_CHECKPOINTS;
  if (backend === 'llama-server') return LLAMA_SERVER_CHECKPOINTS;
  return null;
}

/** How a request reads its prompt: its batches' ends, and where checkpoints are taken (tokens the state then holds). */
export interface ReadPlan {
  readonly ends: readonly number[];
  /** Ascending; each is taken when the state stands there, before the next batch is read. */
  readonly checkpoints: readonly number[];
}

interface Entry {
  readonly n: number;
  /** The request that made it (llama-server thins other requests' checkpoints). */
  readonly task: number;
}

/** One slot's checkpoints, under either rule. Cloneable, so a saved slot can carry them. */
export class CheckpointRing {
  /** Ascending by position, which is also the order they were made in (a restore drops every later one). */
  private entries: Entry[] = [];
  /** The Go engine's last checkpoint (or restore point), from which its interval counts; −1: none. */
  private last = -1;
  private task = 0;

  constructor(readonly rule: CheckpointRule) {}

  /** Checkpoints held now, in tokens, ascending. */
  get positions(): readonly number[] {
    return this.entries.map((e) => e.n);
  }

  /**
   * How many tokens a prompt keeps that shares `common` tokens with a slot
   * holding `held`; `common` must already leave the prompt's last token to be
   * evaluated (at most its length − 1), as both engines do. At least `held`:
   * the prompt extends the slot, all of `common`. Else the newest checkpoint
   * at or before `common`, exactly its tokens, dropping later ones; none:
   * nothing, and the slot starts afresh.
   */
  restore(held: number, common: number): number {
    if (common >= held) {
      this.dropAfter(common);
      return common;
    }
    let best = -1;
    for (const e of this.entries) if (e.n <= common) best = e.n;
    if (best < 0) {
      this.reset();
      return 0;
    }
    this.dropAfter(best);
    this.last = best;
    return best;
  }

  /** The batches and checkpoints of a request that reads a prompt of `to` tokens from `from`, under the ring as it stands. */
  plan(from: number, to: number): ReadPlan {
    if (this.rule.kind === 'go-engine') {
      const ends: number[] = [];
      const checkpoints: number[] = [];
      let last = this.last;
      for (let at = from; at < to; ) {
        at = Math.min(at + this.rule.batch, to);
        ends.push(at);
        if (at - 1 >= this.rule.minPos && (last < 0 || at - last >= this.rule.interval)) {
          checkpoints.push(at);
          last = at;
        }
      }
      return { ends, checkpoints };
    }
    const cuts = this.rule.nearEnd.map((o) => to - o);
    const ends: number[] = [];
    for (let at = from; at < to; ) {
      const end = Math.min(at + this.rule.batch, to);
      at = cuts.find((c) => c > at && c < end) ?? end;
      ends.push(at);
    }
    // Only when the request reads from there on, and only on a state that holds something (pos_min ≥ 0).
    return { ends, checkpoints: cuts.filter((c) => c >= from && c > 0) };
  }

  /**
   * Records the checkpoints of a request that reads a prompt of `to` tokens
   * from `from` (see `plan`); one cancelled at a batch boundary `until` keeps
   * those taken before it. Returns them.
   */
  evaluate(from: number, to: number, until = to): number[] {
    this.task++;
    const made = this.plan(from, to).checkpoints.filter((c) => c < until || until === to);
    for (const n of made) this.add(n);
    return made;
  }

  /**
   * Records the checkpoints made while the answer's positions [from, to) are
   * generated, one token a pass: the Go engine's interval goes on; llama-server
   * makes none.
   */
  generated(from: number, to: number): number[] {
    if (this.rule.kind !== 'go-engine') return [];
    const made: number[] = [];
    for (let at = from + 1; at <= to; at++) {
      if (at - 1 >= this.rule.minPos && (this.last < 0 || at - this.last >= this.rule.interval)) {
        this.add(at);
        made.push(at);
      }
    }
    return made;
  }

  /** An independent copy (to try a restore without changing this ring, or to save a slot with its checkpoints). */
  clone(): CheckpointRing {
    const copy = new CheckpointRing(this.rule);
    copy.entries = [...this.entries];
    copy.last = this.last;
    copy.task = this.task;
    return copy;
  }

  reset(): void {
    this.entries = [];
    this.last = -1;
  }

  private add(n: number): void {
    const rule = this.rule;
    if (rule.count <= 0) return;
    if (rule.kind === 'llama-server') {
      // create_checkpoint(): walking oldest to newest, another request's checkpoint within min-step of the
      // previous one kept goes (b10488 does this on every creation; #28302 later waits until the list is full).
      let kept = -1;
      this.entries = this.entries.filter((e) => {
        if (e.task !== this.task && kept >= 0 && e.n <= kept + rule.minStep) return false;
        kept = e.n;
        return true;
      });
    }
    while (this.entries.length >= rule.count) this.entries.shift();
    this.entries.push({ n, task: this.task });
    this.last = n;
  }

  /** Checkpoints past `n` hold what no longer matches: they go. */
  private dropAfter(n: number): void {
    if (this.entries.some((e) => e.n > n)) {
      this.entries = this.entries.filter((e) => e.n <= n);
      this.last = n;
    }
  }
}
