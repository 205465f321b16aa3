// The usage figures Ollama leaves out: Anthropic's usage counts cache reads
// apart from input_tokens, so the estimated reuse moves tokens from one to
// the other and their sum stays what the backend reported.

export interface CacheUsageEstimate {
  /** cache_read_input_tokens */
  readonly cacheRead: number;
  /** input_tokens, lowered by cacheRead. */
  readonly input: number;
}

export function estimateCacheRead(inputTokens: number, reuse: number): CacheUsageEstimate {
  const total = Number.isFinite(inputTokens) && inputTokens > 0 ? Math.round(inputTokens) : 0;
  const fraction = Number.isFinite(reuse) ? Math.min(1, Math.max(0, reuse)) : 0;
  const cacheRead = Math.round(total * fraction);
  return { cacheRead, input: total - cacheRead };
}
