// Real headless Chromium (Debian's package) driven by playwright-core, for the
// renderer tests; plus a stand-in for the app's preload bridge, backed by the
// same request handlers the app's IPC uses.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import type { UiRequestHandlers } from '../../main/core/ui/service.js';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Where screenshots go: test-artifacts/ at the repository root (this file runs from dist/test/support/). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // As root Chromium needs --no-sandbox; the rest keeps it from calling home on a closed network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Saves a full-page screenshot under test-artifacts/ and prints where. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = `${ARTIFACTS_DIR}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
  return path;
}

/**
 * What the preload does in the app, in page script: requests go to Node
 * through an exposed function (instead of IPC), pushes come from the test
 * through window.__uiPush (instead of webContents.send).
 */
const BRIDGE_SCRIPT = `(() => {
  const listeners = { call: new Set(), 'status-reset': new Set(), 'feed-state': new Set() };
  const subscribe = (event, listener) => { listeners[event].add(listener); return () => listeners[event].delete(listener); };
  const request = (method, ...args) => window.__uiRequest(method, args);
  window.__uiPush = (event, payload) => { for (const listener of listeners[event]) listener(payload); };
  window.llmCacheProxy = {
    capabilities: { settings: true },
    getStatus: () => request('getStatus'),
    onCall: (listener) => subscribe('call', listener),
    onStatusReset: (listener) => subscribe('status-reset', () => listener()),
    onFeedState: (listener) => {
      request('getStatus').then((status) => listener(status === null ? 'stopped' : 'live'));
      return subscribe('feed-state', listener);
    },
    getSnippet: (shell) => request('getSnippet', shell),
    copySnippet: (shell) => request('copySnippet', shell),
    getSettings: () => request('getSettings'),
    validateSettings: (patch) => request('validateSettings', patch),
    applySettings: (patch) => request('applySettings', patch),
  };
})();`;

/** Gives the page the app's bridge; call before the page loads. */
export async function injectAppBridge(page: Page, handlers: UiRequestHandlers): Promise<void> {
  await page.exposeFunction('__uiRequest', (method: string, args: unknown[]) => {
    if (!Object.hasOwn(handlers, method)) throw new Error(`unknown bridge method ${method}`);
    return handlers[method as keyof UiRequestHandlers](...args);
  });
  await page.addInitScript(BRIDGE_SCRIPT);
}
