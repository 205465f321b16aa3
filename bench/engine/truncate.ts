// What Ollama does with a prompt longer than the context, in its two steps,
// followed from ollama/ollama (fb30760, Aug 2026); the engine can instead
// refuse such a prompt (a 400), as llama-server does without context shift.
// 1. server/prompt.go chatPrompt: drop whole messages from the front, keeping
//    the system messages among the dropped ones (moved before the rest), until
//    the rendered prompt's tokens are at most num_ctx; the last message always stays.
// 2. llm/llama_server.go completionPromptForRequest: a prompt still longer than
//    num_ctx − 1 tokens keeps its first num_keep tokens (4 by default, one more
//    when the tokenizer adds BOS) and drops the middle, down to
//    num_ctx − max((num_ctx − num_keep) / 2, 1) tokens (contextShiftPromptLimit).
// Neither step tells the client: the answer comes back as if nothing were cut.
import type { Token } from './llama.js';

export type Overflow = 'truncate' | 'refuse';

/** api.DefaultOptions().NumKeep. */
export const NUM_KEEP = 4;

export interface Fitted<M> {
  readonly messages: readonly M[];
  /** Messages dropped from the front (their system messages kept). */
  readonly dropped: number;
  /** The kept messages' prompt, tokenized. */
  readonly tokens: readonly Token[];
}

/** Step 1: the messages chatPrompt keeps so their rendered prompt fits `numCtx` tokens. */
export function fitMessages<M extends { readonly role: string }>(
  messages: readonly M[],
  tokenize: (kept: readonly M[]) => readonly Token[],
  numCtx: number,
): Fitted<M> {
  for (let i = 0; ; i++) {
    const kept = [...messages.slice(0, i).filter((m) => m.role === 'system'), ...messages.slice(i)];
    const tokens = tokenize(kept);
    if (i >= messages.length - 1 || tokens.length <= numCtx) return { messages: kept, dropped: i, tokens };
  }
}

/** Step 2: the prompt's tokens with the middle cut out when it is still too long. */
export function cutMiddle(prompt: readonly Token[], numCtx: number, numKeep = NUM_KEEP): readonly Token[] {
  if (numCtx <= 1 || prompt.length <= numCtx - 1) return prompt;
  const keep = Math.min(numKeep, numCtx - 1);
  const limit = numCtx - Math.max(Math.floor((numCtx - keep) / 2), 1);
  const discard = prompt.length - limit;
  return [...prompt.slice(0, keep), ...prompt.slice(keep + discard)];
}
