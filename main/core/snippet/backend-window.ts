// The snippet command's one look at the backend, as the app's monitor takes
// it, for the window the printed function carries (model-window.ts answers).
import { createBackendMonitor } from '../backends/backend-monitor.js';
import type { Clock } from '../backends/clock.js';
import { realClock } from '../backends/clock.js';
import { backendWindow, type KnownWindow } from '../backends/model-window.js';

export interface BackendWindowOptions {
  readonly fetch?: typeof fetch;
  readonly clock?: Clock;
  /** Each request's deadline; a local backend answers these from memory. */
  readonly timeoutMs?: number;
}

/** One look at the backend; null when it is unreachable or does not say. */
export async function fetchBackendWindow(target: string, model: string, options: BackendWindowOptions = {}): Promise<KnownWindow | null> {
  const monitor = createBackendMonitor({
    target, fetch: options.fetch ?? globalThis.fetch, clock: options.clock ?? realClock, requestTimeoutMs: options.timeoutMs ?? 1500,
  });
  try {
    return backendWindow(await monitor.refresh(), model);
  } finally {
    monitor.stop();
  }
}
