// The desktop side effects the controller asks for, done with Electron.
import type { App, Clipboard, Notification, Shell } from 'electron';
import type { Notice, PlatformServices } from '../core/controller/types.js';

export interface PlatformElectron {
  readonly app: Pick<App, 'quit'>;
  readonly clipboard: Pick<Clipboard, 'writeText'>;
  readonly shell: Pick<Shell, 'openExternal' | 'openPath'>;
  readonly Notification: typeof Notification;
}

export function electronPlatform(electron: PlatformElectron, openActivity: () => void): PlatformServices {
  return {
    writeClipboard: (text) => electron.clipboard.writeText(text),
    openUrl: (url) => electron.shell.openExternal(url),
    async openPath(file) {
      // shell.openPath reports failure as a message instead of rejecting.
      const error = await electron.shell.openPath(file);
      if (error) throw new Error(`Could not open ${file}: ${error}`);
    },
    notify({ title, body }: Notice) {
      if (electron.Notification.isSupported()) new electron.Notification({ title, body }).show();
    },
    openActivity,
    quit: () => electron.app.quit(),
  };
}
