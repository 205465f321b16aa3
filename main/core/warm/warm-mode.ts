// Warm start: when the backend sits idle and has lost the prompt Claude Code
// will send next (the model was reloaded, another client or a side call took
// its slot), the proxy re-sends the remembered prompt with one output token so
// the user's next call finds it cached. These are the user's choices.

/**
 * - `on`: re-warm whatever was lost, and also at start from the remembered
 *   prefix, loading the model if it is not loaded (memory and energy, like keep-alive);
 * - `idle`: re-warm only a model the backend already holds, and only while nothing else runs;
 * - `off`: never;
 * - `auto`: `idle` on the user's own engine, `off` behind a router or when the
 *   proxy serves a network (there the backend's idle time belongs to others too).
 */
export const WARM_SETTINGS = ['auto', 'on', 'idle', 'off'] as const;
export type WarmSetting = (typeof WARM_SETTINGS)[number];
export type WarmMode = Exclude<WarmSetting, 'auto'>;

export function isWarmSetting(value: unknown): value is WarmSetting {
  return typeof value === 'string' && (WARM_SETTINGS as readonly string[]).includes(value);
}

export interface WarmContext {
  /** The engine detected at the target; null while unknown. */
  readonly backendKind: string | null;
  /** The proxy accepts connections from beyond this machine. */
  readonly sharedServer: boolean;
}

export function resolveWarmMode(setting: WarmSetting, context: WarmContext): WarmMode {
  if (setting !== 'auto') return setting;
  if (context.sharedServer || context.backendKind === 'router') return 'off';
  return 'idle';
}
