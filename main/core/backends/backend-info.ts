// Pure: the monitor's state and profile → the `backend` object of
// /_proxy/status, the menu and the Activity view.
import { backendWindow } from './model-window.js';
import type { BackendProfile } from './profile.js';
import type { BackendState } from './types.js';
import type { BackendInfo, ModelRenderer } from '../wire/types.js';
import { sameModel } from './model-name.js';

/**
 * What renders `model`'s prompt, as the engine told: its loaded or installed
 * entry; an engine that serves one model under any name (llama-server) is
 * asked about that one. Null while unknown.
 */
export function rendererOf(state: BackendState, model: string | null): ModelRenderer | null {
  if (model === null) return null;
  const entry = state.loaded.find((m) => sameModel(m.name, model)) ?? state.models.find((m) => sameModel(m.name, model));
  if (entry?.renderer) return entry.renderer;
  const only = state.loaded.length === 1 && state.models.length <= 1 ? state.loaded[0] : undefined;
  return only?.renderer ?? null;
}

export interface BackendInfoContext {
  /** The slots the user configured (--slots): Ollama's OLLAMA_NUM_PARALLEL, which it does not report. */
  readonly configuredSlots: number;
  /** The model in use (the last call's, else the configured one), whose window is shown. */
  readonly model: string | null;
}

export function backendInfo(state: BackendState, profile: BackendProfile | null, context: BackendInfoContext): BackendInfo {
  const known = state.kind !== undefined && state.kind !== 'unknown' ? profile : null;
  const status = state.lastCheckedAt === null ? 'checking' : state.status === 'up' ? 'up' : state.unexpected ? 'unexpected' : 'down';
  const inUse = context.model === null ? null : backendWindow(state, context.model)?.tokens;
  return {
    status,
    kind: state.kind ?? null,
    label: known?.label ?? null,
    flavour: state.flavour ?? null,
    forced: state.forced ?? false,
    version: state.version ?? null,
    models: state.models.map((m) => m.name),
    slots: state.slots ?? (known?.kind === 'ollama' ? context.configuredSlots : null),
    contextLength: inUse ?? state.loaded.find((m) => m.contextLength !== undefined)?.contextLength ?? null,
    liftsInlineSystem: known?.liftsInlineSystem ?? null,
    renderer: rendererOf(state, context.model),
    usageCarriesCache: known?.usageCarriesCache ?? null,
    knobs: known ? { context: known.knobs.context, slots: known.knobs.slots } : null,
    ...(state.error === undefined ? {} : { error: state.error }),
  };
}

/** The backend monitor as the proxy sees it: read-only, never asked on a call's path. */
export interface BackendView {
  info(): BackendInfo;
  /** The loaded context window of `model`, where the backend reports it. */
  contextLength(model: string | null): number | null;
  /** What renders `model`'s prompt, as the backend told (Ollama's /api/show, llama-server's chat template); null while unknown. */
  renderer?(model: string | null): ModelRenderer | null;
  readonly profile: BackendProfile | null;
  /** The version the backend reports (Ollama's /api/version), which says which engine runs a hybrid model and whether it keeps a prompt cache; null while unknown. */
  readonly version?: string | null;
  /** How many times the backend was seen to restart (or be replaced): a change means its cache is empty. */
  readonly restarts: number;
}

/** The monitor as the proxy reads it: the status object, windows and renderers per model, and how often the backend restarted. */
export function backendView(monitor: { readonly state: BackendState; readonly profile: BackendProfile | null }, context: BackendInfoContext, restarts: () => number): BackendView {
  return {
    get restarts() {
      return restarts();
    },
    info: () => backendInfo(monitor.state, monitor.profile, context),
    renderer: (model) => rendererOf(monitor.state, model),
    contextLength: (model) => (model === null ? null : backendWindow(monitor.state, model)?.tokens ?? null),
    get profile() {
      return monitor.profile;
    },
    get version() {
      return monitor.state.version ?? null;
    },
  };
}
