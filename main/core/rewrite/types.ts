/** How the billing block at byte 0 of Claude Code's system prompt is treated. */
export type RewriteMode = 'drop' | 'normalize' | 'off';

export const REWRITE_MODES: readonly RewriteMode[] = ['drop', 'normalize', 'off'];

export interface RewriteResult {
  /** The bytes to forward: the very same Buffer when nothing changed. */
  readonly body: Buffer;
  readonly changed: boolean;
  /** Which rule fired, for logs (`billing-block-dropped`, `billing-line-normalized`, ...). */
  readonly rule: string | null;
}
