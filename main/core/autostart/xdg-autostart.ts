// Launch at login on Linux: a .desktop file in $XDG_CONFIG_HOME/autostart,
// which GNOME, KDE, Xfce and most other desktops honour. Electron's
// app.setLoginItemSettings does nothing on Linux, hence this.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../settings/atomic-write.js';
import { autostartDesktopEntry, isAutostartActive } from './desktop-entry.js';

export interface XdgAutostartOptions {
  /** $XDG_CONFIG_HOME or ~/.config (see xdgConfigHome in settings/paths.ts). */
  readonly configHome: string;
  /** The program to start: the AppImage or the app's executable. */
  readonly execPath: string;
  readonly args?: readonly string[];
  /** Shown in the desktop's startup-applications list; also names the file. */
  readonly name: string;
  readonly comment?: string;
}

export interface LoginItem {
  isEnabled(): Promise<boolean>;
  setEnabled(on: boolean): Promise<void>;
}

/** `LLM Cache Proxy` -> `llm-cache-proxy.desktop` */
export function autostartFileName(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  if (slug === '') throw new TypeError(`Cannot derive a file name from "${name}"`);
  return `${slug}.desktop`;
}

export function createXdgAutostart(options: XdgAutostartOptions): LoginItem & { readonly path: string } {
  const directory = path.join(options.configHome, 'autostart');
  const file = path.join(directory, autostartFileName(options.name));
  const content = autostartDesktopEntry({
    name: options.name,
    comment: options.comment,
    command: [options.execPath, ...(options.args ?? [])],
  });

  return {
    path: file,
    async isEnabled() {
      try {
        return isAutostartActive(await fs.promises.readFile(file, 'utf8'));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      }
    },
    async setEnabled(on) {
      if (!on) {
        await fs.promises.rm(file, { force: true });
        return;
      }
      await fs.promises.mkdir(directory, { recursive: true });
      await writeFileAtomic(file, content, 0o644);
    },
  };
}
