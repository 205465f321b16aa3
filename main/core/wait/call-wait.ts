// What a call just forwarded will wait for its first token, as the in-flight
// list shows it: the prefill of the tokens its cache lacks, at the rate the
// recent uncached calls of its model measured, after a model load when the
// backend said the model was not loaded. Pure: the proxy calls it once per
// call, after the body has gone upstream.
import type { CallRecord } from '../wire/types.js';
import { prefillRate } from './prefill-rate.js';
import { predictPrefillMs } from './predict.js';

/** The prompt as the diagnostics estimate it. */
export interface PromptEstimate {
  readonly model: string | null;
  readonly promptTokens: number;
  /** How many of them the backend's cache should hold. */
  readonly reusedTokens: number;
}

/** What the backend says of the call's model. */
export interface ModelState {
  /** False when the backend reported the model not loaded; null when unknown. */
  readonly loaded: boolean | null;
  /** How much dearer a prefilled token gets per token of context, from the model's shape; null when unknown. */
  readonly contextCost: number | null;
}

export interface CallWait {
  /** Predicted time to first token; null until a prefill rate has been measured for this model. */
  readonly expectedPrefillMs: number | null;
  /** The wait is a model load first. */
  readonly loadingModel: boolean;
}

/** `recent`: the finished calls, oldest first, that the prefill rate is measured from. */
export function predictCallWait(prompt: PromptEstimate, recent: readonly CallRecord[], model: ModelState): CallWait {
  const rate = prefillRate(recent, prompt.model, model.contextCost);
  return {
    expectedPrefillMs: predictPrefillMs(prompt.promptTokens, prompt.reusedTokens, rate),
    loadingModel: model.loaded === false,
  };
}
