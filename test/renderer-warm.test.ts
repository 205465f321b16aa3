// Warm start on the Activity page, in real headless Chromium watching the
// headless proxy (the host with warm start on, as the CLI runs it): the line
// under the header says what was warmed and why, live, and never as a call.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { WarmUpRecord } from '../main/core/wire/types.js';
import { DEFAULT_WARM_LIMITS } from '../main/core/warm/warm-plan.js';
import { CHROMIUM_PATH, launchChromium, saveScreenshot } from './support/browser.js';
import { needsFile } from './support/requirements.js';
import { startBackendRig, type BackendRig } from './support/backend-rig.js';
import { send } from './support/http-client.js';
import { fullRequest } from './support/claude-code-bodies.js';
import { MAIN_MODEL, titleRequest } from './support/side-call-bodies.js';
import { startOllamaStandin, type OllamaStandin } from './support/ollama-standin.js';

const skip = needsFile(CHROMIUM_PATH, `Chromium (${CHROMIUM_PATH}; set CHROMIUM_PATH)`);
let browser: Browser;
let standin: OllamaStandin;
let rig: BackendRig;

before(async () => {
  standin = await startOllamaStandin({ models: [{ name: MAIN_MODEL }], loaded: [MAIN_MODEL], timing: { prefillMs: 5, tokenDelayMs: 1, tokens: 2 } });
  rig = await startBackendRig(standin.url, { warm: 'idle', model: MAIN_MODEL });
  if (!skip) browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await rig?.close();
  await standin?.close();
});

const post = (body: unknown) => send(rig.url, { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(body) });

test('the page says what warm start re-read after a title call took the slot, beside the calls and not among them', { skip }, async () => {
  const page = await browser.newPage();
  await page.goto(`${rig.url}/_proxy/ui/`);
  await page.waitForSelector('#warm-state:has-text("nothing warmed yet")');
  assert.equal(await page.textContent('#feed-state'), 'live');
  await post(fullRequest());
  await post(titleRequest());
  const done = new Promise<WarmUpRecord>((resolve) => rig.host.warmer.on('warm-up', (r) => r.outcome !== 'running' && resolve(r)));
  rig.clock.advance(DEFAULT_WARM_LIMITS.quietMs);
  assert.equal((await done).outcome, 'done');
  await page.waitForSelector('#warm-state:has-text("tokens of the conversation")', { timeout: 8000 });
  const line = (await page.textContent('#warm-state')) ?? '';
  assert.match(line, /^Warm start on while idle\. Last: warm-up \S+ \(another call used the model\): read [\d,]+ tokens of the conversation in \d+ s\.$/);
  assert.equal((await rig.status()).recent.length, 2, 'the warm-up is not listed among the calls');
  await saveScreenshot(page, 'renderer-warm.png');
  await page.close();
});
