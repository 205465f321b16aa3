// The one piece of Electron glue with behaviour worth running: tray click →
// menu built from fresh state → item click → controller, and the images the
// tray points at. Electron itself is a stand-in passed as a parameter; the
// controller and the proxy are real.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { createAppController } from '../main/core/controller/app-controller.js';
import { buildTrayMenu, tooltip } from '../main/core/menu/tray-menu.js';
import { openCliSettings } from '../main/core/settings/cli-settings.js';
import { claudelSnippet } from '../main/core/snippet/claudel.js';
import { trayIconPath } from '../main/app/tray-icons.js';
import { wireTray } from '../main/app/tray.js';
import { createFakeElectron, FakeLoginItem, FakePlatform } from './support/fake-electron.js';
import { freePort } from './support/free-port.js';
import { untilState } from './support/controller-state.js';

const RESOURCES = '/app/resources';



describe('tray wiring', { timeout: 10_000 }, () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(platformName: NodeJS.Platform) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wiring-test-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const { store } = openCliSettings(dir);
    // Nothing listens on the target: Ollama's state plays no part here.
    store.set({ port: await freePort(), target: `http://127.0.0.1:${await freePort()}`, proxyEnabled: false });
    const platform = new FakePlatform();
    const loginItem = new FakeLoginItem();
    const controller = createAppController({ settings: store, loginItem, platform, shellPath: '/bin/bash', os: platformName });
    cleanups.push(() => controller.shutdown(100));
    const electron = createFakeElectron();
    const wired = wireTray(electron, controller, { resourcesDir: RESOURCES, os: platformName });
    return { controller, platform, loginItem, electron, wired, tray: electron.trays[0]! };
  }

  test('clicking the icon pops up a menu built from fresh state, and its items reach the controller', async () => {
    const { controller, platform, loginItem, tray, wired } = await setup('darwin');
    assert.deepEqual(tray.images, [trayIconPath(RESOURCES, 'stopped', 'darwin')]);
    assert.equal(tray.toolTips.at(-1), tooltip(controller.state()));
    assert.equal(tray.ignoresDoubleClicks, true);
    assert.deepEqual(tray.contextMenus, [], 'on macOS the menu pops up on click instead');

    // Approved in System Settings while the app ran: the menu that opens must already say so.
    loginItem.status = { enabled: true, requiresApproval: false };
    const menu = await tray.click();
    assert.equal(loginItem.reads, 1);
    assert.equal(menu.item('launch-at-login').checked, true);
    assert.deepEqual(menu.template.map((item) => item.label), buildTrayMenu(controller.state()).map((item) => item.label));

    menu.click('copy-snippet');
    await setImmediate();
    const { port, host, model, bare } = controller.settings();
    assert.equal(platform.clipboard, claudelSnippet({ shell: 'bash', port, host, model, bare }));

    const running = untilState(controller, (s) => s.proxy.state === 'running');
    menu.click('proxy-toggle');
    await running;
    assert.deepEqual(tray.images.at(-1), trayIconPath(RESOURCES, 'running', 'darwin'));
    assert.match(tray.toolTips.at(-1) ?? '', /Running on 127\.0\.0\.1:/);

    const reopened = await tray.click('right-click');
    assert.equal(reopened.item('proxy-toggle').label, 'Stop Proxy');
    const stopped = untilState(controller, (s) => s.proxy.state === 'stopped');
    reopened.click('proxy-toggle');
    await stopped;
    assert.deepEqual(tray.images.at(-1), trayIconPath(RESOURCES, 'stopped', 'darwin'));

    // Quit removes the icon at once and stops redrawing it while the controller winds down.
    wired.dispose();
    assert.equal(tray.destroyed, true);
    await controller.shutdown(100);
  });

  test('every icon the tray can show exists as a macOS template image, with its @2x', () => {
    // Compiled to dist/test/; the images live in the repository's resources/.
    const resources = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources');
    for (const variant of ['running', 'stopped', 'error'] as const) {
      const file = trayIconPath(resources, variant, 'darwin');
      assert.match(path.basename(file), /Template\.png$/, 'macOS only tints images whose name ends in Template');
      for (const [name, size] of [[file, 22], [file.replace(/\.png$/, '@2x.png'), 44]] as const) {
        const png = PNG.sync.read(fs.readFileSync(name));
        assert.deepEqual([png.width, png.height], [size, size], name);
        const pixels = Array.from({ length: size * size }, (_, i) => png.data.subarray(i * 4, i * 4 + 4));
        assert.ok(pixels.every(([r, g, b]) => r === 0 && g === 0 && b === 0), `${name} is black with alpha only`);
        assert.ok(pixels.some(([, , , a]) => a === 255), `${name} draws something`);
      }
    }
  });

  test('Windows and Linux show every icon in white (light on their dark panels), with its @2x, not the black template', async () => {
    const resources = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources');
    for (const os of ['linux', 'win32'] as const) {
      for (const variant of ['running', 'stopped', 'error'] as const) {
        const file = trayIconPath(resources, variant, os);
        assert.doesNotMatch(path.basename(file), /Template/, 'only macOS tints template images; elsewhere they stay black');
        for (const [name, size] of [[file, 22], [file.replace(/\.png$/, '@2x.png'), 44]] as const) {
          const png = PNG.sync.read(fs.readFileSync(name));
          assert.deepEqual([png.width, png.height], [size, size], name);
          const pixels = Array.from({ length: size * size }, (_, i) => png.data.subarray(i * 4, i * 4 + 4));
          assert.ok(pixels.every(([r, g, b, a]) => a === 0 || (r === 255 && g === 255 && b === 255)), `${name} is white with alpha only`);
          assert.ok(pixels.some(([, , , a]) => a === 255), `${name} draws something`);
        }
      }
    }
  });

  test('on Linux the menu is set on the icon and replaced on every state change', async () => {
    const { controller, tray } = await setup('linux');
    assert.deepEqual(tray.images, [trayIconPath(RESOURCES, 'stopped', 'linux')]);
    assert.match(tray.images[0]!, /Light\.png$/);
    assert.equal(tray.listenerCount('click'), 0);
    assert.equal(tray.contextMenus.length, 1);
    const bare = untilState(controller, (s) => s.settings.bare);
    tray.contextMenus.at(-1)!.click('bare');
    await bare;
    assert.equal(tray.contextMenus.length, 2);
    assert.equal(tray.contextMenus.at(-1)!.item('bare').checked, true);
  });
});
