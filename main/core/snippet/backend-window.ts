// Asks the backend for the context window a model really runs with: Ollama's
// /api/ps for a loaded model (context_length), else llama-server's /props
// (n_ctx, per slot). A model that is not loaded has no window yet: nothing is
// guessed from its metadata, because the runtime window is what truncates.
import type { LoadedModel } from '../backends/types.js';
import type { Clock } from '../backends/clock.js';
import { realClock } from '../backends/clock.js';
import { requestJson } from '../backends/http.js';
import { sameModel } from '../backends/model-name.js';
import { parsePs } from '../backends/ollama-parse.js';
import type { KnownWindow } from './context-window.js';

/** The loaded model's window from Ollama's /api/ps, when it is loaded with one. */
export function ollamaWindow(loaded: readonly LoadedModel[], model: string): KnownWindow | null {
  const entry = loaded.find((m) => sameModel(m.name, model));
  return entry?.contextLength ? { tokens: entry.contextLength, source: `Ollama's /api/ps for ${entry.name} as loaded` } : null;
}

/** llama-server's GET /props: `default_generation_settings.n_ctx` is the window of each slot, already divided among them. */
export function llamaServerWindow(props: unknown): KnownWindow | null {
  const settings = typeof props === 'object' && props !== null ? (props as { default_generation_settings?: unknown }).default_generation_settings : undefined;
  const nCtx = typeof settings === 'object' && settings !== null ? (settings as { n_ctx?: unknown }).n_ctx : undefined;
  return typeof nCtx === 'number' && Number.isInteger(nCtx) && nCtx > 0 ? { tokens: nCtx, source: "llama-server's /props (n_ctx per slot)" } : null;
}

export interface BackendWindowOptions {
  readonly fetch?: typeof fetch;
  readonly clock?: Clock;
  /** Each request's deadline; a local backend answers these from memory. */
  readonly timeoutMs?: number;
}

/** The window the backend reports for `model`; null when it is unreachable or does not say. */
export async function fetchBackendWindow(target: string, model: string, options: BackendWindowOptions = {}): Promise<KnownWindow | null> {
  const get = (path: string): Promise<unknown> => requestJson(options.fetch ?? globalThis.fetch, options.clock ?? realClock, target, path, { timeoutMs: options.timeoutMs ?? 1500 });
  try {
    return ollamaWindow(parsePs(await get('/api/ps')), model);
  } catch {
    // Not Ollama (or not answering): try llama-server.
  }
  try {
    return llamaServerWindow(await get('/props'));
  } catch {
    return null;
  }
}

/** The backend's figure wins; the setting (0 = not set) stands in when the backend cannot say. */
export function chooseWindow(fromBackend: KnownWindow | null, settingsContextTokens: number): KnownWindow | null {
  if (fromBackend) return fromBackend;
  return settingsContextTokens > 0 ? { tokens: settingsContextTokens, source: 'the contextTokens setting' } : null;
}

/** The window a snippet should carry, from the monitor's last look at the loaded models and the setting. */
export function snippetWindow(loaded: readonly LoadedModel[], model: string, settingsContextTokens: number): KnownWindow | null {
  return chooseWindow(ollamaWindow(loaded, model), settingsContextTokens);
}
