// The menu-bar app's glue that decides something (quit, notifications, page
// loads, where a tray can be seen, why a login item was refused), run with
// Electron's objects stood in by ones that behave like Electron's.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { setImmediate } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { LoadFileOptions, NotificationConstructorOptions } from 'electron';
import { loginItemRefusal } from '../main/core/autostart/login-refusal.js';
import { loadPage } from '../main/app/load-page.js';
import { electronPlatform, HELD_NOTIFICATIONS } from '../main/app/platform.js';
import { handleQuit } from '../main/app/quit.js';
import { STATUS_NOTIFIER_WATCHER, trayIsVisible } from '../main/app/tray-host.js';

/** Electron's app as far as quitting goes: quit() emits before-quit, and goes on unless a listener vetoed it. */
class FakeApp extends EventEmitter {
  quitsCompleted = 0;
  exitCode: number | null = null;
  quit(): boolean {
    let vetoed = false;
    this.emit('before-quit', { preventDefault: () => { vetoed = true; } });
    if (!vetoed) this.quitsCompleted++;
    return !vetoed;
  }
  exit(code = 0): void {
    this.exitCode = code;
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

describe('quit', () => {
  function rig(options: { graceMs?: number; slackMs?: number } = {}) {
    const app = new FakeApp();
    const power = new EventEmitter();
    const stopped = deferred();
    const seen = { disappeared: 0, shutdowns: [] as number[] };
    handleQuit(app, power, {
      disappear: () => { seen.disappeared++; },
      shutdown: (graceMs) => { seen.shutdowns.push(graceMs); return stopped.promise; },
      graceMs: options.graceMs ?? 5000,
      deadlineSlackMs: options.slackMs ?? 2000,
    });
    return { app, power, stopped, seen };
  }

  test('Quit hides the windows and icon at once, then waits for streams to drain before it exits', async () => {
    const { app, stopped, seen } = rig();
    assert.equal(app.quit(), false, 'the first quit waits for the streams');
    assert.equal(seen.disappeared, 1, 'windows and tray go before the wait, not after it');
    assert.deepEqual(seen.shutdowns, [5000]);
    await setImmediate();
    assert.equal(app.exitCode, null);
    stopped.resolve();
    await setImmediate();
    assert.equal(app.exitCode, 0);
  });

  test('logout, restart or shutdown is never vetoed', () => {
    const { app, power, seen } = rig();
    power.emit('shutdown');
    assert.equal(app.quit(), true, 'a veto here makes macOS cancel the logout');
    assert.equal(seen.disappeared, 1);
    assert.equal(app.quitsCompleted, 1);
  });

  test('a second Quit while streams drain quits at once', () => {
    const { app } = rig();
    assert.equal(app.quit(), false);
    assert.equal(app.quit(), true);
  });

  test('the system going down while streams drain exits at once', () => {
    const { app, power } = rig();
    app.quit();
    power.emit('shutdown');
    assert.equal(app.exitCode, 0);
  });

  test('a shutdown that hangs is cut off after the grace and the slack', async () => {
    const { app } = rig({ graceMs: 20, slackMs: 10 });
    app.quit();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(app.exitCode, 0);
  });
});

describe('notifications', () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;

  /** Electron's Notification as the main process sees it: an object nobody else holds, which emits click/close. */
  class FakeNotification extends EventEmitter {
    static readonly made: WeakRef<FakeNotification>[] = [];
    static isSupported(): boolean { return true; }
    shown = false;
    constructor(readonly options: NotificationConstructorOptions) {
      super();
      FakeNotification.made.push(new WeakRef(this));
    }
    show(): void { this.shown = true; }
  }

  const platform = electronPlatform({
    app: { quit: () => undefined },
    clipboard: { writeText: async () => undefined },
    shell: { openExternal: async () => undefined, openPath: async () => '' },
    Notification: FakeNotification,
    powerMonitor: { isOnBatteryPower: () => true },
  }, () => undefined);

  test('warm start asks Electron whether the Mac runs on battery', () => {
    assert.equal(platform.onBattery(), true);
  });

  afterEach(() => { FakeNotification.made.length = 0; });

  async function collect(): Promise<void> {
    // A WeakRef read in this turn keeps its target alive until the turn ends.
    await setImmediate();
    gc();
    await setImmediate();
  }

  test('a shown notification is kept alive until it is clicked or closed', async () => {
    platform.notify({ title: 'LLM Cache Proxy', body: 'first' });
    platform.notify({ title: 'LLM Cache Proxy', body: 'second' });
    await collect();
    // No strong reference outside the platform: only its holding keeps them.
    assert.deepEqual(FakeNotification.made.map((ref) => ref.deref()?.shown), [true, true], 'garbage-collected while still on screen');
    FakeNotification.made[0]!.deref()!.emit('click');
    FakeNotification.made[1]!.deref()!.emit('close');
    await collect();
    assert.deepEqual(FakeNotification.made.map((ref) => ref.deref()), [undefined, undefined], 'released once the user is done with it');
  });

  test('only the most recent ones are held, since Electron does not promise a close event', async () => {
    for (let i = 0; i < HELD_NOTIFICATIONS + 5; i++) platform.notify({ title: 'LLM Cache Proxy', body: `n${i}` });
    await collect();
    const alive = FakeNotification.made.map((ref) => ref.deref()?.options.body).filter(Boolean);
    assert.equal(alive.length, HELD_NOTIFICATIONS);
    assert.equal(alive.at(-1), `n${HELD_NOTIFICATIONS + 4}`);
  });
});

describe('loading the Activity window', () => {
  test('a load cut short by closing the window is logged, not left as an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const logged: string[] = [];
      const window = {
        isDestroyed: () => true,
        loadFile: (_file: string, _options?: LoadFileOptions) => Promise.reject(new Error("ERR_ABORTED (-3) loading 'file:///app/index.html#activity'")),
      };
      void loadPage(window, '/app/index.html', { hash: 'activity' }, (message) => logged.push(message));
      await setImmediate();
      await setImmediate();
      assert.deepEqual(unhandled, []);
      assert.equal(logged.length, 1);
      assert.match(logged[0]!, /closed while loading.*ERR_ABORTED/);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('where a tray icon can be seen', () => {
  const reply = (owned: boolean): string =>
    `method return time=1764400000.1 sender=org.freedesktop.DBus -> destination=:1.42 serial=3 reply_serial=2\n   boolean ${owned}\n`;

  test('macOS and Windows always show one, without asking', async () => {
    const asked: string[] = [];
    for (const platform of ['darwin', 'win32'] as const) {
      assert.equal(await trayIsVisible(platform, async (file) => { asked.push(file); return ''; }), true);
    }
    assert.deepEqual(asked, []);
  });

  test('on Linux only when a StatusNotifier host owns the watcher on the session bus', async () => {
    const calls: string[][] = [];
    const run = (owned: boolean) => async (file: string, args: readonly string[]) => {
      calls.push([file, ...args]);
      return reply(owned);
    };
    assert.equal(await trayIsVisible('linux', run(true)), true);
    assert.equal(await trayIsVisible('linux', run(false)), false);
    assert.equal(calls[0]![0], 'dbus-send');
    assert.ok(calls[0]!.includes(`string:${STATUS_NOTIFIER_WATCHER}`));
  });

  test('on Linux with no session bus or no dbus-send to ask, the answer is no, so the window opens', async () => {
    assert.equal(await trayIsVisible('linux', async () => { throw new Error('spawn dbus-send ENOENT'); }), false);
  });
});

describe('why launch at login was refused', () => {
  test('names the cause macOS does not report, and the one step that fixes it', () => {
    const fromDmg = loginItemRefusal('darwin', '/Volumes/LLM Cache Proxy 0.1.0/LLM Cache Proxy.app/Contents/Resources/app.asar');
    assert.match(fromDmg.reason, /disk image/);
    assert.match(fromDmg.remedy, /Move the app to Applications/);
    const translocated = loginItemRefusal('darwin', '/private/var/folders/x/T/AppTranslocation/1234/d/LLM Cache Proxy.app/Contents/Resources/app.asar');
    assert.match(translocated.reason, /App Translocation/);
    const other = loginItemRefusal('darwin', '/Applications/LLM Cache Proxy.app/Contents/Resources/app.asar');
    assert.match(other.reason, /unsigned/);
    assert.match(loginItemRefusal('win32', 'C:\\Program Files\\LLM Cache Proxy\\resources\\app.asar').remedy, /Startup apps/);
  });
});
