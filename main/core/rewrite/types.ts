import type { MemberSpan } from './json-scan.js';

/** How the billing block at byte 0 of Claude Code's system prompt is treated. */
export type RewriteMode = 'drop' | 'normalize' | 'off';

export const REWRITE_MODES: readonly RewriteMode[] = ['drop', 'normalize', 'off'];

export interface RewriteResult {
  /**
   * The bytes to forward, laid end to end (see pieces.ts): the very Buffer
   * received when nothing changed, else views of it around the edits.
   */
  readonly pieces: readonly Buffer[];
  /** The same bytes in one Buffer, joined on first use: the very same Buffer when nothing changed. */
  readonly body: Buffer;
  /**
   * Where the top-level members of the forwarded bytes lie, when the rewrite
   * read them and found one well-formed JSON object; null when it did not.
   */
  readonly members: readonly MemberSpan[] | null;
  readonly changed: boolean;
  /** The rules that fired, in the order they did; none when nothing changed. */
  readonly rules: readonly RewriteRule[];
}

/**
 * Each change the rewrite makes to a body, named as the request log and the
 * status show it.
 */
export type RewriteRule =
  /** A `system` block that held nothing but the billing line went (drop mode). */
  | 'billing-block-dropped'
  /** The billing line at the front of a `system` text went, the rest kept (drop mode). */
  | 'billing-line-dropped'
  /** The billing line's volatile values were frozen (normalize mode). */
  | 'billing-line-normalized'
  /** `role: "system"` entries of `messages` were folded into the conversation. */
  | 'inline-system-folded'
  /** A side call was sent to the side model (`--side-model`). */
  | 'side-model';

/** The rules as one log field: comma-separated, null when none fired. */
export function rulesLabel(rules: readonly RewriteRule[]): string | null {
  return rules.length === 0 ? null : rules.join(',');
}
