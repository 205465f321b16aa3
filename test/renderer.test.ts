// The Activity + Settings page in real headless Chromium. The Activity view is
// served by the real headless proxy at /_proxy/ui and watches real traffic
// through it (read-only HTTP bridge); the Settings view runs on the app's
// bridge, backed by the real settings module and a recording controller.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { listenFailure } from '../main/core/controller/proxy-config.js';
import type { CallRecord, ProxyStatus } from '../main/core/wire/types.js';
import { BILLING_REMEDIES } from '../main/core/diagnostics/remedies.js';
import { createProxy } from '../main/core/proxy/server.js';
import type { ProxyServer } from '../main/core/proxy/server.js';
import type { Settings } from '../main/core/settings/schema.js';
import { defaultSettings } from '../main/core/settings/schema.js';
import { validateSettings } from '../main/core/settings/validate.js';
import { claudelSnippet } from '../main/core/snippet/claudel.js';
import type { ApplyOutcome } from '../main/core/ui/bridge.js';
import { RENDERER_CSP, RENDERER_CSP_HEADER } from '../main/core/ui/csp.js';
import { rendererPageUrl } from '../main/core/ui/paths.js';
import { isTrustedSender } from '../main/core/ui/sender-check.js';
import type { UiHost } from '../main/core/ui/service.js';
import { UiService, uiRequestHandlers } from '../main/core/ui/service.js';
import { CHROMIUM_PATH, injectAppBridge, launchChromium, saveScreenshot } from './support/browser.js';
import { needsFile } from './support/requirements.js';
import { bareBody, conversation, DEFAULT_SESSION_ID, fullBody } from './support/claude-code-bodies.js';
import { send } from './support/http-client.js';
import type { Harness } from './support/proxy-harness.js';
import { startHarness } from './support/proxy-harness.js';
import { loadRecording } from './support/recordings.js';
import { startEngineStandin } from './support/engine-standins.js';
import { startBackendRig } from './support/backend-rig.js';

const PAGE_BUDGET_BYTES = 100 * 1024;
const VIEWPORT = { width: 1200, height: 900 };
const WAIT_MS = 5000;
/** Small tool results keep each turn's growth small, as in a real session, so a hit reads as a high reuse. */
const RESULT_BYTES = 300;

let browser: Browser;
let harness: Harness;
/** The proxy started on the same port to test reconnection. */
let replacement: ProxyServer | null = null;

const skipBrowser = needsFile(CHROMIUM_PATH, `Chromium (${CHROMIUM_PATH}; set CHROMIUM_PATH)`);
/** Skipped one by one, not as a suite: Node 20 leaves a skipped suite's tests out of its counts. */
const browserTest = (name: string, fn: () => Promise<void>): Promise<void> => test(name, { skip: skipBrowser }, fn);

before(async () => {
  // One after the other: if Chromium fails to start, `after` still finds the harness to close.
  harness = await startHarness({ rewrite: 'off', promptExcerpts: true }, { timing: { prefillMs: 5, tokenDelayMs: 1, tokens: 3 } });
  if (!skipBrowser) browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await replacement?.stop(100);
  await harness?.close();
});

/** Turn n of one conversation, as `claude --bare` 2.1.139 sends it; `billingCall` picks the billing line's volatile values. */
async function sendTurn(baseUrl: string, turn: number, billingCall: number): Promise<void> {
  const response = await send(baseUrl, {
    method: 'POST',
    path: '/v1/messages?beta=true',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-claude-code-session-id': DEFAULT_SESSION_ID },
    body: bareBody({ billing: 'cch', call: billingCall, messages: conversation(turn - 1, RESULT_BYTES) }),
  });
  assert.equal(response.status, 200, response.text);
}

async function proxyStatus(baseUrl: string): Promise<ProxyStatus> {
  return (await fetch(`${baseUrl}/_proxy/status`)).json() as Promise<ProxyStatus>;
}

