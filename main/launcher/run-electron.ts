// Runs the menu-bar app in Electron for `npm start`, and falls back to the
// headless proxy when Electron cannot be started at all.
import { spawn } from 'node:child_process';
import os from 'node:os';

export interface RunOptions {
  readonly platform: NodeJS.Platform;
  readonly say: (text: string) => void;
  /** Runs the headless proxy instead, saying why. */
  readonly fallback: (reason: string) => void;
  /** Where Electron's exit code goes (process.exitCode). */
  readonly setExitCode: (code: number) => void;
}

/** An app that dies this soon (missing system libraries, no GPU) should not leave the user with nothing. */
const EARLY_EXIT_MS = 5000;
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function runElectron(binary: string, appDir: string, args: readonly string[], options: RunOptions): void {
  const startedAt = Date.now();
  // In a process group of its own, so Ctrl-C in the terminal reaches Electron
  // only through this launcher, and only once: Electron, like Chromium, quits
  // gracefully on the first SIGINT and dies at once on the second, which would
  // cut the streams it is letting finish. (npm forwards Ctrl-C to us as well.)
  const child = spawn(binary, ['.', ...args], {
    cwd: appDir,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: options.platform !== 'win32',
  });
  let settled = false;
  let forwarded = false;
  const forward = (signal: NodeJS.Signals): void => {
    if (forwarded) return;
    forwarded = true;
    options.say('llm-cache-proxy: quitting; answers still streaming get a few seconds to finish.\n');
    child.kill(signal);
  };
  const stopForwarding = (): void => {
    for (const signal of FORWARDED) process.off(signal, forward);
  };
  for (const signal of FORWARDED) process.on(signal, forward);

  child.once('error', (error) => {
    if (settled) return;
    settled = true;
    stopForwarding();
    options.fallback(`Electron could not be started (${error.message})`);
  });
  child.once('exit', (code, signal) => {
    if (settled) return;
    settled = true;
    stopForwarding();
    if (code !== 0 && !signal && !forwarded && Date.now() - startedAt < EARLY_EXIT_MS) {
      options.fallback(`Electron exited with code ${code} at start`);
      return;
    }
    options.setExitCode(code ?? 128 + (signal ? os.constants.signals[signal] : 0));
  });
}
