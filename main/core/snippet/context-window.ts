// What Claude Code must be told about a local model's context window, and
// whether its prompt fits at all. Pure: the snippet, the menu, the Activity
// page's snippet panel and the CLI all decide with these functions.
import { DEFAULT_CHARS_PER_TOKEN } from '../diagnostics/token-calibrator.js';

/** A window figure and where it came from, for the snippet's comment and the menu. */
export interface KnownWindow {
  readonly tokens: number;
  /** e.g. "Ollama's /api/ps for qwen3-coder:30b", "the contextTokens setting". */
  readonly source: string;
}

/**
 * The client variables that carry the window. Claude Code 2.1.332 reads
 * CLAUDE_CODE_MAX_CONTEXT_TOKENS; should CLAUDE_CODE_AUTO_COMPACT_WINDOW prove
 * needed as well, it is one more entry here.
 */
export const CONTEXT_WINDOW_VARIABLES: readonly string[] = ['CLAUDE_CODE_MAX_CONTEXT_TOKENS'];
export const OUTPUT_TOKENS_VARIABLE = 'CLAUDE_CODE_MAX_OUTPUT_TOKENS';

/**
 * From this window up the client's default output reservation was measured
 * to leave room for its full prompt (2.1.332, DESIGN.md §5: 32,768 works with
 * the default; 8,192 refuses even --bare until the output is lowered).
 */
export const DEFAULT_OUTPUT_FITS_FROM = 32_768;
/** Below this an answer would be cut short too often to be useful. */
const MIN_OUTPUT_TOKENS = 1024;

/**
 * The output size to give the client, or null to leave its default. Below
 * 32,768 tokens: a quarter of the window, rounded down to a power of two
 * (8,192 → 2,048, 16,384 → 4,096). The client reserves its maximum output
 * inside the window before it sends anything, so this reservation is what
 * decides whether a prompt "fits"; a quarter leaves three quarters for the
 * conversation, and 2,048 at 8,192 is one of the two values measured to let
 * --bare through.
 */
export function outputTokensFor(windowTokens: number): number | null {
  if (windowTokens >= DEFAULT_OUTPUT_FITS_FROM) return null;
  const quarter = Math.max(MIN_OUTPUT_TOKENS, Math.floor(windowTokens / 4));
  return 2 ** Math.floor(Math.log2(quarter));
}

/**
 * Claude Code's fixed prompt, rendered as the backend reads it (system
 * prompt, tool definitions and a one-word first message), in characters:
 * --bare as captured from `claude -p --bare "hi"` 2.1.139
 * (test/fixtures/claude-code-2.1.139-bare.json), full from the 24-tool body
 * modelled on the same version (test/support/claude-code-bodies.ts). A test
 * measures both again, so these cannot drift from the recordings.
 */
export const CLAUDE_CODE_FIXED_CHARS = { bare: 3_372, full: 74_392 } as const;

/** The fixed prompt in tokens, by the proxy's own chars→tokens estimate. */
export function fixedPromptTokens(bare: boolean): number {
  return Math.ceil(CLAUDE_CODE_FIXED_CHARS[bare ? 'bare' : 'full'] / DEFAULT_CHARS_PER_TOKEN);
}

/** Room the first turns need beyond the fixed prompt before the client would have to compact at once. */
export const CONVERSATION_ROOM_TOKENS = 2048;

export type WindowFit = 'fits' | 'bare-only' | 'too-small';

/** Whether Claude Code can work in this window: its fixed prompt, some conversation, and the output it reserves. */
export function windowFit(windowTokens: number, bare: boolean): WindowFit {
  const reserved = outputTokensFor(windowTokens) ?? 0;
  const fits = (asBare: boolean): boolean => fixedPromptTokens(asBare) + CONVERSATION_ROOM_TOKENS + reserved <= windowTokens;
  if (fits(bare)) return 'fits';
  return !bare && fits(true) ? 'bare-only' : 'too-small';
}

/** The smallest power-of-two window the full prompt fits in. */
function windowNeeded(bare: boolean): number {
  let tokens = 4096;
  while (windowFit(tokens, bare) !== 'fits') tokens *= 2;
  return tokens;
}

function n(value: number): string {
  return value.toLocaleString('en-US');
}

/**
 * A plain warning when Claude Code cannot work in the window, saying how big
 * its fixed part is, what to raise and when --bare would do; null when it fits.
 */
export function windowWarning(window: KnownWindow, model: string, bare: boolean): string | null {
  const fit = windowFit(window.tokens, bare);
  if (fit === 'fits') return null;
  // Estimates, so shown to the hundred.
  const about = (tokens: number): string => n(Math.round(tokens / 100) * 100);
  const fixed = fixedPromptTokens(bare);
  const raise = `raise the context to ${n(windowNeeded(bare))} tokens or more (OLLAMA_CONTEXT_LENGTH, num_ctx, llama-server -c) and reload the model, or set the Context window setting (--context-tokens) if the backend's figure is wrong`;
  const head = `The ${n(window.tokens)}-token context window of ${model} is too small for Claude Code${bare ? ' even with --bare' : ''}: its system prompt and tools alone are about ${about(fixed)} tokens, and it reserves room for its answer.`;
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
