import { estimateCacheRead } from '../diagnostics/cache-usage.js';

/** Token counts a backend reported for one call, as seen in its response. */
export interface ObservedUsage {
  inputTokens: number | null;
  outputTokens: number | null;
  /** The backend's own cache figures, where its usage carries them (vLLM, the real-engine bench). */
  cacheReadTokens?: number | null;
  cacheCreationTokens?: number | null;
}

/** Maps the backend's usage to one that also states the estimated cache hit. */
export type UsageRewriter = (usage: Record<string, unknown>) => Record<string, unknown>;

/**
 * Claude Code reads cache_read_input_tokens to show the hit ratio. The three
 * input figures must still sum to what the backend processed, so the estimate
 * is moved out of input_tokens rather than added on top.
 */
export function cacheUsageRewriter(reuse: () => number): UsageRewriter {
  return (usage) => {
    // The backend measured its own cache: its figures pass through untouched.
    if (typeof usage.input_tokens !== 'number' || typeof usage.cache_read_input_tokens === 'number') return usage;
    const { cacheRead, input } = estimateCacheRead(usage.input_tokens, reuse());
    return { ...usage, input_tokens: input, cache_creation_input_tokens: 0, cache_read_input_tokens: cacheRead };
  };
}

/**
 * Notes a usage object the backend sent and returns it as it should go on to
 * the client: rewritten when a rewriter is given, else the same object.
 */
export function takeUsage(observed: ObservedUsage, rewrite: UsageRewriter | null, usage: Record<string, unknown>): Record<string, unknown> {
  noteUsage(observed, usage);
  return rewrite ? rewrite(usage) : usage;
}

function noteUsage(observed: ObservedUsage, usage: unknown): void {
  if (usage === null || typeof usage !== 'object') return;
  const u = usage as Record<string, unknown>;
  if (typeof u.input_tokens === 'number') observed.inputTokens = u.input_tokens;
  if (typeof u.output_tokens === 'number' && (u.output_tokens > 0 || observed.outputTokens === null)) observed.outputTokens = u.output_tokens;
  if (typeof u.cache_read_input_tokens === 'number') observed.cacheReadTokens = u.cache_read_input_tokens;
  if (typeof u.cache_creation_input_tokens === 'number') observed.cacheCreationTokens = u.cache_creation_input_tokens;
}
