// What the app (tray, window, CLI) learns about the backend: which engine it
// is, its models, what it has loaded and with how much context.
import type { ModelRenderer } from './renderer.js';

export type OllamaStatus = 'unknown' | 'up' | 'down';
export type BackendStatus = OllamaStatus;

/** The engines the proxy tells apart; a router fronts several of them. */
export const BACKEND_KINDS = ['ollama', 'llama-server', 'lmstudio', 'vllm', 'sglang', 'router'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];
/** --backend: detect, or take the user's word for it. */
export const BACKEND_CHOICES = ['auto', ...BACKEND_KINDS] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
/** Routers that can be told apart from their own endpoints, or named with --router. */
export const ROUTER_FLAVOURS = ['dynamo', 'sglang', 'vllm-router', 'llm-d'] as const;
export type RouterFlavour = (typeof ROUTER_FLAVOURS)[number];

/** One model the backend can serve (Ollama: GET /api/tags). */
export interface OllamaModel {
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

export interface OllamaState {
  readonly status: OllamaStatus;
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
  readonly models: readonly OllamaModel[];
  readonly loaded: readonly LoadedModel[];
  /** Why Ollama is down, or why the model lists could not be read while it is up. */
  readonly error?: string;
  /** When the last check finished; null before the first. */
  readonly lastCheckedAt: Date | null;
}

export type BackendState = OllamaState;

export interface OllamaMonitorEvents {
  /** The backend became reachable (from unknown or down). */
  up: [state: OllamaState];
  /** Ollama stopped answering (from unknown or up). */
  down: [state: OllamaState];
  /** Anything the tray shows changed: status, version, models, loaded models or error. */
  changed: [state: OllamaState];
  /** Something the user should act on, e.g. a context window smaller than the prompt; the key names the problem (model@window). */
  warning: [message: string, key: string];
  /** A check finished, whether or not anything changed. */
  checked: [state: OllamaState];
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

/** GET /_proxy/status → backend: what was found at the target, and what that means for the cache. */
export interface BackendInfo {
  /**
   * 'checking' before the first check has finished; 'unexpected' when the
   * target answers, but not as the engine named with --backend does.
   */
  readonly status: 'checking' | 'up' | 'down' | 'unexpected';
  /** The engine: 'unknown' when it answers like none of them; null while nothing answers. */
  readonly kind: BackendKind | 'unknown' | null;
  /** How to name it to a person (LM Studio, vLLM, …); null while the kind is not known. */
  readonly label: string | null;
  readonly flavour: RouterFlavour | null;
  /** True when --backend named it rather than detection. */
  readonly forced: boolean;
  readonly version: string | null;
  readonly models: readonly string[];
  /** Parallel sequences (cache slots): reported by the engine, or as configured for Ollama. */
  readonly slots: number | null;
  /** The loaded context window of the model in use, where the engine reports it. */
  readonly contextLength: number | null;
  /** Whether inline system messages are lifted to the top of the prompt; null where it depends. */
  readonly liftsInlineSystem: boolean | null;
  /** What renders the prompt of the model in use, as the engine told; null while unknown. */
  readonly renderer?: ModelRenderer | null;
  /** Whether the engine's usage already carries cache figures (then they pass through untouched). */
  readonly usageCarriesCache: boolean | null;
  /** The settings the advice names for this engine. */
  readonly knobs: { readonly context: string; readonly slots: string | null } | null;
  readonly error?: string;
}
