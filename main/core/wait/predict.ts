// How long a call should wait for its first token: the tokens the backend
// must prefill (the prompt minus what its cache holds) at the rate measured
// on earlier uncached calls of the same model. Pure, so a bench can hold it
// against a real engine's times with the same arithmetic the proxy uses.
import { meanContext, type PrefillRate } from './prefill-rate.js';

/** Predicted time to first token in ms, or null while no rate is known. */
export function predictPrefillMs(promptTokens: number, reusedTokens: number, rate: PrefillRate | null): number | null {
  if (rate === null || !(rate.tokensPerMs > 0)) return null;
  const toPrefill = Math.max(0, promptTokens - Math.min(reusedTokens, promptTokens));
  const c = rate.context;
  if (c === undefined) return Math.round(toPrefill / rate.tokensPerMs);
  const reused = promptTokens - toPrefill;
  return Math.round(toPrefill * (c.baseMsPerToken + c.perContextMsPerToken * meanContext(toPrefill, reused)));
}
