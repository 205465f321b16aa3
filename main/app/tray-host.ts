// Whether a tray icon can be seen at all. macOS and Windows always show one.
// On Linux, Electron's icon is a StatusNotifierItem, which appears only when a
// host (KDE, most panels, GNOME with the AppIndicator extension) owns
// org.kde.StatusNotifierWatcher on the session bus; without one the app would
// show nothing at all, so the window opens at launch instead.
import { execFile } from 'node:child_process';

export type RunCommand = (file: string, args: readonly string[]) => Promise<string>;

export const STATUS_NOTIFIER_WATCHER = 'org.kde.StatusNotifierWatcher';

const NAME_HAS_OWNER = [
  '--session', '--print-reply', '--reply-timeout=2000', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus',
  'org.freedesktop.DBus.NameHasOwner', `string:${STATUS_NOTIFIER_WATCHER}`,
];

const runCommand: RunCommand = (file, args) => new Promise((resolve, reject) => {
  execFile(file, args, { timeout: 3000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
});

export async function trayIsVisible(platform: NodeJS.Platform, run: RunCommand = runCommand): Promise<boolean> {
  if (platform === 'darwin' || platform === 'win32') return true;
  try {
    return /^\s*boolean true\s*$/m.test(await run('dbus-send', NAME_HAS_OWNER));
  } catch {
    // No session bus, or no dbus-send: nothing says an icon would be seen, and a window too many is the lesser harm.
    return false;
  }
}
