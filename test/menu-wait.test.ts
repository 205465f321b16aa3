// The menu bar while a call waits for its first token: the pure menu model's
// tray title, tooltip and status line, and the same through the real
// controller and tray wiring, with a real proxy whose stand-in backend holds
// the first byte and a clock the test moves.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { wireTray } from '../main/app/tray.js';
import { createAppController } from '../main/core/controller/app-controller.js';
import type { InFlightCall, InFlightEvent } from '../main/core/wire/types.js';
import { buildTrayMenu, tooltip, trayTitle } from '../main/core/menu/tray-menu.js';
import type { AppState } from '../main/core/menu/types.js';
import { openCliSettings } from '../main/core/settings/cli-settings.js';
import { bareBody } from './support/claude-code-bodies.js';
import { untilState } from './support/controller-state.js';
import { createFakeElectron, FakeLoginItem, FakePlatform } from './support/fake-electron.js';
import { freePort } from './support/free-port.js';
import { send } from './support/http-client.js';
import { createManualClock } from './support/manual-clock.js';
import { startOllamaStandin } from './support/ollama-standin.js';

const CALL: InFlightCall = {
  id: 7, time: '2026-11-29T20:00:00.000Z', session: 'a1b2c3', turn: 4, model: 'qwen3-coder:30b',
  promptTokens: 31_200, reusedTokens: 0, expectedPrefillMs: 45_000, elapsedMs: 5000, phase: 'waiting',
  cause: 'side-call-evicted', loadingModel: false, contextTokens: 32_768,
};

function state(waiting: InFlightCall | null): AppState {
  return {
    proxy: { state: 'running', host: '127.0.0.1', port: 11435, target: 'http://127.0.0.1:11434' },
    backendState: { status: 'up', version: '0.12.6', models: [], loaded: [], lastCheckedAt: new Date() },
    keepAliveExpiresAt: null,
    lastCall: null,
    settings: { rewrite: 'drop', bare: false, model: 'qwen3-coder:30b', keepModelLoaded: false, warm: 'auto' },
    loginItem: { supported: true, enabled: false, requiresApproval: false },
    shell: 'zsh',
    waiting,
  };
}

function waitItem(s: AppState): string | undefined {
  return buildTrayMenu(s).find((item) => item.id === 'wait')?.label;
}

describe('the menu model while a call waits', () => {
  test('the time left in the title, the tooltip and the status line', () => {
    const s = state(CALL);
    assert.equal(trayTitle(s), '~40 s');
    assert.equal(waitItem(s), 'Re-reading 31,200 tokens (cache miss: side call evicted), ~40 s left');
    assert.equal(buildTrayMenu(s)[0]?.id, 'wait', 'the wait leads the menu');
    assert.match(tooltip(s), /^llm-cache-proxy\nRe-reading 31,200 tokens \(cache miss: side call evicted\), ~40 s left\n/);
  });

  test('the time waited when there is no estimate, and the model load when it is not loaded', () => {
    assert.equal(trayTitle(state({ ...CALL, expectedPrefillMs: null, elapsedMs: 12_300 })), '12 s');
    assert.equal(waitItem(state({ ...CALL, expectedPrefillMs: null, elapsedMs: 12_300 })), 'Re-reading 31,200 tokens (cache miss: side call evicted), 12 s so far');
    const loading = state({ ...CALL, loadingModel: true, elapsedMs: 8000 });
    assert.equal(trayTitle(loading), '8 s', 'a load has no prefill estimate');
    assert.equal(waitItem(loading), 'Loading qwen3-coder:30b, 8 s so far');
  });

  test('past twice the prediction it says the wait is no longer a prefill', () => {
    const late = state({ ...CALL, expectedPrefillMs: 10_000, elapsedMs: 25_000 });
    assert.equal(trayTitle(late), '25 s');
    assert.equal(waitItem(late), 'Re-reading 31,200 tokens (cache miss: side call evicted), 25 s so far (predicted 10 s): longer than expected: the backend may be loading the model or swapping');
  });

  test('nothing while no call waits', () => {
    assert.equal(trayTitle(state(null)), '');
    assert.equal(waitItem(state(null)), undefined);
    assert.doesNotMatch(tooltip(state(null)), /Re-reading|Loading/);
  });
});

describe('the tray title through the controller', { timeout: 20_000 }, () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(platformName: NodeJS.Platform) {
    const standin = await startOllamaStandin({ timing: { prefillMs: 1500, tokenDelayMs: 1, tokens: 2 } });
    cleanups.push(() => standin.close());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'menu-wait-test-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const { store } = openCliSettings(dir);
    store.set({ port: await freePort(), target: standin.url });
    const clock = createManualClock();
    const controller = createAppController({ settings: store, loginItem: new FakeLoginItem(), platform: new FakePlatform(), clock, shellPath: '/bin/zsh', os: platformName });
    cleanups.push(() => controller.shutdown(200));
    const electron = createFakeElectron();
    const wired = wireTray(electron, controller, { resourcesDir: '/app/resources', os: platformName });
    cleanups.push(() => wired.dispose());
    await controller.start();
    await untilState(controller, (s) => s.backendState.status === 'up');
    const events: InFlightEvent[] = [];
    controller.onInFlight((event) => events.push(event));
    const call = (): Promise<unknown> => send(`http://127.0.0.1:${controller.state().proxy.port}`, {
      method: 'POST', path: '/v1/messages?beta=true', headers: { 'content-type': 'application/json' }, body: bareBody(),
    });
    return { controller, clock, tray: electron.trays[0]!, events, call };
  }

  async function until(check: () => boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!check()) {
      assert.ok(Date.now() < deadline, 'timed out');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  test('macOS: the title counts once the wait passes 3 s, and clears at the first token', async () => {
    const { controller, clock, tray, events, call } = await setup('darwin');
    const done = call();
    await until(() => events.some((e) => e.type === 'call-start'));
    assert.equal(controller.state().waiting, null, 'a short wait is not mentioned');
    assert.equal(tray.titles.at(-1), '');
    clock.advance(3500);
    const waiting = controller.state().waiting;
    assert.ok(waiting, 'past 3 s the wait shows');
    // The stand-in had no model loaded: the call waits for a load, not a prefill.
    assert.equal(waiting.loadingModel, true);
    assert.match(tray.titles.at(-1)!, /^\d+ s$/);
    assert.match(tray.toolTips.at(-1)!, /\nLoading qwen3-coder:30b, \d+ s so far\n/);
    const before = tray.titles.at(-1);
    clock.advance(1000);
    assert.notEqual(tray.titles.at(-1), before, 'it counts each second');
    await until(() => events.some((e) => e.type === 'first-token'));
    assert.equal(controller.state().waiting, null);
    assert.equal(tray.titles.at(-1), '', 'cleared at the first token');
    await done;
  });

  test('elsewhere the title is left alone', async () => {
    const { clock, tray, events, call } = await setup('linux');
    const done = call();
    await until(() => events.some((e) => e.type === 'call-start'));
    clock.advance(3500);
    assert.deepEqual(tray.titles, []);
    await done;
  });
});
