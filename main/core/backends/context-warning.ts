// A prompt longer than the loaded context window is cut (Ollama, LM Studio:
// silently) or refused: either way the cache never hits and the answer is
// wrong. The warning names the engine's own setting to change.
import type { LoadedModel } from './types.js';
import type { BackendProfile } from './profile.js';
import { sameModel } from './model-name.js';
import { thousands as n } from '../number-format.js';

export interface PromptSize {
  readonly model: string;
  readonly tokens: number;
}

export interface ContextShortfall {
  readonly model: string;
  readonly contextLength: number;
  readonly promptTokens: number;
}

/** The loaded context window of `model`, where the backend reports one. */
export function loadedContextLength(loaded: readonly LoadedModel[], model: string): number | null {
  return loaded.find((m) => sameModel(m.name, model))?.contextLength ?? null;
}

/** The shortfall when the prompt's model is loaded with a window that cannot hold it; null otherwise. */
export function contextShortfall(loaded: readonly LoadedModel[], prompt: PromptSize): ContextShortfall | null {
  const entry = loaded.find((m) => sameModel(m.name, prompt.model));
  if (!entry?.contextLength) return null;
  // A prompt that fills the whole window leaves no room for the reply either.
  if (prompt.tokens < entry.contextLength) return null;
  return { model: entry.name, contextLength: entry.contextLength, promptTokens: prompt.tokens };
}

/** What the engine does with the overflow, in a few words. */
function consequence(profile: BackendProfile): string {
  return profile.truncatesSilently
    ? `${profile.label} cuts the prompt to fit without telling anyone, which changes it on every turn and defeats the cache`
    : `${profile.label} refuses or cuts the prompt, and the cache is lost with it`;
}

export function contextWarningMessage(s: ContextShortfall, profile: BackendProfile): string {
  return `${s.model} is loaded with a ${n(s.contextLength)}-token context, but the last prompt was about ${n(s.promptTokens)} tokens. `
    + `${consequence(profile)}. Raise the context: ${profile.knobs.context}.`;
}
