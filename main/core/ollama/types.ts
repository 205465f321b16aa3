// What the app (tray, window, CLI) learns about the Ollama backend.

export type OllamaStatus = 'unknown' | 'up' | 'down';

/** One model from GET /api/tags. */
export interface OllamaModel {
  readonly name: string;
  readonly parameterSize?: string;
  readonly quantization?: string;
  readonly contextLength?: number;
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
}

export interface OllamaState {
  readonly status: OllamaStatus;
  readonly version?: string;
  readonly models: readonly OllamaModel[];
  readonly loaded: readonly LoadedModel[];
  /** Why Ollama is down, or why the model lists could not be read while it is up. */
  readonly error?: string;
  /** When the last check finished; null before the first. */
  readonly lastCheckedAt: Date | null;
}

export interface OllamaMonitorEvents {
  /** Ollama became reachable (from unknown or down). */
  up: [state: OllamaState];
  /** Ollama stopped answering (from unknown or up). */
  down: [state: OllamaState];
  /** Anything the tray shows changed: status, version, models, loaded models or error. */
  changed: [state: OllamaState];
  /** Something the user should act on, e.g. a context window smaller than the prompt. */
  warning: [message: string];
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
