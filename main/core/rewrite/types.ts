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
  /** Which rule fired, for logs (`billing-block-dropped`, `billing-line-normalized`, ...). */
  readonly rule: string | null;
}
