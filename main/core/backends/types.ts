// What the app (tray, window, CLI) learns about the backend: which engine it
// is, its models, what it has loaded and with how much context.
import { BACKEND_KINDS, type BackendKind, type ModelRenderer, type RouterFlavour } from '../wire/types.js';

export type BackendStatus = 'unknown' | 'up' | 'down';

/** --backend: detect, or take the user's word for it. */
export const BACKEND_CHOICES = ['auto', ...BACKEND_KINDS] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** One model the backend can serve (Ollama: GET /api/tags). */
export interface ListedModel {
  readonly name: string;
  readonly parameterSize?: string;
  readonly quantization?: string;
  readonly contextLength?: number;
  /** What renders its prompt, as the engine told (renderer.ts). */
  readonly renderer?: ModelRenderer;
}

/** One model from GET /api/ps (loaded in memory). */
export interface LoadedModel {
  readonly name: string;
  /** The context window it was loaded with; prompts longer than this are truncated. */
  readonly contextLength?: number;
  /** When Ollama will unload it if nothing touches it. */
  readonly expiresAt?: Date;
  /** Bytes in GPU memory; absent when it sits entirely in system memory. */
  readonly sizeVram?: number;
  /** How much dearer a prefilled token gets per token of context, from the model's shape (model-shape.ts). */
  readonly contextCost?: number;
  /** What renders its prompt, as the engine told (renderer.ts). */
  readonly renderer?: ModelRenderer;
}

export interface BackendState {
  readonly status: BackendStatus;
  /**
   * The engine found at the target: 'unknown' when it answers HTTP but like
   * none of them; absent until a check succeeded (or while it is down).
   */
  readonly kind?: BackendKind | 'unknown';
  /** Which router, where its endpoints say. */
  readonly flavour?: RouterFlavour;
  /** True when --backend named the engine instead of detection. */
  readonly forced?: boolean;
  /** Down because the target answers, but not as the named engine does (rather than not at all). */
  readonly unexpected?: boolean;
  /** Parallel sequences (cache slots), where the engine reports them. */
  readonly slots?: number;
  readonly version?: string;
  readonly models: readonly ListedModel[];
  readonly loaded: readonly LoadedModel[];
  /** Why Ollama is down, or why the model lists could not be read while it is up. */
  readonly error?: string;
  /** When the last check finished; null before the first. */
  readonly lastCheckedAt: Date | null;
}

export interface BackendMonitorEvents {
  /** The backend became reachable (from unknown or down). */
  up: [state: BackendState];
  /** Ollama stopped answering (from unknown or up). */
  down: [state: BackendState];
  /** Anything the tray shows changed: status, version, models, loaded models or error. */
  changed: [state: BackendState];
  /** Something the user should act on, e.g. a context window smaller than the prompt; the key names the problem (model@window). */
  warning: [message: string, key: string];
  /** The backend came back after being down, or answers as another version or engine: its cache is empty. */
  restarted: [state: BackendState];
  /** A check finished, whether or not anything changed. */
  checked: [state: BackendState];
}

export interface KeepAliveState {
  readonly enabled: boolean;
  readonly model: string;
  /** When the model unloads unless renewed again; null when unknown, disabled or kept indefinitely. */
  readonly expiresAt: Date | null;
  /** Why the last renewal failed; cleared by the next success. */
  readonly error?: string;
}

export interface KeepAliveEvents {
  renewed: [state: KeepAliveState];
  failed: [state: KeepAliveState];
  changed: [state: KeepAliveState];
}

