// The menu-bar app's main process: Electron around the core's AppController.
// Everything that decides anything lives in main/core; this file only wires
// Electron's tray, notifications, shell and login item to it.
import os from 'node:os';
import { app, BrowserWindow, clipboard, Menu, Notification, powerMonitor, shell, Tray } from 'electron';
import Store from 'electron-store';
import { createAppController } from '../core/controller/app-controller.js';
import type { AppController } from '../core/controller/app-controller.js';
import { APP_TITLE } from '../core/controller/links.js';
import type { PlatformServices } from '../core/controller/types.js';
import { openSettings } from '../core/settings/open.js';
import { defaultConfigDir } from '../core/settings/paths.js';
import type { Settings } from '../core/settings/schema.js';
import { registerIpc } from './ipc.js';
import { createLoginItemService } from './login-item.js';
import { electronPlatform } from './platform.js';
import { handleQuit } from './quit.js';
import { resourcesDir } from './tray-icons.js';
import { trayIsVisible } from './tray-host.js';
import { wireTray } from './tray.js';
import type { WiredTray } from './tray.js';
import { openActivityWindow } from './windows.js';

/** How long in-flight streams may run on after Quit. */
const QUIT_GRACE_MS = 5000;
/** Quit anyway if stopping takes longer than the grace plus this. */
const QUIT_DEADLINE_SLACK_MS = 2000;

// The CLI finds the settings in the same folder; setting it here keeps the two
// in step whatever name Electron would derive from package.json.
const configDir = defaultConfigDir(process.platform, process.env, os.homedir());
app.setPath('userData', configDir);

// Held at module level: a tray that is garbage-collected vanishes from the menu bar.
let tray: WiredTray<Menu> | null = null;

if (app.requestSingleInstanceLock()) {
  void app.whenReady().then(launch).catch((error: unknown) => {
    console.error('llm-cache-proxy could not start:', error);
    app.exit(1);
  });
} else {
  // Another copy already owns the tray (and the port).
  app.quit();
}

async function launch(): Promise<void> {
  // LSUIElement hides the Dock icon of the packaged app; from source, do it here.
  if (!app.isPackaged) app.dock?.hide();

  // The platform opens the window for the controller, and the controller is built with the platform.
  let controller: AppController | null = null;
  const platform: PlatformServices = electronPlatform({ app, clipboard, shell, Notification, powerMonitor }, () => {
    if (controller) openActivityWindow(controller);
  });
  const opened = openSettings((options) => new Store<Settings>(options), { dir: configDir });
  controller = createAppController({
    settings: opened.store,
    loginItem: createLoginItemService(app, process.platform, process.env),
    platform,
    shellPath: process.env['SHELL'],
    os: process.platform,
  });
  if (opened.recovered) {
    platform.notify({ title: APP_TITLE, body: `${opened.recovered.reason} It was moved to ${opened.recovered.backupPath}; the defaults are in use.` });
  }

  registerIpc(controller);
  tray = wireTray({
    createTray: (imagePath) => new Tray(imagePath),
    buildMenu: (template) => Menu.buildFromTemplate(template),
  }, controller, { resourcesDir: resourcesDir(app.getAppPath()), os: process.platform });

  const running = controller;
  app.on('second-instance', () => openActivityWindow(running));
  // A menu-bar app lives on when its last window closes.
  app.on('window-all-closed', () => undefined);
  handleQuit(app, powerMonitor, {
    disappear() {
      tray?.dispose();
      tray = null;
      for (const window of BrowserWindow.getAllWindows()) window.destroy();
    },
    shutdown: (graceMs) => running.shutdown(graceMs),
    graceMs: QUIT_GRACE_MS,
    deadlineSlackMs: QUIT_DEADLINE_SLACK_MS,
  });
  // A desktop with no tray host would show nothing at all: the window is the app there.
  void trayIsVisible(process.platform).then((visible) => {
    if (!visible) openActivityWindow(running);
  });
  await running.start();
}
