// Warm start: when the backend sits idle and has lost the prompt Claude Code
// will send next (the model was reloaded, another client or a side call took
// its slot), the proxy re-sends the remembered prompt with one output token so
// the user's next call finds it cached. These are the user's choices.

import type { WarmMode, WarmSetting } from '../wire/types.js';

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
