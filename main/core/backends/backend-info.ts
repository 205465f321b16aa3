// Pure: the monitor's state and profile → the `backend` object of
// /_proxy/status, the menu and the Activity view.
import { backendWindow } from './model-window.js';
import type { BackendProfile } from './profile.js';
import type { BackendState } from './types.js';
import type { BackendInfo } from '../wire/types.js';

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
  readonly profile: BackendProfile | null;
  /** How many times the backend was seen to restart (or be replaced): a change means its cache is empty. */
  readonly restarts: number;
}

/** The monitor as the proxy reads it: the status object, windows per model, and how often the backend restarted. */
export function backendView(monitor: { readonly state: BackendState; readonly profile: BackendProfile | null }, context: BackendInfoContext, restarts: () => number): BackendView {
  return {
    get restarts() {
      return restarts();
    },
    info: () => backendInfo(monitor.state, monitor.profile, context),
    contextLength: (model) => (model === null ? null : backendWindow(monitor.state, model)?.tokens ?? null),
    get profile() {
      return monitor.profile;
    },
  };
}