/**
 * Waits until a page expression is true; on timeout, fails with what the page
 * shows instead. Polls with page.evaluate: waitForFunction compiles its
 * predicate in the page, which the page's CSP (rightly) refuses.
 */
async function waitUntil(page: Page, expression: string, describe: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (await page.evaluate(expression) !== true) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${expression}; the page shows ${JSON.stringify(await describe())}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function waitForText(page: Page, selector: string, expected: string): Promise<void> {
  return waitUntil(page, `document.querySelector(${JSON.stringify(selector)})?.textContent === ${JSON.stringify(expected)}`,
    () => page.locator(selector).textContent());
}

function waitForRows(page: Page, count: number): Promise<void> {
  return waitUntil(page, `document.querySelectorAll('#calls-body tr').length === ${count}`, () => page.locator('#calls-body').innerText());
}

function percentOf(text: string | null): number {
  const match = /([\d.]+)%/.exec(text ?? '');
  assert.ok(match, `no percentage in ${JSON.stringify(text)}`);
  return Number(match[1]);
}

interface Row {
  readonly key: string | null;
  readonly turn: string;
  readonly session: string;
  readonly reuse: string;
  readonly cause: string;
  readonly remedy: string | null;
}

async function tableRows(page: Page): Promise<Row[]> {
  const rows = page.locator('#calls-body tr');
  const out: Row[] = [];
  for (let i = 0; i < await rows.count(); i++) {
    const row = rows.nth(i);
    const badge = row.locator('td.cause .badge');
    out.push({
      key: await row.getAttribute('data-key'),
      turn: await row.locator('td.turn').innerText(),
      session: await row.locator('td.session').innerText(),
      reuse: await row.locator('.pct').innerText(),
      cause: (await row.locator('td.cause').textContent()) ?? '',
      remedy: await badge.count() > 0 ? await badge.getAttribute('title') : null,
    });
  }
  return out;
}

/** Collects what would show up red in DevTools: uncaught errors and CSP violations. */
function watchForErrors(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content.Security.Policy|Refused/i.test(message.text())) problems.push(message.text());
  });
  return problems;
}

/** The app's controller as far as the window sees it; records every apply, refuses one port as busy. */
class RecordingController implements UiHost {
  current: Settings = defaultSettings();
  readonly applied: Partial<Settings>[] = [];

  constructor(private readonly busyPort: number) {}

  settings(): Readonly<Settings> {
    return this.current;
  }

  async applySettings(patch: Partial<Settings>): Promise<ApplyOutcome> {
    this.applied.push(patch);
    const candidate = { ...this.current, ...patch };
    const verdict = validateSettings(candidate);
    if (!verdict.ok) return { ok: false, errors: verdict.errors };
    if (candidate.port === this.busyPort) {
      const busy = Object.assign(new Error(`listen EADDRINUSE: address already in use ${candidate.host}:${candidate.port}`), { code: 'EADDRINUSE' });
      return { ok: false, errors: [listenFailure(busy, candidate.host, candidate.port)] };
    }
    this.current = candidate;
    return { ok: true };
  }

  proxyStatus(): ProxyStatus | null {
    return null;
  }

  state(): ReturnType<UiHost['state']> {
    return { backendState: { models: [{ name: 'qwen3-coder:30b' }, { name: 'llama3.1:8b' }] }, shell: 'zsh' };
  }
}

function messageFor(candidate: Partial<Settings>, field: keyof Settings): string {
  const error = validateSettings({ ...defaultSettings(), ...candidate }).errors.find((e) => e.field === field);
  assert.ok(error, `validateSettings finds nothing wrong with ${field} in ${JSON.stringify(candidate)}`);
  return error.message;
}

