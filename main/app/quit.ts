// Quit: the app looks gone at once (tray icon and windows), then streams still
// in flight get a grace period to finish. Two quits skip the wait: a second
// request from the user, and one that is part of logout, restart or shutdown,
// where vetoing before-quit would make macOS cancel the logout.

/** The part of Electron's app used here; Electron's own app satisfies it. */
export interface QuitApp {
  on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): unknown;
  exit(code?: number): void;
}

/** Electron's powerMonitor (macOS and Linux emit 'shutdown' before the system quits the app). */
export interface ShutdownSignal {
  on(event: 'shutdown', listener: () => void): unknown;
}

export interface QuitOptions {
  /** Removes the tray icon and closes the windows; may be called more than once. */
  disappear(): void;
  /** Stops the proxy, letting streams run up to graceMs. */
  shutdown(graceMs: number): Promise<void>;
  readonly graceMs: number;
  /** Exit anyway when stopping takes longer than the grace plus this. */
  readonly deadlineSlackMs: number;
  readonly log?: (message: string, error: unknown) => void;
}

export function handleQuit(app: QuitApp, system: ShutdownSignal, options: QuitOptions): void {
  let systemGoingDown = false;
  let draining = false;
  system.on('shutdown', () => {
    systemGoingDown = true;
    // Already draining after an earlier Quit: the system will not wait for the streams.
    if (draining) app.exit(0);
  });
  app.on('before-quit', (event) => {
    options.disappear();
    if (systemGoingDown || draining) return;
    draining = true;
    event.preventDefault();
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, options.graceMs + options.deadlineSlackMs).unref());
    const log = options.log ?? ((message, error) => console.error(message, error));
    void Promise.race([options.shutdown(options.graceMs), deadline])
      .catch((error: unknown) => log('llm-cache-proxy: shutdown failed:', error))
      .finally(() => app.exit(0));
  });
}
