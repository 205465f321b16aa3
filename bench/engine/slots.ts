// N cache slots (llama.cpp sequences) with exact prefix reuse: each call goes
// to the slot llama-server would give it (diagnostics/slot-choice.ts: the
// largest shared prefix above a tenth of the prompt, else the least recently
// used slot), keeps exactly that prefix, erases only the tail, and evaluates the rest.
// (`adaptStateToTokens` would shift the cache by default, which is not exact.)
// A prompt is evaluated a batch at a time, and a call whose client left stops
// between two batches, keeping in its slot what it evaluated (see runNow).
// A hybrid family's runner adds its checkpoint rule (checkpoints.ts). On the
// dense model underneath, which could keep any prefix, the rule alone decides
// how much; on a real hybrid model (hybrid-model.ts) the rule decides where
// checkpoints are taken, and the recurrent state really goes back to them.
// With a prompt cache (llama-server's `--cache-ram`, which Ollama 0.30+ leaves
// at 8 GiB), a slot a call would mostly throw away is first saved to a state
// file, and a saved state that serves the call better is loaded into the slot
// (diagnostics/prompt-cache.ts decides; see saveAndLoad).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointRing, type CheckpointRule } from '../../main/core/diagnostics/checkpoints.js';
import type { LlamaContext, LlamaModel, LlamaSequence, Token } from './llama.js';
import { chooseSlot } from '../../main/core/diagnostics/slot-choice.js';
import { PromptCache, savesSlot, type PromptCacheLimits } from '../../main/core/diagnostics/prompt-cache.js';

