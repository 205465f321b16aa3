// The context window a model really runs with, as the backend monitor reads
// it from the engine: Ollama's /api/ps for a loaded model (context_length),
// llama-server's /props (n_ctx per slot) for the one model it serves, and so
// on per profile. A model that is not loaded has no window yet: nothing is
// guessed from its metadata, because the runtime window is what truncates.
import { createBackendMonitor } from '../backends/backend-monitor.js';
import type { Clock } from '../backends/clock.js';
import { realClock } from '../backends/clock.js';
import { PROFILES } from '../backends/detect.js';
import { sameModel } from '../backends/model-name.js';
import type { OllamaState } from '../backends/types.js';
import type { KnownWindow } from './context-window.js';

/**
 * The window for `model` in the monitor's state: the loaded model of that
 * name, or, on an engine that serves a single model whatever the request
 * names (llama-server), that model.
 */
export function windowFromState(state: Pick<OllamaState, 'status' | 'kind' | 'loaded'>, model: string): KnownWindow | null {
  if (state.status !== 'up') return null;
  const named = state.loaded.find((m) => sameModel(m.name, model) && m.contextLength);
  const only = state.kind !== 'ollama' && state.loaded.length === 1 ? state.loaded[0] : undefined;
  const entry = named ?? only;
  if (!entry?.contextLength) return null;
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

/** The window a snippet should carry, from the monitor's last look and the setting. */
export function snippetWindow(state: Pick<OllamaState, 'status' | 'kind' | 'loaded'>, model: string, settingsContextTokens: number): KnownWindow | null {
  return chooseWindow(windowFromState(state, model), settingsContextTokens);
}

export interface BackendWindowOptions {
  readonly fetch?: typeof fetch;
  readonly clock?: Clock;
  /** Each request's deadline; a local backend answers these from memory. */
  readonly timeoutMs?: number;
}

/** One look at the backend, as the app's monitor takes it; null when it is unreachable or does not say. */
export async function fetchBackendWindow(target: string, model: string, options: BackendWindowOptions = {}): Promise<KnownWindow | null> {
  const monitor = createBackendMonitor({
    target, fetch: options.fetch ?? globalThis.fetch, clock: options.clock ?? realClock, requestTimeoutMs: options.timeoutMs ?? 1500,
  });
  try {
    return windowFromState(await monitor.refresh(), model);
  } finally {
    monitor.stop();
  }
}