describe('The app bridge\'s main side, without Electron', () => {
  const page = rendererPageUrl('/Applications/LLM Cache Proxy.app/Contents/Resources/app/dist/renderer');
  const sender = (url: string, contentsId = 7, isMainFrame = true) => ({ contentsId, frame: { url, isMainFrame } });

  test('only our page, in the main frame of our window, may call it', () => {
    assert.equal(isTrustedSender(sender(page), 7, page), true);
    assert.equal(isTrustedSender(sender(`${page}#settings`), 7, page), true, 'any view of the page');
    assert.equal(isTrustedSender(sender(page, 8), 7, page), false, 'another window');
    assert.equal(isTrustedSender(sender(page), null, page), false, 'our window is closed');
    assert.equal(isTrustedSender(sender(page, 7, false), 7, page), false, 'an iframe');
    assert.equal(isTrustedSender({ contentsId: 7, frame: null }, 7, page), false, 'a disposed frame');
    for (const url of ['https://example.com/', 'file:///tmp/index.html', `${page}?x=1`, page.replace('index.html', 'other.html'), 'about:blank', 'not a url']) {
      assert.equal(isTrustedSender(sender(url), 7, page), false, url);
    }
  });

  test('the page may only change the settings the window shows', async () => {
    const controller = new RecordingController(0);
    const service = new UiService(controller);
    const outcome = await service.apply({ allowOrigins: ['https://evil.example'], port: 11436 });
    assert.deepEqual(outcome, { ok: false, errors: [{ field: 'allowOrigins', message: '"allowOrigins" cannot be changed from this window.' }] });
    assert.deepEqual(await service.apply('port=1'), { ok: false, errors: [{ field: '', message: 'Settings must be sent as an object of fields.' }] });
    assert.deepEqual(controller.applied, [], 'nothing reached the controller');
    assert.deepEqual(service.validate({ host: '192.168.1.20' }).map((e) => e.field), ['token'], 'judged with the current settings');
  });

  test('the form carries the schema\'s labels, limits and choices, and Ollama\'s models', () => {
    const form = new UiService(new RecordingController(0)).settingsForm();
    assert.deepEqual(Object.keys(form.values).sort(), Object.keys(form.fields).sort());
    assert.deepEqual(form.fields.port, { type: 'integer', title: 'Port', description: form.fields.port.description, minimum: 1, maximum: 65535 });
    assert.deepEqual(form.fields.rewrite.enum, ['drop', 'normalize', 'off']);
    assert.deepEqual(form.models, ['qwen3-coder:30b', 'llama3.1:8b']);
  });
});

