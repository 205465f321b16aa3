// Cache diagnostics: pure prompt rendering, prefix tracking per conversation
// and per backend slot, named causes for every miss, and the usage and
// token estimates Ollama does not provide.
export type { PromptLayout, RenderedPrompt, TextSpan } from './render.js';
export { pathAt, renderPrompt } from './render.js';
export { conversationKey, shortSessionId } from './conversation-key.js';
export type { CacheTrackerOptions, Observation, ObserveInput, TrackerStats } from './tracker-types.js';
export { CacheTracker } from './tracker.js';
export { EXCERPT_CHARS, MISS_MIN_LOST_CHARS } from './bust.js';
export type { RemedyContext } from './remedies.js';
export { BILLING_REMEDIES, REMEDIES, remedyFor, slotEvictedRemedy } from './remedies.js';
export type { CacheUsageEstimate } from './cache-usage.js';
export { estimateCacheRead } from './cache-usage.js';
export type { TokenCalibratorOptions } from './token-calibrator.js';
export { DEFAULT_CHARS_PER_TOKEN, TokenCalibrator } from './token-calibrator.js';
export { callLabel, formatExplainLine, reuseSummary } from './explain.js';
export { startsUserTurn } from './turns.js';
