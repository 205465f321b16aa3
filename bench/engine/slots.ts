// N cache slots (llama.cpp sequences) with exact prefix reuse: each call goes
// to the slot llama-server would give it (diagnostics/slot-choice.ts: the
// largest shared prefix above a tenth of the prompt, else the least recently
// used slot), keeps exactly that prefix, erases only the tail, and evaluates the rest.
// (`adaptStateToTokens` would shift the cache by default, which is not exact.)
// A hybrid family's runner adds its checkpoint rule (checkpoints.ts). On the
// dense model underneath, which could keep any prefix, the rule alone decides
// how much; on a real hybrid model (hybrid-model.ts) the rule decides where
// checkpoints are taken, and the recurrent state really goes back to them.
import { CheckpointRing, type CheckpointRule } from '../../main/core/diagnostics/checkpoints.js';
import type { LlamaContext, LlamaModel, LlamaSequence, Token } from './llama.js';
import { chooseSlot } from '../../main/core/diagnostics/slot-choice.js';

export function commonPrefixLength(a: readonly Token[], b: readonly Token[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export interface Completion {
  readonly slot: number;
  /** Tokens of the prompt evaluated now. */
  readonly evaluated: number;
  /** Tokens of the prompt taken from the slot's cache. */
  readonly reused: number;
  /** Sampled tokens, as text pieces; ends after `maxTokens` or at end of sequence. */
  readonly pieces: AsyncGenerator<string, 'max_tokens' | 'end_turn', void>;
}

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
  private clock = 0;

  constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    slots: number,
    private readonly serial = new Serial(),
    checkpoints: CheckpointRule | null = null,
  ) {
    // A real hybrid model's sequences keep the rule's checkpoints (taken in evaluateHybrid), none of their own.
    const options = checkpoints === null ? {} : { checkpoints: { max: checkpoints.count, interval: false as const } };
    this.sequences = Array.from({ length: slots }, () => context.getSequence(options));
    this.rings = this.sequences.map(() => (checkpoints === null ? null : new CheckpointRing(checkpoints)));
    this.promptEnds = this.sequences.map(() => 0);
    this.lastUsed = this.sequences.map(() => 0);
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
   * the next starts when `use` settles.
   */
  async run<T>(prompt: readonly Token[], maxTokens: number, use: (c: Completion) => Promise<T>): Promise<T> {
    return this.serial.run(() => this.runNow(prompt, maxTokens, use));
  }

  /** Frees this runner's context (its KV cache); the model stays loaded. */
  async dispose(): Promise<void> {
    await this.context.dispose();
  }

  private async runNow<T>(prompt: readonly Token[], maxTokens: number, use: (c: Completion) => Promise<T>): Promise<T> {
    if (prompt.length === 0) throw new ContextTooSmall('the prompt is empty');
    // The prompt must leave room for one token, as llama-server's (num_ctx − 1);
    // the answer stops where the context ends.
    if (prompt.length >= this.context.contextSize) {
      throw new ContextTooSmall(`the prompt of ${prompt.length} tokens is longer than the context of ${this.context.contextSize}`);
    }
    const room = Math.min(maxTokens, this.context.contextSize - prompt.length);
    const slot = chooseSlot(this.sequences.map((s) => (s.contextTokens.length === 0 ? null : commonPrefixLength(s.contextTokens, prompt))), this.lastUsed, prompt.length);
    const sequence = this.sequences[slot]!;
    const ring = this.rings[slot]!;
    this.lastUsed[slot] = ++this.clock;
    // At least one token must be evaluated to sample from, as llama-server does.
    const common = Math.min(commonPrefixLength(sequence.contextTokens, prompt), prompt.length - 1);
    // Our answers are junk, so the next prompt (which carries the answer as the client got it back, rendered)
    // parts from the cache right where the answer began. A real model's answer renders back as it was
    // generated, and its recurrent state needs no restore there: a divergence inside our answer counts as
    // extending the cache. A real recurrent state holds our answer too, so it goes back to the prompt's end,
    // where evaluateHybrid kept a checkpoint for this.
    const cached = this.promptEnds[slot]!;
    const real = ring !== null && sequence.needsCheckpoints;
    const shared = real && common > cached && sequence.nextTokenIndex > common ? cached : common;
    const kept = ring === null ? shared : ring.restore(cached, shared);
    this.promptEnds[slot] = prompt.length;
    const before = evaluatedSoFar(sequence);
    if (sequence.nextTokenIndex > kept) await sequence.eraseContextTokenRanges([{ start: kept, end: sequence.nextTokenIndex }]);
    // What llama.cpp re-read to bring a recurrent state back to `kept`: none when a checkpoint stands just
    // before it, as the rule's do; counted, so the figures stay true if one does not.
    const reused = kept - (evaluatedSoFar(sequence) - before);
    const marks = ring?.evaluate(kept, prompt.length) ?? [];
    const model = this.model;
    async function* pieces(): AsyncGenerator<string, 'max_tokens' | 'end_turn', void> {
      const generated: Token[] = [];
      const iterator = real ? evaluateHybrid(sequence, prompt, kept, marks) : sequence.evaluate(prompt.slice(kept), { temperature: 0 });
      // Checkpoints the rule makes while answering, each taken once its position has been evaluated.
      const due: number[] = [];
      try {
        for await (const token of iterator) {
          if (token === 2) return 'end_turn';
          while (real && due.length > 0 && due[0]! < sequence.nextTokenIndex) {
            if (due.shift() === sequence.nextTokenIndex - 1) await sequence.takeCheckpoint();
          }
          due.push(...(ring?.evaluate(prompt.length + generated.length, prompt.length + generated.length + 1) ?? []));
          yield model.detokenize([token], false, generated);
          generated.push(token);
          if (generated.length >= room) return 'max_tokens';
        }
        return 'end_turn';
      } finally {
        await iterator.return();
      }
    }
    return use({ slot, evaluated: prompt.length - reused, reused, pieces: pieces() });
  }
}

function evaluatedSoFar(sequence: LlamaSequence): number {
  return sequence.tokenMeter.usedInputTokens + sequence.tokenMeter.usedOutputTokens;
}

/** The name of the checkpoint kept at each prompt's end on a real hybrid model (one per slot). */
const PROMPT_END = 'prompt end';

/**
 * Evaluates `prompt` from `from` on a real hybrid model, taking a checkpoint
 * at each of `marks` (where the rule makes them) and one at the prompt's end,
 * then yields the sampled tokens as `evaluate` does.
 */
async function* evaluateHybrid(sequence: LlamaSequence, prompt: readonly Token[], from: number, marks: readonly number[]): AsyncGenerator<Token, void, void> {
  let at = from;
  for (const mark of marks) {
    if (mark >= prompt.length - 1) break;
    await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(at, mark + 1));
    await sequence.takeCheckpoint();
    at = mark + 1;
  }
  const last = prompt[prompt.length - 1]!;
  const out = await sequence.controlledEvaluate([...prompt.slice(at, -1), [last, { generateNext: { token: true, options: { temperature: 0 } } }]]);
  if (marks.includes(prompt.length - 1)) await sequence.takeCheckpoint();
  await sequence._takeNamedCheckpoint(PROMPT_END, 1);
  const first = out[out.length - 1]?.next.token;
  if (first === undefined || first === null) return;
  yield first;
  if (first !== 2) yield* sequence.evaluate([first], { temperature: 0 });
}