describe('Settings view on the app bridge, backed by the real settings module', () => {
  const BUSY_PORT = 11500;
  const controller = new RecordingController(BUSY_PORT);
  const copied: string[] = [];
  let page: Page;
  let problems: string[];

  before(async () => {
    if (skipBrowser) return;
    page = await browser.newPage({ viewport: VIEWPORT });
    problems = watchForErrors(page);
    await injectAppBridge(page, uiRequestHandlers(new UiService(controller), (text) => copied.push(text)));
    await page.goto(`${harness.url}/_proxy/ui/#settings`);
  });

  after(async () => {
    await page?.close();
  });

  browserTest('opens on Settings with the current values, the schema\'s labels and Ollama\'s models', async () => {
    await waitUntil(page, `document.getElementById('setting-port')?.value === '11435'`, () => page.locator('#view-settings').innerText());
    assert.equal(await page.locator('#tab-settings').getAttribute('aria-selected'), 'true');
    assert.equal(await page.locator('label[for="setting-target"]').innerText(), 'Backend URL');
    assert.deepEqual(await page.locator('#setting-model option').allTextContents(), ['qwen3-coder:30b', 'llama3.1:8b']);
    assert.deepEqual(await page.locator('#setting-rewrite option').allTextContents(), ['drop', 'normalize', 'off']);
    assert.equal(await page.locator('label[for="setting-sideModel"]').innerText(), 'Side-call model');
    assert.deepEqual(await page.locator('#setting-sideModel option').allTextContents(), ['(off)', 'qwen3-coder:30b', 'llama3.1:8b'], 'off, or any installed model');
    assert.equal(await page.locator('#setting-sideModel').inputValue(), '');
  });

  browserTest('validates as you type, with the core\'s messages next to each field', async () => {
    await page.fill('#setting-target', 'localhost:11434/v1');
    await waitForText(page, '#setting-target-error', messageFor({ target: 'localhost:11434/v1' }, 'target'));
    assert.equal(await page.locator('#setting-target').getAttribute('aria-invalid'), 'true');

    await page.fill('#setting-port', '70000');
    await waitForText(page, '#setting-port-error', messageFor({ port: 70000 }, 'port'));

    await page.fill('#setting-host', '0.0.0.0');
    await waitForText(page, '#setting-token-error', messageFor({ host: '0.0.0.0' }, 'token'));
    await saveScreenshot(page, 'settings-validation-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await saveScreenshot(page, 'settings-validation-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // Fixing a field clears its message.
    await page.fill('#setting-target', 'http://127.0.0.1:11434');
    await waitForText(page, '#setting-target-error', '');
    assert.equal(await page.locator('#setting-target').getAttribute('aria-invalid'), 'false');
  });

  browserTest('Apply reaches the controller; its refusals (a busy port) show on the field', async () => {
    await page.fill('#setting-host', '127.0.0.1');
    await page.fill('#setting-port', String(BUSY_PORT));
    await page.click('#settings-apply');
    const busy = listenFailure(Object.assign(new Error('busy'), { code: 'EADDRINUSE' }), '127.0.0.1', BUSY_PORT).message;
    await waitForText(page, '#setting-port-error', busy);
    assert.deepEqual(controller.applied.at(-1), { port: BUSY_PORT });
    assert.equal(controller.current.port, 11435, 'a refused edit is not applied');

    // Typing elsewhere keeps the refusal until the port itself changes.
    await page.check('#setting-bare');
    await page.waitForTimeout(400);
    assert.equal(await page.locator('#setting-port-error').textContent(), busy);

    await page.fill('#setting-port', '11436');
    await page.selectOption('#setting-model', 'llama3.1:8b');
    await page.selectOption('#setting-sideModel', 'qwen3-coder:30b');
    await page.click('#settings-apply');
    await waitForText(page, '#settings-status', 'Applied. Calls in progress finish on the old settings.');
    assert.deepEqual(controller.applied.at(-1), { port: 11436, bare: true, model: 'llama3.1:8b', sideModel: 'qwen3-coder:30b' });
    assert.equal(controller.current.port, 11436);
    assert.equal(await page.locator('#setting-port').inputValue(), '11436', 'the form shows the applied settings');
    assert.equal(await page.locator('#settings-apply').isDisabled(), true, 'nothing left to apply');
    assert.equal(await page.locator('#setting-port-error').textContent(), '');
  });

  browserTest('the Snippet view copies the claudel function through the bridge, for the new settings', async () => {
    await page.focus('#tab-settings');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.locator('#tab-snippet').getAttribute('aria-selected'), 'true', 'arrow keys move between tabs');
    const expected = claudelSnippet({ shell: 'zsh', port: 11436, host: '127.0.0.1', model: 'llama3.1:8b', bare: true });
    await waitForText(page, '#snippet-panel pre code', expected);
    await page.click('#snippet-panel button.copy');
    await waitForText(page, '#snippet-panel .copy-status', 'Copied.');
    assert.deepEqual(copied, [expected]);
    assert.match(await page.locator('#view-snippet').innerText(), /CLAUDE_CODE_ATTRIBUTION_HEADER=0[\s\S]*CLAUDE_CODE_TOTAL_TOKENS_REMINDER=off/);
    assert.deepEqual(problems, []);
  });
});