export function commonPrefixLength(a: readonly Token[], b: readonly Token[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/**
 * Tokens per forward pass: Ollama's `num_batch` (512), which it hands
 * llama-server as `-b` and `-ub` (llm/llama_server.go appendBatchArgs). A hybrid
 * family's rule names its own (its checkpoints fall on batch ends).
 */
export const PROMPT_BATCH = 512;

/** Checkpoints a real hybrid model's sequence keeps: the rule's (at most 32) and older ones, for 100 or so calls. */
const SEQUENCE_CHECKPOINTS = 256;

/** Why an answer ended: `cancelled` when its client left before the prompt was read. */
export type Ending = 'max_tokens' | 'end_turn' | 'cancelled';

/** How far a call's prompt got; the engine updates it as it evaluates. */
export interface PromptProgress {
  /** Prompt tokens evaluated so far (a checkpoint restore's re-reading included); `evaluated` once done. */
  readonly evaluated: number;
  /** True when the call stopped before its prompt's end because its client left. */
  readonly cancelled: boolean;
}

/** A slot saved to the prompt cache: its state file and what travels with it. */
interface SavedSlot {
  readonly file: string;
  readonly tokens: readonly Token[];
  /** The checkpoint ring as it stood (llama-server saves a slot's checkpoints with its state). */
  readonly ring: CheckpointRing | null;
  /** Where the slot's prompt ended (the recurrent state's place on a real hybrid model). */
  readonly promptEnd: number;
}

/** A runner's prompt cache: its limits and the directory its state files go to (removed on dispose). */
export interface PromptCacheOptions {
  readonly limits: PromptCacheLimits;
  readonly dir: string;
}

/** What the prompt cache did when a call took its slot. */
export interface CacheMove {
  /** Tokens of the slot's previous content saved to RAM (0: not saved, or already held). */
  readonly saved: number;
  /** Tokens of a saved state loaded into the slot for this call (0: none). */
  readonly restored: number;
}

export interface Completion {
  readonly slot: number;
  readonly cache: CacheMove;
  /** Tokens of the prompt to evaluate now (all of them, unless the call is cancelled). */
  readonly evaluated: number;
  /** Tokens of the prompt taken from the slot's cache. */
  readonly reused: number;
  readonly progress: PromptProgress;
  /** Sampled tokens, as text pieces; ends after `maxTokens`, at end of sequence, or at once when cancelled. */
  readonly pieces: AsyncGenerator<string, Ending, void>;
}

/** Whether the call's client is gone, as the server has noticed it; asked before each batch. */
export type StopCheck = () => boolean;

export class ContextTooSmall extends Error {}

/** Work that takes turns: one llama.cpp process on a 2-core machine serves one call at a time. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.tail.then(work);
    this.tail = turn.catch(() => undefined);
    return turn;
  }
}

export class SlotEngine {
  private readonly sequences: LlamaSequence[];
  private readonly rings: (CheckpointRing | null)[];
  /** Each slot's last prompt length: where a real model's recurrent state would stand (see runNow). */
  private readonly promptEnds: number[];
  private readonly lastUsed: number[];
  /** Tokens per forward pass: a cancel is handled between two. */
  private readonly batch: number;
  private readonly cache: PromptCache<SavedSlot> | null;
  private files = 0;
  private clock = 0;

  constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    slots: number,
    private readonly serial = new Serial(),
    private readonly rule: CheckpointRule | null = null,
    private readonly promptCache: PromptCacheOptions | null = null,
  ) {
    const checkpoints = rule;
    // A real hybrid model's sequences keep the rule's checkpoints (taken between batches), none of their own.
    // They keep more than the rule: llama-server keeps a slot's oldest checkpoint while it thins later ones,
    // and node-llama-cpp drops the oldest first; extra ones are never restored to (the rule restores to its
    // own, which the sequence then holds exactly).
    const options = checkpoints === null ? {} : { checkpoints: { max: SEQUENCE_CHECKPOINTS, interval: false as const } };
    this.sequences = Array.from({ length: slots }, () => context.getSequence(options));
    this.rings = this.sequences.map(() => (checkpoints === null ? null : new CheckpointRing(checkpoints)));
    this.promptEnds = this.sequences.map(() => 0);
    this.lastUsed = this.sequences.map(() => 0);
    this.batch = checkpoints?.batch ?? PROMPT_BATCH;
    this.cache = promptCache === null || promptCache.limits.bytes <= 0 ? null : new PromptCache<SavedSlot>(promptCache.limits);
  }

  /** The prompt cache's entries: tokens and bytes each, oldest first (empty without one). */
  cached(): { tokens: number; bytes: number }[] {
    return (this.cache?.entries ?? []).map((e) => ({ tokens: e.length, bytes: e.bytes }));
  }

  /** The checkpoint positions slot `slot` holds (empty for a dense model). */
  checkpoints(slot: number): readonly number[] {
    return this.rings[slot]?.positions ?? [];
  }

  get contextSize(): number {
    return this.context.contextSize;
  }

  tokenize(text: string): Token[] {
    return this.model.tokenize(text, false);
  }

  /**
   * Runs one completion through `use`, which must finish (or return) the
   * `pieces` generator. Calls are served one at a time (with every runner
   * sharing `serial`), as one llama.cpp process on a 2-core machine does:
   * the next starts when `use` settles. `stop` is asked before each batch of
   * the prompt: once it says the client is gone, the call ends there.
   */
  async run<T>(prompt: readonly Token[], maxTokens: number, use: (c: Completion) => Promise<T>, stop: StopCheck = () => false): Promise<T> {
    return this.serial.run(() => this.runNow(prompt, maxTokens, use, stop));
  }

  /** Frees this runner's context (its KV cache); the model stays loaded. */
  async dispose(): Promise<void> {
    await this.context.dispose();
    this.cache?.clear();
    if (this.promptCache !== null) rmSync(this.promptCache.dir, { recursive: true, force: true });
  }

  /**
   * At slot assignment, as llama-server's get_available_slot does with its
   * prompt cache: a slot the prompt would mostly throw away (prompt-cache.ts
   * savesSlot) is saved, unless an entry already holds it, and the entry that
   * serves the prompt better than the slot is loaded into it and leaves the cache.
   *
   * node-llama-cpp saves a sequence's state without its checkpoints ("TODO: save
   * checkpoints to disk" in saveStateToFile), so on a real hybrid model a loaded
   * state can go back to no earlier position: the slot is cut back to its
   * prompt's end before it is saved (restoring the prompt-end checkpoint; our
   * junk answer would be dropped by the next call anyway), and after a load its
   * ring starts empty. On the dense model (and the stand-in reading it under a
   * hybrid rule) the ring travels with the state, as llama-server's checkpoints do.
   */
  private async saveAndLoad(slot: number, prompt: readonly Token[]): Promise<CacheMove> {
    const cache = this.cache;
    const sequence = this.sequences[slot]!;
    if (cache === null || !savesSlot(sequence.contextTokens.length, commonPrefixLength(sequence.contextTokens, prompt), prompt.length)) return { saved: 0, restored: 0 };
    const real = this.rings[slot] !== null && sequence.needsCheckpoints;
    let saved = 0;
    const before = sequence.contextTokens.slice();
    if (cache.wouldSave(before.length, (e) => commonPrefixLength(e.tokens, before))) {
      const promptEnd = this.promptEnds[slot]!;
      if (real && sequence.nextTokenIndex > promptEnd) await sequence.eraseContextTokenRanges([{ start: promptEnd, end: sequence.nextTokenIndex }]);
      const tokens = sequence.contextTokens.slice();
      const file = join(this.promptCache!.dir, `state-${++this.files}.bin`);
      const { fileSize } = await sequence.saveStateToFile(file);
      const entry = { file, tokens, ring: this.rings[slot]?.clone() ?? null, promptEnd };
      this.free(cache.add({ value: entry, length: tokens.length, bytes: fileSize }, (other) => commonPrefixLength(other.tokens, tokens)));
      saved = tokens.length;
    }
    const held = sequence.contextTokens;
    const entry = cache.take(held.length, commonPrefixLength(held, prompt), prompt.length, (e) => commonPrefixLength(e.tokens, prompt));
    let restored = 0;
    if (entry !== null) {
      const { file, ring, promptEnd } = entry.value;
      // Clearing first drops the checkpoints node-llama-cpp holds for what the slot held: they are not the loaded state's.
      await sequence.clearHistory();
      await sequence.loadStateFromFile(file, { acceptRisk: true });
      rmSync(file, { force: true });
      this.rings[slot] = real || ring === null ? (this.rule === null ? null : new CheckpointRing(this.rule)) : ring;
      this.promptEnds[slot] = promptEnd;
      restored = entry.length;
    }
    this.free(cache.trim());
    return { saved, restored };
  }

  private free(dropped: readonly SavedSlot[]): void {
    for (const d of dropped) rmSync(d.file, { force: true });
  }

  /**
   * One call, as llama-server serves it behind Ollama 0.30 and later. Its
   * update_slots() adds at most one batch of a slot's prompt per pass
   * (tools/server/server-context.cpp, "add prompt tokens for processing in the
   * current batch", pushing each token onto slot.prompt.tokens), and its loop
   * handles queued tasks between two passes (server-queue.cpp start_loop:
   * process_new_tasks, then update_slots). A client that leaves gets a cancel
   * task, posted to the front of the queue (server_response_reader::stop), which
   * releases the slot (SERVER_TASK_TYPE_CANCEL → slot.release()). release()
   * keeps slot.prompt.tokens, whose KV cells hold every batch decoded so far;
   * the next task takes its longest common prefix with them. So a cancelled
   * call stops at a batch boundary and its slot holds the prompt up to there;
   * a call cancelled while it waited for its turn never touches a slot (the
   * cancel removes a queued task: server_queue::cleanup_pending_task).
   */
  private async runNow<T>(prompt: readonly Token[], maxTokens: number, use: (c: Completion) => Promise<T>, stop: StopCheck): Promise<T> {
    if (prompt.length === 0) throw new ContextTooSmall('the prompt is empty');
    // The prompt must leave room for one token, as llama-server's (num_ctx − 1);
    // the answer stops where the context ends.
    if (prompt.length >= this.context.contextSize) {
      throw new ContextTooSmall(`the prompt of ${prompt.length} tokens is longer than the context of ${this.context.contextSize}`);
    }
    const room = Math.min(maxTokens, this.context.contextSize - prompt.length);
    const slot = chooseSlot(this.sequences.map((s) => (s.contextTokens.length === 0 ? null : commonPrefixLength(s.contextTokens, prompt))), this.lastUsed, prompt.length);
    if (stop()) return use(cancelledBeforeStart(slot));
    const cache = await this.saveAndLoad(slot, prompt);
    const sequence = this.sequences[slot]!;
    const ring = this.rings[slot]!;
    this.lastUsed[slot] = ++this.clock;
    // At least one token must be evaluated to sample from, as llama-server does.
    const common = Math.min(commonPrefixLength(sequence.contextTokens, prompt), prompt.length - 1);
    // Our answers are junk, so the next prompt (which carries the answer as the client got it back, rendered)
    // parts from the cache right where the answer began. A real model's answer renders back as it was
    // generated, and its recurrent state needs no restore there: a divergence inside our answer counts as
    // extending the cache (the slot is taken to hold the prompt only). llama-server, whose slot holds the
    // answer too, would see a prompt that parts inside it and restore the N − 4 checkpoint: 4 tokens fewer.
    // A real recurrent state holds our answer too, so it goes back to the prompt's end, where the last batch
    // kept a named checkpoint for this.
    const cached = this.promptEnds[slot]!;
    const real = ring !== null && sequence.needsCheckpoints;
    const shared = real && common > cached && sequence.nextTokenIndex > common ? cached : common;
    const kept = ring === null ? shared : ring.restore(cached, shared);
    const promptEnds = this.promptEnds;
    promptEnds[slot] = prompt.length;
    const before = evaluatedSoFar(sequence);
    if (sequence.nextTokenIndex > kept) await sequence.eraseContextTokenRanges([{ start: kept, end: sequence.nextTokenIndex }]);
    // What llama.cpp re-read to bring a recurrent state back to `kept`: none when a checkpoint stands
    // exactly there, as the rule's do; counted, so the figures stay true if one does not.
    const reused = kept - (evaluatedSoFar(sequence) - before);
    const progress = { evaluated: kept - reused, cancelled: false };
    // The rule's batches (llama-server breaks them where it takes its checkpoints near the end) and checkpoints.
    const plan = ring?.plan(kept, prompt.length) ?? { ends: batchEnds(kept, prompt.length, this.batch), checkpoints: [] };
    const marks = new Set(real ? plan.checkpoints : []);
    const model = this.model;
    async function* pieces(): AsyncGenerator<string, Ending, void> {
      let at = kept;
      for (const end of plan.ends) {
        if (stop()) {
          // The slot keeps what was evaluated, and the checkpoints taken so far; a real recurrent state stands there too.
          promptEnds[slot] = at;
          ring?.evaluate(kept, prompt.length, at);
          progress.cancelled = true;
          return 'cancelled';
        }
        // A checkpoint of the state where it stands, before the next batch is read (llama-server's create_checkpoint
        // runs before llama_decode; the Go engine's after the batch before, which is the same state).
        if (marks.has(at)) await sequence.takeCheckpoint();
        if (end === prompt.length) break;
        await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(at, end));
        progress.evaluated += end - at;
        at = end;
      }
      ring?.evaluate(kept, prompt.length);
      // The last batch holds the prompt's last token, whose logits are sampled.
      progress.evaluated += prompt.length - at;
      const generated: Token[] = [];
      const iterator = real ? lastBatchHybrid(sequence, prompt.slice(at), marks.has(prompt.length)) : sequence.evaluate(prompt.slice(at), { temperature: 0 });
      // Checkpoints the rule makes while answering (the Go engine's; llama-server makes none), each taken once
      // its position has been evaluated.
      const due: number[] = [];
      try {
        for await (const token of iterator) {
          if (token === 2) return 'end_turn';
          while (real && due.length > 0 && due[0]! <= sequence.nextTokenIndex) {
            if (due.shift() === sequence.nextTokenIndex) await sequence.takeCheckpoint();
          }
          due.push(...(ring?.generated(prompt.length + generated.length, prompt.length + generated.length + 1) ?? []));
          yield model.detokenize([token], false, generated);
          generated.push(token);
          if (generated.length >= room) return 'max_tokens';
        }
        return 'end_turn';
      } finally {
        await iterator.return();
      }
    }
    return use({ slot, cache, evaluated: prompt.length - reused, reused, progress, pieces: pieces() });
  }
}

