// The Activity view's calls in flight, in real headless Chromium, watching a
// real proxy whose stand-in backend holds the first byte for seconds: the
// progress bar fills against the predicted prefill, the seconds count up, the
// warning appears past twice the prediction, and the entry goes at the end.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { InFlightCall, InFlightEvent, ProxyStatus } from '../main/core/wire/types.js';
import { defaultSettings } from '../main/core/settings/schema.js';
import type { UiHost } from '../main/core/ui/service.js';
import { UiService, uiRequestHandlers } from '../main/core/ui/service.js';
import { CHROMIUM_PATH, injectAppBridge, launchChromium, saveScreenshot } from './support/browser.js';
import { needsFile } from './support/requirements.js';
import { bareBody, conversation, DEFAULT_SESSION_ID } from './support/claude-code-bodies.js';
import { send } from './support/http-client.js';
import { startHarness, type Harness } from './support/proxy-harness.js';

const skip = needsFile(CHROMIUM_PATH, `Chromium (${CHROMIUM_PATH}; set CHROMIUM_PATH)`);
const HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };
/**
 * The first call's prefill sets the rate; the second is about the same size and held three times longer.
 * Long enough that a page polled on a loaded 2-core machine still sees the first call while it waits.
 */
const RATE_CALL_MS = 3000;
const SLOW_CALL_MS = 9000;

let browser: Browser;
let harness: Harness;

before(async () => {
  harness = await startHarness({ rewrite: 'off', backendInfo: () => ({ loaded: true, contextTokens: 8192, contextCost: null }) }, { timing: { prefillMs: RATE_CALL_MS, tokenDelayMs: 1, tokens: 2 } });
  if (!skip) browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await harness?.close();
});

/** Turn n of one conversation with the rewrite off, so each turn's new billing line misses the whole prompt. */
function post(turn: number): Promise<unknown> {
  return send(harness.url, {
    method: 'POST', path: '/v1/messages?beta=true', headers: { ...HEADERS, 'x-claude-code-session-id': DEFAULT_SESSION_ID },
    body: bareBody({ billing: 'cch', call: turn, messages: conversation(turn - 1, 300) }),
  });
}

/** Polls a page expression until `ok` accepts its value; fails with the last value seen. */
async function waitFor<T>(page: Page, expression: string, ok: (value: T) => boolean, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await page.evaluate(expression) as T;
  while (!ok(value)) {
    if (Date.now() > deadline) assert.fail(`timed out on ${expression}; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
    value = await page.evaluate(expression) as T;
  }
  return value;
}

const BAR = `(() => { const bar = document.querySelector('#in-flight-list progress'); return bar === null ? null : (bar.hasAttribute('value') ? bar.value : 'indeterminate'); })()`;
const ELAPSED = `document.querySelector('#in-flight-list .elapsed')?.textContent ?? null`;

describe('Calls in flight in the Activity view', { skip }, () => {
  test('a bar against the predicted prefill, growing seconds, the overdue warning, then gone', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${harness.url}/_proxy/ui/`);
    await waitFor<string>(page, `document.querySelector('#feed-state').textContent`, (text) => text === 'live');

    // No rate yet for the model: the bar is indeterminate rather than invented.
    const first = post(1);
    assert.equal(await waitFor(page, BAR, (v) => v !== null), 'indeterminate');
    assert.match(await page.locator('#in-flight-list .prompt-size').innerText(), /tokens of a 8,192-token window/);
    await first;
    await waitFor(page, `document.querySelector('#in-flight').hidden`, (hidden) => hidden === true);
    // The completed call shows its prompt in tokens beside the model's window.
    const cell = await waitFor<string | null>(page, `document.querySelector('#calls-body td.window')?.textContent ?? null`, (text) => text !== null);
    assert.match(cell!, /^[\d,]+ \/ 8,192$/);

    harness.standin.timing = { prefillMs: SLOW_CALL_MS, tokenDelayMs: 1, tokens: 2 };
    const slow = post(2);
    const early = await waitFor<number | string | null>(page, BAR, (v) => typeof v === 'number' && v > 0);
    assert.ok(typeof early === 'number' && early < 1, `the bar starts partly filled, at ${early}`);
    const elapsedEarly = await page.evaluate(ELAPSED) as string;
    assert.match(await page.locator('#in-flight-list .wait-line').innerText(), /^Re-reading [\d,]+ tokens \(cache miss: billing header changed\), ~\d+ s left$/);
    const later = await waitFor<number | string | null>(page, BAR, (v) => typeof v === 'number' && v > early);
    assert.ok(Number(later) > early, 'the bar fills as time passes');
    assert.notEqual(await page.evaluate(ELAPSED), elapsedEarly, 'the seconds count up');
    // The stand-in holds three times the measured rate's prediction: past twice, the page says so.
    const overdue = await waitFor<string | null>(page, `document.querySelector('#in-flight-list .overdue')?.textContent ?? null`, (t) => t !== null);
    assert.match(overdue!, /longer than expected: the backend may be loading the model or swapping/);
    await saveScreenshot(page, 'activity-in-flight-overdue');
    await slow;
    await waitFor(page, `document.querySelector('#in-flight').hidden`, (hidden) => hidden === true);
    assert.equal(await page.locator('#in-flight-list li').count(), 0);
    assert.deepEqual(problems, []);
  });
});