describe('Activity view in a browser, served by the headless proxy', () => {
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  before(async () => {
    if (skipBrowser) return;
    context = await browser.newContext({ viewport: VIEWPORT });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: harness.url });
    page = await context.newPage();
    problems = watchForErrors(page);
  });

  after(async () => {
    await context?.close();
  });

  browserTest('the page weighs well under 100 KB and carries its CSP in the header and the <meta> tag', async () => {
    const sizes = new Map<string, number>();
    page.on('response', (response) => {
      const url = new URL(response.url());
      // The page's own files and the core modules it loads (/_proxy/main/core/wait/).
      if (url.pathname.startsWith('/_proxy/ui/') || url.pathname.startsWith('/_proxy/main/')) void response.body().then((body) => sizes.set(url.pathname, body.length), () => undefined);
    });
    const response = await page.goto(`${harness.url}/_proxy/ui`);
    assert.equal(new URL(page.url()).pathname, '/_proxy/ui/', '/_proxy/ui redirects to the directory');
    assert.equal(response?.headers()['content-security-policy'], RENDERER_CSP_HEADER);
    assert.equal(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content'), RENDERER_CSP);
    await waitForText(page, '#feed-state', 'live');
    const total = [...sizes.values()].reduce((sum, size) => sum + size, 0);
    console.log(`page weight: ${total} bytes in ${sizes.size} files (${[...sizes.keys()].join(', ')})`);
    for (const file of ['/_proxy/ui/', '/_proxy/ui/styles.css', '/_proxy/ui/main.js', '/_proxy/ui/activity-view.js']) assert.ok(sizes.has(file), `${file} was loaded`);
    assert.ok(total < PAGE_BUDGET_BYTES, `page is ${total} bytes`);
  });

  browserTest('before any call: the empty state with the claudel snippet, which Copy puts on the clipboard', async () => {
    assert.equal(await page.locator('#activity-empty').isVisible(), true);
    assert.match(await page.locator('#activity-empty h2').innerText(), /Waiting for the first call/);
    await waitUntil(page, `document.querySelector('#empty-snippet pre code')?.textContent.includes('function claudel')`, () => page.locator('#empty-snippet').innerText());
    const snippet = await page.locator('#empty-snippet pre code').textContent();
    assert.match(snippet ?? '', new RegExp(`ANTHROPIC_BASE_URL='http://127\\.0\\.0\\.1:${harness.port}'`));
    await page.click('#empty-snippet button.copy');
    await waitForText(page, '#empty-snippet .copy-status', 'Copied.');
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), snippet);
    assert.equal(await page.locator('#tab-settings').isHidden(), true, 'a browser cannot change settings');
    await saveScreenshot(page, 'activity-empty-light');
  });

  browserTest('three turns appear live, newest on top, with their reuse and the billing-header miss', async () => {
    await page.evaluate('window.__sameDocument = true');
    // Turn 3 carries a new billing line (cch and version suffix), and the rewrite is off.
    await sendTurn(harness.url, 1, 0);
    await waitForRows(page, 1);
    await sendTurn(harness.url, 2, 0);
    await waitForRows(page, 2);
    await sendTurn(harness.url, 3, 1);
    await waitForRows(page, 3);
    assert.equal(await page.evaluate('window.__sameDocument'), true, 'rows arrived without a reload');

    const records = (await proxyStatus(harness.url)).recent;
    assert.equal(records.length, 3);
    const rows = await tableRows(page);
    assert.deepEqual(rows.map((row) => row.key), [...records].reverse().map((record) => `${record.id}@${record.time}`), 'one row per call, newest first');
    for (const [row, record] of rows.map((row, i) => [row, records[records.length - 1 - i]!] as const)) {
      assert.equal(row.turn, `${record.turn} · ${record.call}`);
      assert.equal(row.session, record.session);
      assert.ok(Math.abs(percentOf(row.reuse) - record.reuse * 100) <= 0.5, `row shows ${row.reuse} for reuse ${record.reuse}`);
    }

    const [third, second, first] = rows as [Row, Row, Row];
    const [, secondRecord, thirdRecord] = records as [CallRecord, CallRecord, CallRecord];
    // One user prompt and two tool results: one user turn of three model calls.
    assert.deepEqual([first.turn, second.turn, third.turn], ['1 · 1', '1 · 2', '1 · 3']);
    assert.equal(first.session, DEFAULT_SESSION_ID.slice(0, first.session.length));
    assert.equal(first.cause, 'first turn');
    assert.equal(second.cause, '—');
    assert.equal(secondRecord.conversationReuse, 1, 'turn 2 begins with all of turn 1');
    assert.ok(percentOf(second.reuse) >= 80, `turn 2 reused ${second.reuse}`);
    assert.ok(third.cause.startsWith('billing-header'), third.cause);
    assert.equal(third.remedy, BILLING_REMEDIES.rewriteOff);
    assert.ok(third.cause.includes(BILLING_REMEDIES.rewriteOff), 'screen readers get the remedy too');
    assert.ok(percentOf(third.reuse) < 5, `turn 3 reused ${third.reuse}`);
    assert.equal(thirdRecord.bust?.cause, 'billing-header');

    assert.equal(await page.locator('#total-calls').innerText(), '3');
    assert.equal(await page.locator('#total-misses').innerText(), '1');
    assert.equal(await page.locator('#total-reused').innerText(), records.reduce((sum, r) => sum + (r.cacheReadTokens ?? 0), 0).toLocaleString('en-US'));
    assert.match(await page.locator('#total-saved').innerText(), /^≈ \d/, 'turn 1 was uncached, so the prefill rate is known');
    assert.equal(await page.locator('#chart-session').innerText(), first.session);
    assert.deepEqual(await page.locator('#chart g.bar').evaluateAll((bars) => bars.map((bar) => bar.getAttribute('data-kind'))), ['first', 'hit', 'miss']);
    assert.match(await page.locator('#chart svg').getAttribute('aria-label') ?? '', /turn 1 · call 3: .*% reused \(miss: billing-header\)/);
  });

  browserTest('rows work from the keyboard, and a miss shows where the prompt diverged', async () => {
    const rows = page.locator('#calls-body tr');
    assert.deepEqual(await rows.evaluateAll((all) => all.map((row) => row.getAttribute('tabindex'))), ['0', '-1', '-1'], 'one tab stop for the table');
    await rows.first().focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    assert.equal(await rows.nth(1).getAttribute('aria-current'), 'true');
    assert.match(await page.locator('#detail h3').innerText(), /^Turn 1 · call 2 of conversation/);
    assert.match(await page.locator('#detail .facts').innerText(), /Reused by the backend\s+[\d.]+% \(estimate\)/, 'whose figure the reuse is');

    await page.keyboard.press('ArrowUp');
    await page.keyboard.press(' ');
    const bust = (await proxyStatus(harness.url)).recent[2]!.bust!;
    assert.equal(await page.locator('#detail .path').innerText(), bust.path);
    assert.equal(bust.path, 'system[0].text');
    assert.equal(await page.locator('#detail del').textContent(), bust.before);
    assert.equal(await page.locator('#detail ins').textContent(), bust.after);
    assert.equal(await page.locator('#detail .excerpt .lead').first().textContent(), bust.lead ?? null);
    assert.match(await page.locator('#detail .bust-cause').innerText(), /billing-header.*rewrite is off/);

    await saveScreenshot(page, 'activity-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await saveScreenshot(page, 'activity-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  browserTest('a delegating session: the subagent\'s calls sit folded under the main agent, and Enter unfolds them', async () => {
    for (const call of loadRecording('cc-2.1.332-subagent').calls) {
      const response = await send(harness.url, { method: call.method, path: call.path, headers: call.headers, body: Buffer.from(call.body) });
      assert.equal(response.status, 200, response.text);
    }
    // Three earlier calls, the main agent's two, and one row for the subagent between them.
    await waitForRows(page, 6);
    const records = (await proxyStatus(harness.url)).recent.slice(3);
    const [main1, sub1, sub2, main2] = records as [CallRecord, CallRecord, CallRecord, CallRecord];
    const rows = page.locator('#calls-body tr');
    const keys = await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-key')));
    const group = `agent:${main1.session}|${sub1.agent!.id}`;
    assert.deepEqual(keys.slice(0, 3), [`${main2.id}@${main2.time}`, group, `${main1.id}@${main1.time}`], 'the subagent folded between the main agent\'s calls');
    const agentRow = rows.nth(1);
    assert.equal(await agentRow.getAttribute('aria-expanded'), 'false');
    assert.match(await agentRow.innerText(), new RegExp(`${main1.session}/${sub1.agent!.id}\\s+subagent ${sub1.agent!.id} · 2 calls`));
    assert.match(await rows.nth(0).locator('td.cause').innerText(), /^slot-evicted/);

    await agentRow.focus();
    await page.keyboard.press('Enter');
    await waitForRows(page, 8);
    assert.equal(await rows.nth(1).getAttribute('aria-expanded'), 'true');
    const unfolded = await rows.evaluateAll((all) => all.slice(2, 4).map((row) => [row.getAttribute('data-key'), row.querySelector('td.session')!.textContent]));
    assert.deepEqual(unfolded, [[`${sub2.id}@${sub2.time}`, sub2.session], [`${sub1.id}@${sub1.time}`, sub1.session]], 'its calls under it, newest first');
    assert.equal(sub1.session, `${main1.session}/${sub1.agent!.id}`);
    const indent = (n: number): Promise<number> => page.evaluate(`parseFloat(getComputedStyle(document.querySelectorAll('#calls-body tr')[${n}].querySelector('td.session')).paddingLeft)`);
    assert.ok(await indent(2) > await indent(0), 'indented under its parent');
    await saveScreenshot(page, 'activity-subagent');
    await rows.nth(1).click();
    await waitForRows(page, 6);
    assert.deepEqual(problems, []);
  });

  browserTest('after the proxy restarts, the page reconnects and shows the new proxy\'s calls', async () => {
    await harness.proxy.stop(100);
    await waitUntil(page, `document.getElementById('feed-state').dataset.state === 'reconnecting'`, () => page.locator('#feed-state').innerText());
    replacement = createProxy({ host: '127.0.0.1', port: harness.port, target: harness.standin.url, rewrite: 'drop', maxBodyBytes: 1024 * 1024 });
    await replacement.start();
    await waitForText(page, '#feed-state', 'live');
    // The new proxy has seen nothing yet: the page follows it rather than keeping the old log.
    await waitForRows(page, 0);
    await sendTurn(harness.url, 1, 0);
    await waitForRows(page, 1);
    assert.match(await page.locator('#proxy-summary').innerText(), /rewrite drop/);
    assert.deepEqual(problems, []);
  });
});

describe('The Activity view and the backend', { skip: skipBrowser }, () => {
  test('the summary names the engine found, and a prompt over its context is flagged on the call with the setting to change', async () => {
    const engine = await startEngineStandin('llama-server', { model: 'qwen3-coder', contextLength: 2048, slots: 2 });
    const rig = await startBackendRig(engine.url);
    const page = await browser.newPage({ viewport: VIEWPORT });
    try {
      const problems = watchForErrors(page);
      await page.goto(`${rig.url}/_proxy/ui`);
      await waitForText(page, '#feed-state', 'live');
      assert.match(await page.locator('#proxy-summary .backend').innerText(), /^backend llama-server b7100-00dc805, 2 slots, 2,048-token context$/);
      const response = await send(rig.url, { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json' }, body: fullBody({ model: 'qwen3-coder' }) });
      assert.equal(response.status, 400, 'llama-server refuses the prompt');
      await waitForRows(page, 1);
      const [row] = await tableRows(page);
      assert.ok(row!.cause.startsWith('context overflow'), row!.cause);
      assert.match(row!.remedy ?? '', /loaded with a 2,048-token context.*Raise the context: llama-server -c \(--ctx-size\)/);
      await page.locator('#calls-body tr').first().click();
      assert.match(await page.locator('#detail .overflow-warning').innerText(), /context overflow.*llama-server -c/s);
      // The row is marked a miss, and the totals count it as one: the same definition in both places.
      assert.equal(await page.locator('#calls-body tr').first().getAttribute('data-kind'), 'miss');
      assert.equal(await page.locator('#total-misses').innerText(), '1');
      await saveScreenshot(page, 'activity-context-overflow');
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
      await rig.close();
      await engine.close();
    }
  });
});
