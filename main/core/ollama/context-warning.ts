// A prompt longer than the loaded context window is silently truncated by
// Ollama: the front of the prompt changes every turn, so the cache never hits.
import type { LoadedModel } from './types.js';
import { sameModel } from './model-name.js';

export interface PromptSize {
  readonly model: string;
  readonly tokens: number;
}

export interface ContextShortfall {
  readonly model: string;
  readonly contextLength: number;
  readonly promptTokens: number;
}

/** The shortfall when the prompt's model is loaded with a window that cannot hold it; null otherwise. */
export function contextShortfall(loaded: readonly LoadedModel[], prompt: PromptSize): ContextShortfall | null {
  const entry = loaded.find((m) => sameModel(m.name, prompt.model));
  if (!entry?.contextLength) return null;
  // A prompt that fills the whole window leaves no room for the reply either.
  if (prompt.tokens < entry.contextLength) return null;
  return { model: entry.name, contextLength: entry.contextLength, promptTokens: prompt.tokens };
}

export function contextWarningMessage(s: ContextShortfall): string {
  const n = (value: number): string => value.toLocaleString('en-US');
  return `${s.model} is loaded with a ${n(s.contextLength)}-token context, but the last prompt was about ${n(s.promptTokens)} tokens. `
    + 'Ollama truncates the prompt to fit, which changes its start on every turn and defeats the cache. '
    + 'Raise the context (OLLAMA_CONTEXT_LENGTH, or num_ctx in a Modelfile) and reload the model.';
}
