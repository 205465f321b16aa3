// Some tests need programs from outside npm: real shells for the claudel
// snippet, Chromium for the renderer, GLib's gio for the autostart entry.
// CI installs them all (.ci/run) and there a missing one fails the run; on a
// developer's machine (a Mac has no /usr/bin/chromium) those tests are
// skipped with a reason instead, so `npm test` still says what it checked.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const IN_CI = process.env['CI'] === 'true' || process.env['CI'] === '1';

function runs(command: string, args: readonly string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `false` (run the test) when the program is there or this is CI; otherwise the skip reason. */
function needs(present: boolean, what: string): false | string {
  return present || IN_CI ? false : `${what} is not installed (CI installs it)`;
}

export function needsProgram(command: string, versionArgs: readonly string[] = ['--version']): false | string {
  return needs(runs(command, versionArgs), command);
}

export function needsFile(path: string, what: string): false | string {
  return needs(existsSync(path), what);
}

/** The llama.cpp engine of bench/engine; `why` is what stops it here, null when nothing does. */
export function needsEngine(why: string | null): false | string {
  return why === null || IN_CI ? false : `${why} (CI installs it)`;
}
