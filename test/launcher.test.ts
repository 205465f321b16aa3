// `npm start`'s launcher (scripts/start.mjs) run as a real process, from a copy
// of the built app whose path has spaces. Electron's real binary cannot be
// downloaded here: its download is served by a stand-in mirror, through
// Electron's own download code, and holds a stand-in binary (see
// support/electron-mirror.ts); with the mirror unreachable, the launcher's
// fallback to the headless proxy is what runs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { copyBuiltApp, type AppCopy } from './support/app-copy.js';
import { startElectronMirror, type ElectronMirror, type ElectronReport } from './support/electron-mirror.js';
import { freePort } from './support/free-port.js';
import { nodeRunsElectronInstaller, NODE_REQUIREMENT } from '../main/launcher/node-support.js';
import { describeError } from '../main/launcher/electron-binary.js';

interface Launched {
  readonly child: ChildProcess;
  stderr(): string;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function until<T>(what: string, check: () => T | undefined | null | false, ms = 20_000): Promise<T> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      const value = check();
      if (value) return resolve(value);
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 25);
    };
    poll();
  });
}

describe('npm start from a folder whose path has spaces', { timeout: 120_000 }, () => {
  let app: AppCopy;
  let mirror: ElectronMirror;
  let version: string;
  const running = new Set<ChildProcess>();

  before(async () => {
    app = copyBuiltApp();
    version = (JSON.parse(fs.readFileSync(path.join(app.electronDir, 'package.json'), 'utf8')) as { version: string }).version;
    mirror = await startElectronMirror(version);
  });
  after(async () => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    // Electron runs in a process group of its own: after a failed test it may outlive the launcher.
    const electron = readReport();
    if (electron) try { process.kill(electron.pid, 'SIGKILL'); } catch { /* already gone */ }
    await mirror.close();
    app.remove();
  });

  const report = (): string => path.join(app.scratch, 'electron-report.json');
  const readReport = (): ElectronReport | undefined => {
    try {
      return JSON.parse(fs.readFileSync(report(), 'utf8')) as ElectronReport;
    } catch {
      return undefined; // not written yet, or caught halfway through a write
    }
  };

  async function launch(env: NodeJS.ProcessEnv, args: readonly string[] = []): Promise<Launched> {
    const child = spawn(process.execPath, [path.join(app.dir, 'scripts', 'start.mjs'), ...args], {
      cwd: app.dir,
      // Its own process group, like a terminal's foreground job, so the test can Ctrl-C the whole of it.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env['PATH'],
        HOME: app.scratch,
        DISPLAY: ':99',
        LLM_CACHE_PROXY_CONFIG_DIR: path.join(app.scratch, 'settings'),
        electron_config_cache: path.join(app.scratch, 'electron-cache'),
        FAKE_ELECTRON_REPORT: report(),
        ...env,
      },
    });
    running.add(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.stderr!.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    return { child, stdout: () => out, stderr: () => err, exited };
  }

  async function stopHeadless(launched: Launched): Promise<void> {
    process.kill(-launched.child.pid!, 'SIGINT');
    await launched.exited;
  }

  test('without a way to download Electron it says so with the download\'s own error, and serves headless', async () => {
    const launched = await launch({ ELECTRON_MIRROR: `http://127.0.0.1:${await freePort()}/` },
      ['--port', '0', '--target', `http://127.0.0.1:${await freePort()}`]);
    const listening = await until('the headless proxy', () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(launched.stdout())?.[1]);
    const stderr = launched.stderr();
    assert.match(stderr, new RegExp(`first start: downloading Electron ${version.replace(/\./g, '\\.')} .*about 100 MB`));
    assert.match(stderr, /Electron's download failed \(fetch failed: connect ECONNREFUSED 127\.0\.0\.1:\d+\); running the proxy headless/);
    const status = await fetch(`${listening}/_proxy/status`);
    assert.equal(status.status, 200);
    await stopHeadless(launched);
  });

  test('the first start downloads Electron with progress, then runs it in the app folder', async () => {
    const launched = await launch({ ELECTRON_MIRROR: mirror.url, electron_use_remote_checksums: '1' }, ['--verbose-flag']);
    const started = await until('Electron to start', readReport);
    assert.equal(started.cwd, app.dir, 'Electron runs in the app folder, spaces and all');
    assert.deepEqual(started.argv, ['.', '--verbose-flag']);
    const stderr = launched.stderr();
    assert.match(stderr, /downloading Electron: 0% of 3 MB\n[\s\S]*downloading Electron: 50% of 3 MB\n[\s\S]*downloading Electron: 100% of 3 MB\n/);
    assert.match(stderr, new RegExp(`Electron ${version.replace(/\./g, '\\.')} is ready`));
    process.kill(launched.child.pid!, 'SIGTERM');
    assert.deepEqual(await launched.exited, { code: 0, signal: null });
  });

  test('Ctrl-C reaches Electron once, so it can let streams finish, and the launcher exits with it', async () => {
    fs.rmSync(report(), { force: true });
    const launched = await launch({});
    await until('Electron to start', readReport);
    assert.doesNotMatch(launched.stderr(), /downloading/, 'downloaded once, not on every start');
    // The terminal sends SIGINT to the whole foreground job; npm then forwards one to its child as well.
    process.kill(-launched.child.pid!, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(launched.child.pid!, 'SIGINT');
    assert.deepEqual(await launched.exited, { code: 0, signal: null });
    const final = readReport()!;
    assert.deepEqual(final.signals, ['SIGINT']);
    assert.equal(final.drained, true);
  });

  test('when Electron cannot be spawned at all, the headless proxy runs instead of a crash', async () => {
    const binary = path.join(app.electronDir, 'dist', 'electron');
    fs.chmodSync(binary, 0o644);
    try {
      const launched = await launch({}, ['--port', '0', '--target', `http://127.0.0.1:${await freePort()}`]);
      await until('the headless proxy', () => /listening on http:\/\/127\.0\.0\.1:\d+/.test(launched.stdout()));
      assert.match(launched.stderr(), /Electron could not be started \(spawn .*EACCES\); running the proxy headless/);
      await stopHeadless(launched);
    } finally {
      fs.chmodSync(binary, 0o755);
    }
  });
});

describe('which Node runs Electron\'s installer', () => {
  test('20.19+ and 22.12+, where require() loads ES modules; not the 20.11–20.18 that engines used to allow', () => {
    for (const version of ['v20.19.0', 'v20.20.2', 'v22.12.0', 'v23.0.0', 'v24.1.0']) assert.equal(nodeRunsElectronInstaller(version), true, version);
    for (const version of ['v20.11.0', 'v20.18.3', 'v21.7.3', 'v22.11.0', 'v18.20.0']) assert.equal(nodeRunsElectronInstaller(version), false, version);
  });

  test('package.json engines says the same', () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
    assert.equal(pkg.engines.node, NODE_REQUIREMENT);
  });

  test('this Node runs Electron\'s install.js as it is (require of @electron/get)', () => {
    assert.equal(nodeRunsElectronInstaller(process.version), true);
  });

  test('a download error is shown with its causes', () => {
    const error = new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND github.com') });
    assert.equal(describeError(error), 'fetch failed: getaddrinfo ENOTFOUND github.com');
  });
});
