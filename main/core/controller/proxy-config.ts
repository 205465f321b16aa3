// Pure rules linking the settings file to the proxy: which edits need a new
// proxy, and how a failed listen reads.
import type { Settings } from '../settings/schema.js';
import type { SettingsProblem } from '../ui/bridge.js';

/** Settings a running proxy was built with; changing one means a new proxy (the rewrite mode does not). */
export const RESTART_KEYS = [
  'port', 'host', 'target', 'token', 'slots', 'sideModel', 'cacheUsage', 'maxBodyBytes', 'allowOrigins',
  'backend', 'router', 'affinityHeaders', 'upstreamAuth',
] as const satisfies readonly (keyof Settings)[];

/** Settings the backend monitor was built with; changing one means watching anew. */
export const BACKEND_KEYS = ['target', 'backend', 'router', 'upstreamAuth', 'slots'] as const satisfies readonly (keyof Settings)[];

function differs(keys: readonly (keyof Settings)[], before: Readonly<Settings>, after: Readonly<Settings>): boolean {
  return keys.some((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}

export function needsRestart(before: Readonly<Settings>, after: Readonly<Settings>): boolean {
  return differs(RESTART_KEYS, before, after);
}

export function needsNewWatch(before: Readonly<Settings>, after: Readonly<Settings>): boolean {
  return differs(BACKEND_KEYS, before, after);
}

export function isPortBusy(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE';
}

/** Why the proxy could not listen, as a message for the field the user has to change. */
export function listenFailure(error: unknown, host: string, port: number): SettingsProblem {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'EADDRINUSE':
      return { field: 'port', message: `Port ${port} is in use by another program (another llm-cache-proxy?). Choose another port.` };
    case 'EACCES':
      return { field: 'port', message: `Not allowed to listen on port ${port}; choose a port above 1023.` };
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return { field: 'host', message: `${host} is not an address of this machine.` };
    default:
      return { field: 'port', message: `Cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}` };
  }
}