/** Batches of `batch` tokens over [from, to): their ends. */
function batchEnds(from: number, to: number, batch: number): number[] {
  const ends: number[] = [];
  for (let at = from; at < to; ) ends.push((at = Math.min(at + batch, to)));
  return ends;
}

/** A call whose client left before its turn: nothing evaluated, no slot touched. */
function cancelledBeforeStart(slot: number): Completion {
  // eslint-disable-next-line require-yield
  async function* none(): AsyncGenerator<string, Ending, void> {
    return 'cancelled';
  }
  return { slot, cache: { saved: 0, restored: 0 }, evaluated: 0, reused: 0, progress: { evaluated: 0, cancelled: true }, pieces: none() };
}

function evaluatedSoFar(sequence: LlamaSequence): number {
  return sequence.tokenMeter.usedInputTokens + sequence.tokenMeter.usedOutputTokens;
}

/** The name of the checkpoint kept at each prompt's end on a real hybrid model (one per slot). */
const PROMPT_END = 'prompt end';

/**
 * The last batch of a prompt on a real hybrid model: evaluates `tail` and
 * samples after its last token, taking the rule's checkpoint there if it makes
 * one and the named one at the prompt's end, then yields the sampled tokens as
 * `evaluate` does.
 */
async function* lastBatchHybrid(sequence: LlamaSequence, tail: readonly Token[], checkpointAtEnd: boolean): AsyncGenerator<Token, void, void> {
  const last = tail[tail.length - 1]!;
  const out = await sequence.controlledEvaluate([...tail.slice(0, -1), [last, { generateNext: { token: true, options: { temperature: 0 } } }]]);
  if (checkpointAtEnd) await sequence.takeCheckpoint();
  await sequence._takeNamedCheckpoint(PROMPT_END, 1);
  const first = out[out.length - 1]?.next.token;
  if (first === undefined || first === null) return;
  yield first;
  if (first !== 2) yield* sequence.evaluate([first], { temperature: 0 });
}
