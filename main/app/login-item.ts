// Launch at login: Electron's login item on macOS and Windows, an XDG
// autostart file on Linux (where Electron's setting does nothing).
import os from 'node:os';
import type { App, LoginItemSettings } from 'electron';
import { loginItemRefusal } from '../core/autostart/login-refusal.js';
import { createXdgAutostart } from '../core/autostart/xdg-autostart.js';
import type { LoginItemService, LoginItemStatus } from '../core/controller/types.js';
import { PRODUCT_NAME, xdgConfigHome } from '../core/settings/paths.js';

/**
 * What the OS reports, read back rather than remembered. macOS 13+ answers
 * with `status`: `requires-approval` means registered but waiting for the user
 * in System Settings. Windows' `executableWillLaunchAtLogin` turns false when
 * the user disables the entry in Task Manager.
 */
export function loginItemStatus(settings: Pick<LoginItemSettings, 'openAtLogin' | 'status' | 'executableWillLaunchAtLogin'>, platform: NodeJS.Platform): LoginItemStatus {
  if (platform === 'win32') return { enabled: settings.executableWillLaunchAtLogin, requiresApproval: false };
  const requiresApproval = settings.status === 'requires-approval';
  return { enabled: settings.openAtLogin || settings.status === 'enabled' || requiresApproval, requiresApproval };
}

type LoginItemApp = Pick<App, 'isPackaged' | 'getAppPath' | 'getLoginItemSettings' | 'setLoginItemSettings'>;

export function createLoginItemService(app: LoginItemApp, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): LoginItemService {
  if (platform === 'darwin' || platform === 'win32') {
    return {
      // Unpackaged, the login item would start a bare Electron, not this app.
      supported: app.isPackaged,
      get: async () => loginItemStatus(app.getLoginItemSettings(), platform),
      set: async (enabled) => app.setLoginItemSettings({ openAtLogin: enabled }),
      refusal: () => loginItemRefusal(platform, app.getAppPath()),
    };
  }
  const autostart = createXdgAutostart({
    configHome: xdgConfigHome(env, os.homedir()),
    // An AppImage runs from a temporary mount; $APPIMAGE is the file to start again.
    execPath: env['APPIMAGE'] ?? process.execPath,
    args: app.isPackaged ? [] : [app.getAppPath()],
    name: PRODUCT_NAME,
    comment: 'Keeps the prompt cache of a local model warm for Claude Code',
  });
  return {
    supported: true,
    get: async () => ({ enabled: await autostart.isEnabled(), requiresApproval: false }),
    set: (enabled) => autostart.setEnabled(enabled),
  };
}
