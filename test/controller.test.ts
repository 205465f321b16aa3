// The app controller (no Electron) driving a real proxy against the Ollama
// stand-in, with a real settings file in a temp dir and fakes only for what
// belongs to the desktop: clipboard, notifications, URLs, the login item.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { AppController } from '../main/core/controller/app-controller.js';
import { createAppController } from '../main/core/controller/app-controller.js';
import { LOGIN_ITEMS_SETTINGS_URL, OLLAMA_DOWNLOAD_URL } from '../main/core/controller/links.js';
import type { SettingsStore } from '../main/core/controller/types.js';
import { buildTrayMenu, tooltip, trayIconVariant } from '../main/core/menu/tray-menu.js';
import { openCliSettings } from '../main/core/settings/cli-settings.js';
import type { Settings } from '../main/core/settings/schema.js';
import { claudelSnippet } from '../main/core/snippet/claudel.js';
import { bareBody, fullBody } from './support/claude-code-bodies.js';
import { FakeLoginItem, FakePlatform } from './support/fake-electron.js';
import { send, sseEvents } from './support/http-client.js';
import type { SendResult } from './support/http-client.js';
import type { OllamaStandin } from './support/ollama-standin.js';
import { startOllamaStandin } from './support/ollama-standin.js';
import { createManualClock, type ManualClock } from './support/manual-clock.js';
import { freePort } from './support/free-port.js';
import { untilState } from './support/controller-state.js';
import { startEngineStandin } from './support/engine-standins.js';

const JSON_HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };
const BILLING = 'x-anthropic-billing-header';




/** Starts a streamed call and resolves `firstChunk` once the first SSE bytes are back, i.e. mid-stream. */
function streamCall(baseUrl: string, body = bareBody()): { firstChunk: Promise<void>; done: Promise<SendResult> } {
  let markFirst!: () => void;
  const firstChunk = new Promise<void>((resolve) => { markFirst = resolve; });
  const done = send(baseUrl, { method: 'POST', path: '/v1/messages?beta=true', headers: JSON_HEADERS, body }, markFirst);
  return { firstChunk, done };
}

function assertCompleteStream(res: SendResult): void {
  assert.equal(res.status, 200);
  const events = sseEvents(res.text);
  assert.equal(events.at(-1)?.event, 'message_stop', 'the stream ran to its end');
  assert.equal(events.filter((e) => e.event === 'content_block_delta').length, 6);
}

