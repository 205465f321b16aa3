// The desktop side effects the controller asks for, done with Electron.
import type { App, Clipboard, Notification, NotificationConstructorOptions, PowerMonitor, Shell } from 'electron';
import type { Notice, PlatformServices } from '../core/controller/types.js';

/** The part of Electron's Notification used here; Electron's own class satisfies it. */
export interface NotificationLike {
  show(): void;
  once(event: 'click' | 'close' | 'failed', listener: () => void): unknown;
}

export interface NotificationClass {
  new (options: NotificationConstructorOptions): NotificationLike;
  isSupported(): boolean;
}

export interface PlatformElectron {
  readonly app: Pick<App, 'quit'>;
  readonly clipboard: Pick<Clipboard, 'writeText'>;
  readonly shell: Pick<Shell, 'openExternal' | 'openPath'>;
  readonly Notification: NotificationClass | typeof Notification;
  readonly powerMonitor: Pick<PowerMonitor, 'isOnBatteryPower'>;
}

/**
 * Electron does not keep a shown Notification alive: once garbage-collected it
 * can vanish from the screen, and its click goes nowhere. Each is held until
 * clicked, closed or failed; Electron does not promise 'close' every time, so
 * only the most recent few are held.
 */
export const HELD_NOTIFICATIONS = 20;

export function electronPlatform(electron: PlatformElectron, openActivity: () => void): PlatformServices {
  const held = new Set<NotificationLike>();
  return {
    writeClipboard: (text) => electron.clipboard.writeText(text),
    openUrl: (url) => electron.shell.openExternal(url),
    async openPath(file) {
      // shell.openPath reports failure as a message instead of rejecting.
      const error = await electron.shell.openPath(file);
      if (error) throw new Error(`Could not open ${file}: ${error}`);
    },
    notify({ title, body }: Notice) {
      if (!electron.Notification.isSupported()) return;
      const notification: NotificationLike = new electron.Notification({ title, body });
      const release = (): void => void held.delete(notification);
      for (const event of ['click', 'close', 'failed'] as const) notification.once(event, release);
      held.add(notification);
      if (held.size > HELD_NOTIFICATIONS) held.delete(held.values().next().value!);
      notification.show();
    },
    openActivity,
    quit: () => electron.app.quit(),
    onBattery: () => electron.powerMonitor.isOnBatteryPower(),
  };
}
