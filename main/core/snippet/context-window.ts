// What Claude Code must be told about a local model's context window, and
// whether its prompt fits at all. Pure: the snippet, the menu, the Activity
// page's snippet panel and the CLI all decide with these functions.
import { DEFAULT_CHARS_PER_TOKEN } from '../diagnostics/token-calibrator.js';
import { thousands as n } from '../number-format.js';
import type { KnownWindow } from '../backends/model-window.js';


/**
 * The client variables that carry the window. Measured on the real clients
 * (docs/claude-code-context.md): 2.1.332 takes its window and its compaction
 * point from CLAUDE_CODE_MAX_CONTEXT_TOKENS; CLAUDE_CODE_AUTO_COMPACT_WINDOW
 * has a 100k floor and leaves the window at 1M, so it does not help a local
 * model. Should a later client need more, it is one more entry here.
 */
export const CONTEXT_WINDOW_VARIABLES: readonly string[] = ['CLAUDE_CODE_MAX_CONTEXT_TOKENS'];
export const OUTPUT_TOKENS_VARIABLE = 'CLAUDE_CODE_MAX_OUTPUT_TOKENS';

/** Claude Code's default maximum output. */
export const CLIENT_DEFAULT_OUTPUT_TOKENS = 32_000;
/** The client reserves at most this much of its maximum output below the window. */
const OUTPUT_RESERVE_CAP = 20_000;
/** And keeps this buffer on top (its /context "Autocompact buffer" is the two together). */
const COMPACTION_BUFFER_TOKENS = 13_000;
/** 4,096 was measured to let --bare through at 8,192 tokens, and is still room for a tool call that writes a file. */
const MIN_OUTPUT_TOKENS = 4096;

/**
 * Where the client compacts: window − min(output, 20,000) − 13,000 tokens
 * (2.1.332, measured from /context and from long sessions). Below zero it
 * compacts on every turn.
 */
export function compactionPoint(windowTokens: number, outputTokens: number | null): number {
  return windowTokens - Math.min(outputTokens ?? CLIENT_DEFAULT_OUTPUT_TOKENS, OUTPUT_RESERVE_CAP) - COMPACTION_BUFFER_TOKENS;
}

/**
 * The output size to give the client, or null to leave its default. The
 * output reserve moves the compaction point, so it is capped to keep at least
 * half the window for the conversation: the largest power of two up to
 * window / 2 − 13,000, but never below 4,096. From about 66,000 tokens the
 * default reserve fits in that half and is left alone. So 8,192 and 32,768 get
 * 4,096 (32,768 with the default output compacts on every turn), 65,536 gets
 * 16,384.
 */
export function outputTokensFor(windowTokens: number): number | null {
  const room = windowTokens / 2 - COMPACTION_BUFFER_TOKENS;
  if (room >= OUTPUT_RESERVE_CAP) return null;
  return Math.max(MIN_OUTPUT_TOKENS, room >= 1 ? 2 ** Math.floor(Math.log2(room)) : 0);
}

/**
 * Claude Code's fixed prompt, rendered as the backend reads it (system
 * prompt, tool definitions and the first turn's inline context), in
 * characters, from the first call of the recorded sessions
 * (test/fixtures/recordings/): --bare from 2.1.139 `-p --bare`, full from
 * 2.1.332 `-p` (12 tools; 2.1.139 sent 23 and twice the size, but it ignores
 * the window variable anyway). A test measures both again, so these cannot
 * drift from the recordings.
 */
export const CLAUDE_CODE_FIXED_CHARS = { bare: 3_403, full: 47_333 } as const;

/** The fixed prompt in tokens, by the proxy's own chars→tokens estimate. */
export function fixedPromptTokens(bare: boolean): number {
  return Math.ceil(CLAUDE_CODE_FIXED_CHARS[bare ? 'bare' : 'full'] / DEFAULT_CHARS_PER_TOKEN);
}

/** Room for several turns of conversation before the client compacts. */
export const CONVERSATION_ROOM_TOKENS = 8192;

export type WindowFit = 'fits' | 'bare-only' | 'too-small';

/** Whether Claude Code can work in this window: its fixed prompt and some conversation below its compaction point. */
export function windowFit(windowTokens: number, bare: boolean): WindowFit {
  const point = compactionPoint(windowTokens, outputTokensFor(windowTokens));
  const fits = (asBare: boolean): boolean => fixedPromptTokens(asBare) + CONVERSATION_ROOM_TOKENS <= point;
  if (fits(bare)) return 'fits';
  return !bare && fits(true) ? 'bare-only' : 'too-small';
}

/** The smallest power-of-two window the prompt fits in. */
function windowNeeded(bare: boolean): number {
  let tokens = 4096;
  while (windowFit(tokens, bare) !== 'fits') tokens *= 2;
  return tokens;
}

/** Estimates, so shown to the hundred. */
function about(tokens: number): string {
  return n(Math.round(tokens / 100) * 100);
}

/**
 * A plain warning when Claude Code cannot work in the window, saying how big
 * its fixed part is, what to raise and when --bare would do; null when it fits.
 */
export function windowWarning(window: KnownWindow, model: string, bare: boolean): string | null {
  const fit = windowFit(window.tokens, bare);
  if (fit === 'fits') return null;
  const point = compactionPoint(window.tokens, outputTokensFor(window.tokens));
  const where = point <= 0 ? 'which here is below zero, so it would compact on every turn' : `which here is ${n(point)} tokens`;
  const raise = `raise the context to ${n(windowNeeded(bare))} tokens or more (OLLAMA_CONTEXT_LENGTH, num_ctx, llama-server -c) and reload the model, or set the Context window setting (--context-tokens) if the backend's figure is wrong`;
  const head = `The ${n(window.tokens)}-token context window of ${model} is too small for Claude Code${bare ? ' even with --bare' : ''}: `
    + `it compacts its conversation at the window minus its output reserve and a 13,000-token buffer, ${where}, `
    + `and its system prompt and tools alone are about ${about(fixedPromptTokens(bare))} tokens.`;
  if (fit === 'bare-only') return `${head} With --bare they are about ${about(fixedPromptTokens(true))} tokens and fit: turn on --bare, or ${raise}.`;
  return `${head} To use it, ${raise}.`;
}

/** The same verdict in a few words, for a menu item. */
export function windowMenuLabel(window: KnownWindow, bare: boolean): string | null {
  const fit = windowFit(window.tokens, bare);
  if (fit === 'fits') return null;
  const size = `${n(window.tokens)}-token window`;
  if (fit === 'bare-only') return `⚠ ${size} is too small for Claude Code's full prompt: use --bare, or raise the model's context`;
  return `⚠ ${size} is too small for Claude Code${bare ? ' even with --bare' : ''}: raise the model's context`;
}
