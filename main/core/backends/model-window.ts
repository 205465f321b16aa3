// The context window of the model in use: the one answer that the snippet,
// the overflow warning, the call records, /_proxy/status and the menu all
// read, so no two of them can name different windows for one model. It is
// the runtime window the engine reports (Ollama's /api/ps for a loaded model,
// llama-server's n_ctx per slot for the one model it serves, ...): a model
// that is not loaded has none yet, and nothing is guessed from its metadata,
// because the runtime window is what truncates. The contextTokens setting
// stands in only where the engine cannot say. Pure.
import { PROFILES } from './detect.js';
import { sameModel } from './model-name.js';
import type { LoadedModel, BackendState } from './types.js';
import { thousands as n } from '../number-format.js';
import type { BackendProfile } from './profile.js';

/** A window figure and where it came from, for the snippet's comment and the menu. */
export interface KnownWindow {
  readonly tokens: number;
  /** e.g. "Ollama's /api/ps for qwen3-coder:30b", "the contextTokens setting". */
  readonly source: string;
}

type WindowState = Pick<BackendState, 'status' | 'kind' | 'loaded'>;

/**
 * The loaded model whose window applies to calls naming `model`: the loaded
 * model of that name, or, on an engine that serves a single model whatever
 * the request names (llama-server and the like, not Ollama), that model.
 */
export function servingModel(state: WindowState, model: string): (LoadedModel & { readonly contextLength: number }) | null {
  if (state.status !== 'up') return null;
  const named = state.loaded.find((m) => sameModel(m.name, model) && m.contextLength);
  const only = state.kind !== 'ollama' && state.loaded.length === 1 ? state.loaded[0] : undefined;
  const entry = named ?? only;
  return entry?.contextLength ? { ...entry, contextLength: entry.contextLength } : null;
}

/** The window the engine reports for calls naming `model`; null when it does not say. */
export function backendWindow(state: WindowState, model: string): KnownWindow | null {
  const entry = servingModel(state, model);
  if (!entry) return null;
  const source = state.kind === 'ollama'
    ? `Ollama's /api/ps for ${entry.name} as loaded`
    : `${state.kind && state.kind !== 'unknown' ? PROFILES[state.kind].label : 'the backend'}, which serves ${entry.name} with it`;
  return { tokens: entry.contextLength, source };
}

/** The backend's figure wins; the setting (0 = not set) stands in when the backend cannot say. */
export function chooseWindow(fromBackend: KnownWindow | null, settingsContextTokens: number): KnownWindow | null {
  if (fromBackend) return fromBackend;
  return settingsContextTokens > 0 ? { tokens: settingsContextTokens, source: 'the contextTokens setting' } : null;
}

/** The window of `model`: the backend's figure, else the contextTokens setting (0 = not set). */
export function modelWindow(state: WindowState, model: string, settingsContextTokens: number): KnownWindow | null {
  return chooseWindow(backendWindow(state, model), settingsContextTokens);
}

/** A prompt that did not fit the window the engine runs its model with. */
export interface ContextShortfall {
  /** The model as the engine names it. */
  readonly model: string;
  readonly contextLength: number;
  readonly promptTokens: number;
  /** Whose count the prompt's size is: the engine's, the proxy's estimate, or unsaid ("about"). */
  readonly counted?: 'backend' | 'estimate';
}

/** The shortfall when calls naming `model` run with a window that cannot hold `promptTokens`; null otherwise. */
export function contextShortfall(state: WindowState, model: string, promptTokens: number): ContextShortfall | null {
  const entry = servingModel(state, model);
  // A prompt that fills the whole window leaves no room for the reply either.
  if (!entry || promptTokens < entry.contextLength) return null;
  return { model: entry.name, contextLength: entry.contextLength, promptTokens };
}

/** What the engine does with the overflow, in a few words. */
function consequence(profile: BackendProfile | null): string {
  if (profile === null) return 'The backend cuts or refuses it, and the cache is lost with it';
  return profile.truncatesSilently
    ? `${profile.label} cuts the prompt to fit without telling anyone, which changes it on every turn and defeats the cache`
    : `${profile.label} refuses or cuts the prompt, and the cache is lost with it`;
}

/**
 * The one message for a prompt over the window, for the tray's notice and the
 * CLI's log alike. `setting` is the engine's own knob for the window.
 */
export function overflowMessage(s: ContextShortfall, profile: BackendProfile | null, setting: string): string {
  const size = s.counted === undefined ? `about ${n(s.promptTokens)} tokens`
    : `${n(s.promptTokens)} tokens (${s.counted === 'backend' ? "the backend's count" : 'estimated'})`;
  return `${s.model} is loaded with a ${n(s.contextLength)}-token context, but the last prompt was ${size}. `
    + `${consequence(profile)}. Raise the context: ${setting}.`;
}
