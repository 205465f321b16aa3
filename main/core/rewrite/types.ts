import type { MemberSpan } from './json-scan.js';

/** How the billing block at byte 0 of Claude Code's system prompt is treated. */
export type RewriteMode = 'drop' | 'normalize' | 'off';

export const REWRITE_MODES: readonly RewriteMode[] = ['drop', 'normalize', 'off'];

export interface RewriteResult {
  /** The bytes to forward: the very same Buffer when nothing changed. */
  readonly body: Buffer;
  /**
   * Where the top-level members of `body` lie, when the rewrite read it and
   * found one well-formed JSON object; null when it did not read it.
   */
  readonly members: readonly MemberSpan[] | null;
  readonly changed: boolean;
  /** Which rule fired, for logs (`billing-block-dropped`, `billing-line-normalized`, ...). */
  readonly rule: string | null;
}