describe('The app window: calls in flight over the preload bridge, and a window too small said before the first call', { skip }, () => {
  test('the status snapshot lists the waiting call, a pushed call-end removes it, and the snippet panel warns of the 8K window', async () => {
    const status = await (await fetch(`${harness.url}/_proxy/status`)).json() as ProxyStatus;
    const waiting: InFlightCall = {
      id: 41, time: new Date().toISOString(), session: 'a1b2c3', turn: 4, model: 'qwen3-coder:30b', promptTokens: 31_200, reusedTokens: 0,
      expectedPrefillMs: 60_000, elapsedMs: 20_000, phase: 'waiting', cause: 'side-call-evicted', loadingModel: false, contextTokens: 8192,
    };
    // A title call is no turn of the conversation.
    const titleCall: InFlightCall = { ...waiting, id: 42, turn: 0, promptTokens: 350, cause: null };
    const host: UiHost = {
      settings: () => defaultSettings(),
      applySettings: () => Promise.resolve({ ok: true }),
      proxyStatus: () => ({ ...status, recent: [], inFlight: [waiting, titleCall] }),
      state: () => ({ backendState: { models: [{ name: 'qwen3-coder:30b' }] }, shell: 'zsh', snippet: { window: { tokens: 8192, source: "Ollama's /api/ps for qwen3-coder:30b as loaded" } } }),
    };
    const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    await injectAppBridge(page, uiRequestHandlers(new UiService(host), () => undefined));
    await page.goto(`${harness.url}/_proxy/ui/`);
    await waitFor(page, `document.querySelector('#in-flight-list li')?.dataset.id ?? null`, (id) => id === '41');
    const main = page.locator('#in-flight-list li[data-id="41"]');
    assert.match(await main.locator('.wait-line').innerText(), /^Re-reading 31,200 tokens \(cache miss: side call evicted\), ~\d+ s left$/);
    assert.match(await main.locator('.prompt-size').innerText(), /31,200 tokens of a 8,192-token window/);
    assert.equal(await main.locator('.who').innerText(), 'Turn 4 · a1b2c3 · qwen3-coder:30b');
    assert.equal(await page.locator('#in-flight-list li[data-id="42"] .who').innerText(), 'Side call · a1b2c3 · qwen3-coder:30b');
    // Before any call completes, the empty state's snippet says plainly that Claude Code will not fit.
    const warning = await waitFor<string>(page, `document.querySelector('#empty-snippet .window-warning')?.textContent ?? ''`, (text) => text !== '');
    assert.match(warning, /^The 8,192-token context window of qwen3-coder:30b is too small for Claude Code: .* raise the context to 65,536 tokens or more/);
    assert.match(await page.locator('#empty-snippet pre').innerText(), /CLAUDE_CODE_MAX_CONTEXT_TOKENS='8192'/);
    await saveScreenshot(page, 'activity-app-bridge-small-window');
    for (const call of [waiting, titleCall]) {
      await page.evaluate((event: InFlightEvent) => (globalThis as unknown as { __uiPush(name: string, payload: unknown): void }).__uiPush('in-flight', event), { type: 'call-end', call } satisfies InFlightEvent);
    }
    await waitFor(page, `document.querySelector('#in-flight').hidden`, (hidden) => hidden === true);
    await page.context().close();
  });
});
