// Real headless Chromium (Debian's package) driven by playwright-core, for the
// renderer tests; plus a stand-in for the app's preload bridge, backed by the
// same request handlers the app's IPC uses.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
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

/** The app's real preload, as compiled (this file runs from dist/test/support/). */
const PRELOAD = fileURLToPath(new URL('../../preload/index.cjs', import.meta.url));

/**
 * Runs the app's own preload in the page with a stand-in for the two Electron
 * APIs it uses: invoke() goes to Node through an exposed function (instead of
 * IPC), and pushes come from the test through window.__uiPush (instead of
 * webContents.send). So the page gets exactly the bridge the app would give it.
 */
function preloadScript(): string {
  const fakeElectron = `
    const PREFIX = 'llm-cache-proxy:';
    const listeners = new Map();
    window.__uiPush = (event, payload) => { for (const listener of listeners.get(PREFIX + event) ?? []) listener({}, payload); };
    const electron = {
      contextBridge: { exposeInMainWorld: (name, api) => { window[name] = api; } },
      ipcRenderer: {
        invoke: (channel, ...args) => window.__uiRequest(channel.slice(PREFIX.length), args),
        on: (channel, listener) => { if (!listeners.has(channel)) listeners.set(channel, new Set()); listeners.get(channel).add(listener); },
        removeListener: (channel, listener) => { listeners.get(channel)?.delete(listener); },
      },
    };
    const fakeRequire = (name) => { if (name === 'electron') return electron; throw new Error('a sandboxed preload may only require electron, not ' + name); };`;
  // The preload gets a scope of its own, as a CommonJS module would.
  return `(() => {${fakeElectron}\n((require, exports) => {\n${readFileSync(PRELOAD, 'utf8')}\n})(fakeRequire, {});\n})();`;
}

/** Gives the page the app's bridge; call before the page loads. */
export async function injectAppBridge(page: Page, handlers: UiRequestHandlers): Promise<void> {
  await page.exposeFunction('__uiRequest', (method: string, args: unknown[]) => {
    if (!Object.hasOwn(handlers, method)) throw new Error(`unknown bridge method ${method}`);
    return handlers[method as keyof UiRequestHandlers](...args);
  });
  await page.addInitScript(preloadScript());
}
