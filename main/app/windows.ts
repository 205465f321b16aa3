// The Activity + Settings window: the renderer page from dist/renderer,
// sandboxed, context-isolated, with no Node in the page, a strict CSP, its own
// in-memory session that grants no permissions, and no way to navigate away
// or open other windows. Only one exists at a time.
import { app, BrowserWindow, nativeTheme, session } from 'electron';
import type { Session, WebContents } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppController } from '../core/controller/app-controller.js';
import { RENDERER_CSP_HEADER } from '../core/ui/csp.js';
import { rendererDir } from '../core/ui/paths.js';
import { loadPage } from './load-page.js';

/** Not persisted: the page keeps nothing, and sharing no storage with anything else is the point. */
const PARTITION = 'llm-cache-proxy-activity';
const TITLE = 'llm-cache-proxy';

let activityWindow: BrowserWindow | null = null;
let hardened: Session | null = null;

function preloadPath(): string {
  // This module compiles to dist/main/app/; the preload to dist/preload/.
  return fileURLToPath(new URL('../../preload/index.cjs', import.meta.url));
}

function hardenedSession(): Session {
  if (hardened) return hardened;
  const windowSession = session.fromPartition(PARTITION);
  windowSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  windowSession.setPermissionCheckHandler(() => false);
  // The <meta> policy again as a header, so it holds even before the page's <head> is parsed.
  windowSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP_HEADER] } });
  });
  hardened = windowSession;
  return windowSession;
}

/** The window's contents while it is open, for the IPC layer to push calls to and to recognise senders by. */
export function activityContents(): WebContents | null {
  return activityWindow && !activityWindow.isDestroyed() ? activityWindow.webContents : null;
}

/** A menu-bar app is not the active app when its menu is clicked; without this the window opens behind others. */
function bringForward(window: BrowserWindow): void {
  if (process.platform === 'darwin') app.focus({ steal: true });
  window.show();
  window.focus();
}

function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/**
 * Opens the window, or brings it forward. When the proxy could not start
 * (its port busy, say), it opens on Settings, where that is fixed.
 */
export function openActivityWindow(controller: AppController): BrowserWindow {
  if (activityWindow && !activityWindow.isDestroyed()) {
    if (activityWindow.isMinimized()) activityWindow.restore();
    bringForward(activityWindow);
    return activityWindow;
  }
  const window = new BrowserWindow({
    title: TITLE,
    width: 1080,
    height: 780,
    minWidth: 640,
    minHeight: 480,
    show: false,
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#141619' : '#f5f6f8',
    webPreferences: {
      preload: preloadPath(),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      session: hardenedSession(),
    },
  });
  activityWindow = window;
  lockDown(window.webContents);
  window.once('ready-to-show', () => bringForward(window));
  window.on('closed', () => {
    if (activityWindow === window) activityWindow = null;
  });
  const proxyState = controller.state().proxy.state;
  const view = proxyState === 'port-busy' || proxyState === 'error' ? 'settings' : 'activity';
  void loadPage(window, join(rendererDir(), 'index.html'), { hash: view });
  return window;
}