async function refused(port: number): Promise<boolean> {
  return send(`http://127.0.0.1:${port}`, { method: 'HEAD', path: '/' }).then(() => false, (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
}

interface Rig {
  readonly controller: AppController;
  readonly platform: FakePlatform;
  readonly loginItem: FakeLoginItem;
  readonly clock: ManualClock;
  readonly store: SettingsStore;
  readonly url: () => string;
}

describe('AppController', { timeout: 20_000 }, () => {
  let standin: OllamaStandin;
  const cleanups: Array<() => Promise<void> | void> = [];

  before(async () => {
    standin = await startOllamaStandin({ timing: { prefillMs: 0, tokenDelayMs: 30, tokens: 6 } });
  });
  after(() => standin.close());
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function rig(settings: Partial<Settings> = {}, options: { start?: boolean; shellPath?: string } = {}): Promise<Rig> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'controller-test-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const { store } = openCliSettings(dir);
    store.set({ port: await freePort(), target: standin.url, ...settings });
    const platform = new FakePlatform();
    const loginItem = new FakeLoginItem();
    const clock = createManualClock();
    const controller = createAppController({ settings: store, loginItem, platform, clock, shellPath: options.shellPath ?? '/bin/zsh', os: 'darwin' });
    cleanups.push(() => controller.shutdown(200));
    if (options.start ?? true) {
      await controller.start();
      // The first Ollama check runs at once; later ones wait for the manual clock.
      await untilState(controller, (s) => s.backendState.status === 'up');
    }
    const url = (): string => `http://127.0.0.1:${controller.state().proxy.port}`;
    return { controller, platform, loginItem, clock, store, url };
  }

  test('starts the proxy with the app, and Stop/Start Proxy toggle the real server', async () => {
    const { controller, store, url } = await rig();
    const port = controller.state().proxy.port;
    assert.equal(controller.state().proxy.state, 'running');
    assert.equal(trayIconVariant(controller.state()), 'running');
    assert.equal((await send(url(), { method: 'HEAD', path: '/' })).status, 200);
    assert.equal(controller.proxyStatus()?.listening?.port, port);

    await controller.dispatch({ type: 'stop-proxy' });
    assert.equal(controller.state().proxy.state, 'stopped');
    assert.equal(buildTrayMenu(controller.state()).find((i) => i.id === 'proxy-toggle')?.label, 'Start Proxy');
    assert.equal(store.store.proxyEnabled, false, 'remembered for the next launch');
    assert.equal(await refused(port), true);
    assert.equal(controller.proxyStatus(), null);

    await controller.dispatch({ type: 'start-proxy' });
    assert.equal(controller.state().proxy.state, 'running');
    assert.equal(store.store.proxyEnabled, true);
    assert.equal((await send(url(), { method: 'HEAD', path: '/' })).status, 200);
  });

  test('a proxy the user stopped stays stopped at the next launch', async () => {
    const { controller, platform } = await rig({ proxyEnabled: false });
    assert.equal(controller.state().proxy.state, 'stopped');
    assert.equal(await refused(controller.state().proxy.port), true);
    assert.equal(platform.notices.length, 0);
  });

  test('the rewrite mode changes mid-stream without cutting the stream, and the next call uses the new mode', async () => {
    const { controller, store, url } = await rig();
    const seen = standin.requests.length;

    const first = streamCall(url());
    await first.firstChunk;
    await controller.dispatch({ type: 'set-stabilize', enabled: false });
    assert.equal(standin.inFlight.size, 1, 'the change landed mid-stream');
    assert.equal(controller.state().settings.rewrite, 'off');
    assertCompleteStream(await first.done);
    const second = streamCall(url());
    await second.firstChunk;
    await controller.dispatch({ type: 'set-rewrite-mode', mode: 'normalize' });
    assertCompleteStream(await second.done);
    assertCompleteStream(await streamCall(url()).done);

    const upstream = standin.requests.slice(seen).filter((r) => r.url.startsWith('/v1/messages')).map((r) => r.body.toString('utf8'));
    assert.equal(upstream.length, 3);
    assert.ok(!upstream[0].includes(BILLING), 'the call that began under drop was dropped');
    assert.match(upstream[1], /x-anthropic-billing-header: cc_version=2\.1\.139\.915; cc_entrypoint=sdk-cli; cch=48755;/, 'off forwards the line untouched');
    assert.match(upstream[2], /x-anthropic-billing-header: cc_version=0; cc_entrypoint=0; cch=0;/, 'normalize froze it');
    assert.equal(store.store.rewrite, 'normalize');

    // Turning stabilizing off and on again comes back to the mode chosen last.
    await controller.dispatch({ type: 'set-stabilize', enabled: false });
    await controller.dispatch({ type: 'set-stabilize', enabled: true });
    assert.equal(controller.settings().rewrite, 'normalize');
  });

  test('the inline-system setting applies to the next call, without a restart', async () => {
    const { controller } = await rig();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const uptime = controller.proxyStatus()!.uptimeMs;
    assert.equal(controller.proxyStatus()?.inlineSystem, 'fold', 'fold by default');
    assert.deepEqual(await controller.applySettings({ inlineSystem: 'keep' }), { ok: true });
    assert.equal(controller.proxyStatus()?.inlineSystem, 'keep');
    assert.ok(controller.proxyStatus()!.uptimeMs >= uptime, 'the same proxy, not a new one');
  });

  test('a port change restarts the proxy without cutting a stream in flight', async () => {
    const { controller, store, url } = await rig();
    const oldPort = controller.state().proxy.port;
    const newPort = await freePort();
    const inFlight = streamCall(url());
    await inFlight.firstChunk;

    assert.deepEqual(await controller.applySettings({ port: newPort }), { ok: true });
    assert.equal(standin.inFlight.size, 1, 'the restart happened mid-stream');
    assert.equal(controller.state().proxy.state, 'running');
    assert.equal(controller.state().proxy.port, newPort);
    assert.equal(store.store.port, newPort);
    assert.equal(await refused(oldPort), true, 'the old port takes no new calls');
    assertCompleteStream(await inFlight.done);
    assertCompleteStream(await streamCall(url()).done);
  });

  test('a restart on the same port (slots changed) also lets the stream in flight finish', async () => {
    const { controller, url } = await rig();
    const port = controller.state().proxy.port;
    const inFlight = streamCall(url());
    await inFlight.firstChunk;

    assert.deepEqual(await controller.applySettings({ slots: 2 }), { ok: true });
    assert.equal(standin.inFlight.size, 1, 'the restart happened mid-stream');
    assert.equal(controller.proxyStatus()?.slots, 2, 'the new proxy has the new options');
    assert.equal(controller.state().proxy.port, port);
    assertCompleteStream(await inFlight.done);
    assertCompleteStream(await streamCall(url()).done);
  });

  test('a busy port shows as port-busy instead of failing, and a busy port in Settings is a field error', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const busyPort = (blocker.address() as AddressInfo).port;

    const { controller, platform, store } = await rig({ port: busyPort });
    const state = controller.state();
    assert.equal(state.proxy.state, 'port-busy');
    assert.equal(trayIconVariant(state), 'error');
    assert.equal(buildTrayMenu(state)[0]?.label, `Port ${busyPort} is in use`);
    assert.match(tooltip(state), new RegExp(`Port ${busyPort} is in use`));
    assert.match(platform.notices.at(-1)?.body ?? '', new RegExp(`Port ${busyPort} is in use`));

    // Moving to a free port from Settings brings it up.
    const freeOne = await freePort();
    assert.deepEqual(await controller.applySettings({ port: freeOne }), { ok: true });
    assert.equal(controller.state().proxy.state, 'running');

    // Moving onto the busy port is refused, and the running proxy is left alone.
    const result = await controller.applySettings({ port: busyPort, bare: true });
    assert.equal(result.ok, false);
    assert.equal(result.ok ? '' : result.errors[0]?.field, 'port');
    assert.equal(controller.state().proxy.port, freeOne);
    assert.equal(store.store.port, freeOne);
    assert.equal(store.store.bare, false, 'nothing of a refused edit is saved');
    assert.equal((await send(`http://127.0.0.1:${freeOne}`, { method: 'HEAD', path: '/' })).status, 200);
  });

  test('invalid edits come back as field errors and change nothing', async () => {
    const { controller, store } = await rig({}, { start: false });
    const bad = await controller.applySettings({ port: 70_000, target: 'ftp://x' } as Partial<Settings>);
    assert.equal(bad.ok, false);
    assert.deepEqual(bad.ok ? [] : bad.errors.map((e) => e.field).sort(), ['port', 'target']);
    const unknown = await controller.applySettings({ colour: 'red' } as unknown as Partial<Settings>);
    assert.deepEqual(unknown.ok ? [] : unknown.errors.map((e) => e.field), ['colour']);
    assert.equal(store.store.target, standin.url);
  });

  test('Copy claudel function puts the chosen shell\'s snippet on the clipboard', async () => {
    const { controller, platform } = await rig({ model: 'gpt-oss:20b', bare: true }, { start: false, shellPath: '/usr/local/bin/fish' });
    const settings = controller.settings();
    assert.equal(controller.state().shell, 'fish', 'auto follows $SHELL');

    await controller.dispatch({ type: 'copy-snippet', shell: 'fish' });
    assert.equal(platform.clipboard, claudelSnippet({ shell: 'fish', port: settings.port, host: settings.host, model: 'gpt-oss:20b', bare: true }));
    assert.match(platform.clipboard, /^function claudel /m);

    await controller.dispatch({ type: 'copy-snippet', shell: 'zsh' });
    assert.equal(platform.clipboard, claudelSnippet({ shell: 'zsh', port: settings.port, host: settings.host, model: 'gpt-oss:20b', bare: true }));
    assert.match(platform.clipboard, /command claude --bare \$\{claudel_mode:\+"\$claudel_mode"\} "\$@"/);
    assert.match(platform.notices.at(-1)?.body ?? '', /~\/\.zshrc/);

    // A subagent model of its own, set in Settings, reaches the copied function.
    assert.deepEqual(await controller.applySettings({ subagentModel: 'qwen3:4b' }), { ok: true });
    await controller.dispatch({ type: 'copy-snippet', shell: 'zsh' });
    assert.match(platform.clipboard, /CLAUDE_CODE_SUBAGENT_MODEL='qwen3:4b'/);
    assert.match(platform.clipboard, /ANTHROPIC_MODEL='gpt-oss:20b'/);
  });

  test('Launch at Login follows the OS, including approval and changes made in System Settings', async () => {
    const { controller, loginItem, platform, store } = await rig({}, { start: false });
    await controller.dispatch({ type: 'set-launch-at-login', enabled: true });
    assert.deepEqual(loginItem.calls, [true]);
    assert.deepEqual(controller.state().loginItem, { supported: true, enabled: true, requiresApproval: false });
    assert.equal(store.store.launchAtLogin, true);

    // macOS 13+ may hold it until the user approves; the menu offers the way there.
    loginItem.status = { enabled: true, requiresApproval: true };
    await controller.refreshLoginItem();
    const approval = buildTrayMenu(controller.state()).find((i) => i.id === 'open-login-items-settings');
    assert.ok(approval?.action);
    await controller.dispatch(approval.action);
    assert.deepEqual(platform.urls, [LOGIN_ITEMS_SETTINGS_URL]);

    // Removed in System Settings: the next look at the menu shows it off, and the file agrees.
    loginItem.status = { enabled: false, requiresApproval: false };
    await controller.refreshLoginItem();
    assert.equal(controller.state().loginItem.enabled, false);
    assert.equal(store.store.launchAtLogin, false);

    // A refusal is told to the user, and nothing is recorded as changed.
    loginItem.refuseWith = new Error('Operation not permitted');
    await controller.dispatch({ type: 'set-launch-at-login', enabled: true });
    assert.match(platform.notices.at(-1)?.body ?? '', /Operation not permitted/);
    assert.equal(store.store.launchAtLogin, false);
  });

  test('Launch at Login that macOS silently leaves off is not stored as on, and the menu and Settings say why', async () => {
    const { controller, loginItem, platform, store } = await rig({}, { start: false });
    loginItem.ignoresSet = true;
    await controller.dispatch({ type: 'set-launch-at-login', enabled: true });
    assert.deepEqual(loginItem.calls, [true]);
    assert.equal(store.store.launchAtLogin, false);
    assert.equal(controller.state().loginItem.enabled, false);
    assert.match(platform.notices.at(-1)?.body ?? '', /did not take effect\. The app is running from its disk image\. Move the app to Applications/);
    const menu = buildTrayMenu(controller.state());
    assert.equal(menu.flatMap((i) => [i, ...(i.submenu ?? [])]).find((i) => i.id === 'login-refused')?.label,
      'Not turned on: Move the app to Applications and try again.');

    // The Settings window gets the same reason next to the field; opening the menu again keeps it.
    const result = await controller.applySettings({ launchAtLogin: true });
    assert.deepEqual(result.ok ? [] : result.errors.map((e) => e.field), ['launchAtLogin']);
    assert.equal(store.store.launchAtLogin, false);
    await controller.refreshLoginItem();
    assert.ok(controller.state().loginItem.refused);

    // Moved to Applications: it takes, and the note goes.
    loginItem.ignoresSet = false;
    assert.deepEqual(await controller.applySettings({ launchAtLogin: true }), { ok: true });
    assert.equal(store.store.launchAtLogin, true);
    assert.deepEqual(controller.state().loginItem, { supported: true, enabled: true, requiresApproval: false });
  });

  test('Keep model loaded asks Ollama to load the chosen model with a long keep_alive', async () => {
    const { controller } = await rig({ model: 'qwen3-coder:30b' });
    const seen = standin.requests.length;
    await controller.dispatch({ type: 'set-keep-loaded', enabled: true });
    const state = await untilState(controller, (s) => s.keepAliveExpiresAt !== null);
    assert.ok(state.settings.keepModelLoaded);
    const loads = (): unknown[] => standin.requests.slice(seen)
      .filter((r) => r.method === 'POST' && r.url === '/api/generate')
      .map((r) => JSON.parse(r.body.toString('utf8')) as unknown);
    assert.deepEqual(loads(), [{ model: 'qwen3-coder:30b', keep_alive: '60m' }]);

    await controller.dispatch({ type: 'select-model', model: 'gpt-oss:20b' });
    await untilState(controller, (s) => s.settings.model === 'gpt-oss:20b' && s.keepAliveExpiresAt !== null);
    assert.deepEqual(loads().at(-1), { model: 'gpt-oss:20b', keep_alive: '60m' });
  });

  test('completed calls reach onCall and the tray\'s last-call line', async () => {
    const { controller, url } = await rig();
    const records: number[] = [];
    const unsubscribe = controller.onCall((record) => records.push(record.status));
    assertCompleteStream(await streamCall(url()).done);
    await untilState(controller, (s) => s.lastCall !== null);
    unsubscribe();
    assertCompleteStream(await streamCall(url()).done);
    assert.deepEqual(records, [200]);
  });

  test('choosing another model reconfigures the backend session in place: the status names the new model\'s window at once', async () => {
    const both = await startOllamaStandin({ loaded: ['qwen3-coder:30b', 'gpt-oss:20b'] });
    cleanups.push(() => both.close());
    const { controller } = await rig({ target: both.url, model: 'qwen3-coder:30b' });
    assert.equal(controller.proxyStatus()?.backend?.contextLength, 65_536);
    const detections = both.requests.filter((r) => r.url === '/api/version').length;
    await controller.dispatch({ type: 'select-model', model: 'gpt-oss:20b' });
    assert.equal(controller.proxyStatus()?.backend?.contextLength, 131_072, 'the window of the model now chosen, before any call names it');
    assert.equal(controller.state().snippet?.window?.tokens, 131_072, 'the menu reads the same window');
    assert.equal(both.requests.filter((r) => r.url === '/api/version').length, detections, 'the same watch: nothing detected anew');
  });

  test('a prompt longer than the loaded model\'s context raises a warning', async () => {
    const { controller, platform, clock, url } = await rig({ model: 'tiny:1b' });
    // The stand-in loads a model it does not list with a 4096-token context; this prompt is far longer.
    const res = await send(url(), { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: fullBody({ model: 'tiny:1b' }) });
    assertCompleteStream(res);
    await untilState(controller, (s) => s.lastCall !== null);
    clock.advance(5000);
    await untilState(controller, (s) => s.backendState.loaded.some((m) => m.name === 'tiny:1b'));
    assert.match(platform.notices.at(-1)?.body ?? '', /tiny:1b is loaded with a 4,096-token context/);
  });

  test('another engine at the target: named in the menu and the status, keep-alive left alone, an overflow noticed once with its setting', async () => {
    const engine = await startEngineStandin('llama-server', { model: 'qwen3-coder:30b', contextLength: 4096, slots: 2 });
    cleanups.push(() => engine.close());
    const { controller, platform, url } = await rig({ target: engine.url, keepModelLoaded: true });
    assert.equal(controller.state().backend?.kind, 'llama-server');
    assert.match(buildTrayMenu(controller.state()).find((i) => i.id === 'backend-status')?.label ?? '', /^llama-server b7100-00dc805 · 2 slots · qwen3-coder:30b \(4K ctx\)/);
    assert.equal(controller.proxyStatus()?.backend?.contextLength, 4096);
    for (let i = 0; i < 2; i++) {
      const res = await send(url(), { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: fullBody({ model: 'qwen3-coder:30b', call: i }) });
      assert.equal(res.status, 400);
      await untilState(controller, (s) => s.lastCall !== null);
    }
    const overflow = platform.notices.filter((n) => /context/.test(n.body));
    assert.equal(overflow.length, 1, 'once per model');
    assert.match(overflow[0]!.body, /Raise the context: llama-server -c \(--ctx-size\)/);
    assert.ok(!engine.requests.some((r) => r.url === '/api/generate'), 'no Ollama keep-alive sent to llama-server');
  });

  test('menu links, Open Config File, Open Activity and Quit go to the platform', async () => {
    const { controller, platform, store } = await rig({}, { start: false });
    await controller.dispatch({ type: 'open-ollama-download' });
    await controller.dispatch({ type: 'open-config-file' });
    await controller.dispatch({ type: 'open-activity' });
    await controller.dispatch({ type: 'quit' });
    assert.deepEqual(platform.urls, [OLLAMA_DOWNLOAD_URL]);
    assert.deepEqual(platform.paths, [store.path]);
    assert.equal(platform.activityOpened, 1);
    assert.equal(platform.quitRequested, 1);
  });

  test('Ollama going from up to down raises a notification', async () => {
    const own = await startOllamaStandin();
    let closed = false;
    cleanups.push(() => (closed ? undefined : own.close()));
    const { controller, platform, clock } = await rig({ target: own.url });
    assert.equal(platform.notices.length, 0);

    await own.close();
    closed = true;
    clock.advance(5000);
    const state = await untilState(controller, (s) => s.backendState.status === 'down');
    assert.equal(trayIconVariant(state), 'error');
    assert.match(platform.notices.at(-1)?.body ?? '', /Ollama stopped answering/);
  });

  test('shutdown also cuts short the long drain of a proxy replaced by a settings change', async () => {
    const { controller, url } = await rig();
    const slow = standin.timing;
    standin.timing = { prefillMs: 0, tokenDelayMs: 400, tokens: 6 };
    cleanups.push(() => { standin.timing = slow; });
    const inFlight = streamCall(url());
    const ending = inFlight.done.then((res) => sseEvents(res.text).at(-1)?.event, (error: NodeJS.ErrnoException) => error.code);
    await inFlight.firstChunk;
    assert.deepEqual(await controller.applySettings({ port: await freePort() }), { ok: true });
    await controller.shutdown(50);
    assert.equal(await ending, 'ECONNRESET', 'the stream was cut at the end of the grace, not left to run on');
  });

  test('shutdown lets a stream in flight finish and keeps the proxy enabled for next time', async () => {
    const { controller, store, url } = await rig();
    const inFlight = streamCall(url());
    await inFlight.firstChunk;
    await controller.shutdown(5000);
    assertCompleteStream(await inFlight.done);
    assert.equal(store.store.proxyEnabled, true);
  });
});
