// Draws the README's two pictures from the real thing, in real headless Chromium:
//   docs/activity.png: the Activity page the proxy serves at /_proxy/ui, after
//     a session of Claude Code-shaped turns through the real proxy to the
//     Ollama stand-in, the last of them resumed on another day (a miss);
//   docs/menu.png: the tray menu model (main/core/menu) of a running app,
//     drawn as a menu.
// Run: npm run docs:images
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildTrayMenu } from '../main/core/menu/tray-menu.js';
import type { AppState, MenuItemModel } from '../main/core/menu/types.js';
import type { ProxyStatus } from '../main/core/wire/types.js';
import { launchChromium } from '../test/support/browser.js';
import { fullRequest, sessionBodies, DEFAULT_SESSION_ID } from '../test/support/claude-code-bodies.js';
import { send } from '../test/support/http-client.js';
import { startHarness } from '../test/support/proxy-harness.js';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));
const TURNS = 5;

async function sendSession(baseUrl: string): Promise<ProxyStatus> {
  const headers = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-claude-code-session-id': DEFAULT_SESSION_ID };
  const today = sessionBodies(fullRequest, fullRequest().messages, TURNS);
  // The same session resumed the next day: Claude Code's date line changes, early in the system prompt.
  const tomorrow = sessionBodies((options) => fullRequest({ ...options, date: '2025-11-05' }), fullRequest().messages, TURNS + 1).at(-1)!;
  for (const body of [...today, tomorrow]) {
    const response = await send(baseUrl, { method: 'POST', path: '/v1/messages?beta=true', headers, body });
    if (response.status !== 200) throw new Error(`the proxy answered ${response.status}: ${response.text}`);
  }
  return (await fetch(`${baseUrl}/_proxy/status`)).json() as Promise<ProxyStatus>;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** The menu model as a macOS-like menu: checkmarks, disabled status lines, submenu arrows. */
function menuHtml(items: readonly MenuItemModel[]): string {
  const rows = items.map((item) => {
    if (item.type === 'separator') return '<div class="sep"></div>';
    const mark = item.checked ? '✓' : '';
    const arrow = item.type === 'submenu' ? '<span class="arrow">›</span>' : '';
    return `<div class="item${item.enabled ? '' : ' off'}"><span class="mark">${mark}</span>${escapeHtml(item.label)}${arrow}</div>`;
  }).join('');
  return `<!doctype html><meta charset="utf-8"><style>
    body { margin: 0; padding: 16px; background: #e9e9ee; font: 13px -apple-system, "Helvetica Neue", "DejaVu Sans", sans-serif; }
    .menu { display: inline-block; min-width: 340px; padding: 5px 0; background: #f6f6f6; border: 1px solid #c8c8c8; border-radius: 7px; box-shadow: 0 6px 18px rgba(0,0,0,.18); }
    .item { position: relative; padding: 3px 28px 3px 22px; color: #1d1d1f; white-space: nowrap; }
    .item.off { color: #8a8a8e; }
    .mark { position: absolute; left: 7px; }
    .arrow { position: absolute; right: 10px; }
    .sep { height: 1px; margin: 5px 0; background: #d6d6d6; }
  </style><div class="menu" id="menu">${rows}</div>`;
}

function appState(status: ProxyStatus, port: number, target: string): AppState {
  const last = status.recent.at(-1) ?? null;
  return {
    proxy: { state: 'running', host: '127.0.0.1', port, target },
    backendState: {
      status: 'up',
      version: '0.12.6',
      models: [{ name: 'qwen3-coder:30b' }, { name: 'gpt-oss:20b' }],
      loaded: [{ name: 'qwen3-coder:30b', contextLength: 65536 }],
      lastCheckedAt: new Date(),
    },
    keepAliveExpiresAt: null,
    lastCall: last && { reuse: last.reuse, bust: last.bust },
    settings: { rewrite: 'drop', bare: false, model: 'qwen3-coder:30b', keepModelLoaded: true, warm: 'auto' },
    loginItem: { supported: true, enabled: true, requiresApproval: false },
    shell: 'zsh',
  };
}

async function main(): Promise<void> {
  mkdirSync(DOCS, { recursive: true });
  const harness = await startHarness({ promptExcerpts: true }, { timing: { prefillMs: 20, tokenDelayMs: 5, tokens: 12 } });
  const browser = await launchChromium();
  try {
    const status = await sendSession(harness.url);
    const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
    await page.goto(`${harness.url}/_proxy/ui`);
    await page.locator('#calls-body tr').nth(TURNS).waitFor();
    // Open the miss, so the picture shows where the prompt diverged and why.
    await page.locator('#calls-body tr').first().click();
    await page.screenshot({ path: `${DOCS}activity.png` });

    // The menu of an app on its default port and backend, after this session's calls.
    const menu = buildTrayMenu(appState(status, 11435, 'http://127.0.0.1:11434'));
    // A page of its own: the Activity page's CSP would refuse this one's inline style.
    const menuPage = await browser.newPage({ deviceScaleFactor: 2 });
    await menuPage.setContent(menuHtml(menu));
    await menuPage.locator('#menu').screenshot({ path: `${DOCS}menu.png` });
    console.log(`wrote ${DOCS}activity.png and ${DOCS}menu.png`);
  } finally {
    await browser.close();
    await harness.close();
  }
}

await main();
