import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Options as ConfOptions } from 'conf';
import type { Options as ElectronStoreOptions } from 'electron-store';
import {
  CURRENT_SCHEMA_VERSION, DEFAULT_SETTINGS, SETTINGS_SCHEMA, SETTING_KEYS, backupPathFor, defaultConfigDir,
  migrateSettings, openSettings, settingsFromFlags, validateSettings,
} from '../main/core/settings/index.js';
import type { Settings, SettingsStoreOptions } from '../main/core/settings/index.js';
import { openCliSettings } from '../main/core/settings/cli-settings.js';

// Compile-time proof that one options object fits both store classes.
type Assignable<T extends U, U> = T;
export type StoreOptionsFitConf = Assignable<SettingsStoreOptions, Partial<ConfOptions<Settings>>>;
export type StoreOptionsFitElectronStore = Assignable<SettingsStoreOptions, ElectronStoreOptions<Settings>>;

const messagesFor = (candidate: Record<string, unknown>, options = {}) =>
  validateSettings(candidate, options).errors.map((error) => `${error.field}: ${error.message}`);

describe('defaultConfigDir', () => {
  const home = '/home/ann';
  test('matches Electron userData on each platform', () => {
    assert.equal(defaultConfigDir('darwin', {}, '/Users/ann'), '/Users/ann/Library/Application Support/LLM Cache Proxy');
    assert.equal(defaultConfigDir('linux', {}, home), '/home/ann/.config/LLM Cache Proxy');
    assert.equal(defaultConfigDir('linux', { XDG_CONFIG_HOME: '/xdg' }, home), '/xdg/LLM Cache Proxy');
    assert.equal(defaultConfigDir('win32', { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, 'C:\\Users\\ann'),
      'C:\\Users\\ann\\AppData\\Roaming\\LLM Cache Proxy');
    assert.equal(defaultConfigDir('win32', {}, 'C:\\Users\\ann'), 'C:\\Users\\ann\\AppData\\Roaming\\LLM Cache Proxy');
  });
  test('the environment override wins everywhere', () => {
    for (const platform of ['darwin', 'linux', 'win32'] as const) {
      assert.equal(defaultConfigDir(platform, { LLM_CACHE_PROXY_CONFIG_DIR: '/tmp/x', XDG_CONFIG_HOME: '/xdg' }, home), '/tmp/x');
    }
  });
  test('a relative override becomes absolute, as Electron\'s app.setPath requires', () => {
    const dir = defaultConfigDir('darwin', { LLM_CACHE_PROXY_CONFIG_DIR: 'my settings/../cfg' }, home);
    assert.ok(path.isAbsolute(dir), dir);
    assert.equal(dir, path.join(process.cwd(), 'cfg'));
  });
});

describe('schema and defaults', () => {
  test('defaults are the documented ones and valid', () => {
    assert.deepEqual({ ...DEFAULT_SETTINGS }, {
      schemaVersion: 2, port: 11435, host: '127.0.0.1', target: 'http://127.0.0.1:11434', rewrite: 'drop', inlineSystem: 'fold', bare: false,
      model: 'qwen3-coder:30b', subagentModel: '', contextTokens: 0, shell: 'auto', keepModelLoaded: false, launchAtLogin: false, proxyEnabled: true,
      cacheUsage: true, slots: 1, sideModel: '', maxBodyBytes: 64 * 1024 * 1024, token: '', allowOrigins: [], logLevel: 'info', promptExcerpts: false,
      backend: 'auto', router: 'none', affinityHeaders: [], upstreamAuth: '', warm: 'auto',
    });
    assert.equal(DEFAULT_SETTINGS.schemaVersion, CURRENT_SCHEMA_VERSION);
    assert.deepEqual(validateSettings(DEFAULT_SETTINGS), { ok: true, errors: [] });
  });
  test('defaults cannot be mutated by accident', () => {
    assert.throws(() => (DEFAULT_SETTINGS.allowOrigins as string[]).push('http://x'));
    assert.throws(() => { (DEFAULT_SETTINGS as Settings).port = 1; });
  });
  test('every field has a title and description for the Settings window', () => {
    for (const key of SETTING_KEYS) {
      assert.ok(SETTINGS_SCHEMA[key].title.length > 0, key);
      assert.ok(SETTINGS_SCHEMA[key].description.length > 0, key);
    }
  });
});

describe('validateSettings', () => {
  test('affinity headers and the upstream auth are checked as their flags are, and the secret is never quoted', () => {
    assert.deepEqual(messagesFor({ affinityHeaders: ['x-dynamo-session-id', 'cookie:llm-d-session'] }), []);
    assert.deepEqual(messagesFor({ affinityHeaders: ['bad header'] }), ['affinityHeaders: Affinity headers: must be a header name like x-dynamo-session-id (or cookie:NAME), got "bad header".']);
    assert.deepEqual(messagesFor({ upstreamAuth: 'x-api-key: sk-1' }), []);
    const [message] = messagesFor({ upstreamAuth: 'x-api-key: sk-secret-1\r\nx-injected: 1' });
    assert.match(message ?? '', /^upstreamAuth: Upstream auth: must be a header like/);
    assert.doesNotMatch(message ?? '', /sk-secret-1/);
  });

  test('port range, with 0 only when asked for', () => {
    const portMessage = 'port: Port must be a whole number from 1 to 65535.';
    assert.deepEqual(messagesFor({ port: 0 }), [portMessage]);
    assert.deepEqual(messagesFor({ port: 65536 }), [portMessage]);
    assert.deepEqual(messagesFor({ port: 80.5 }), [portMessage]);
    assert.deepEqual(messagesFor({ port: '8080' }), [portMessage]);
    assert.deepEqual(messagesFor({ port: 0 }, { allowPortZero: true }), []);
    assert.deepEqual(messagesFor({ port: -1 }, { allowPortZero: true }),
      ['port: Port must be a whole number from 0 to 65535 (0 picks a free port).']);
  });
  test('backend URL', () => {
    assert.deepEqual(messagesFor({ target: 'not a url' }),
      ['target: Backend URL must be a full URL such as http://127.0.0.1:11434, not "not a url".']);
    assert.deepEqual(messagesFor({ target: 'ftp://host' }), ['target: Backend URL must start with http:// or https://.']);
    assert.deepEqual(messagesFor({ target: 'localhost:11434' }), ['target: Backend URL must start with http:// or https://.']);
    assert.deepEqual(messagesFor({ target: 'http://h:1/?a=b' }), ['target: Backend URL must not have a query (?) or fragment (#).']);
    assert.deepEqual(messagesFor({ target: '' }), ['target: Backend URL must not be empty.']);
    assert.deepEqual(messagesFor({ target: 'https://gpu-box.lan:11434/ollama' }), []);
  });
  test('listen address and the token it may require', () => {
    assert.deepEqual(messagesFor({ host: 'http://127.0.0.1' }),
      ['host: Listen address must be a host name or IP address such as 127.0.0.1, not "http://127.0.0.1".']);
    assert.deepEqual(messagesFor({ host: '0.0.0.0' }),
      ['token: An access token is required when listening on 0.0.0.0, which other machines can reach.']);
    assert.deepEqual(messagesFor({ host: '0.0.0.0', token: 'abc123' }), []);
    for (const loopback of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1']) {
      assert.deepEqual(messagesFor({ host: loopback }), [], loopback);
    }
    assert.deepEqual(messagesFor({ host: '::', token: 't' }), []);
    assert.deepEqual(messagesFor({ host: '127.0.0.1', token: 'has space' }),
      ['token: Access token may only contain visible ASCII characters (no spaces).']);
  });
  test('enums, booleans, ranges and lists', () => {
    assert.deepEqual(messagesFor({ rewrite: 'maybe', inlineSystem: 'lift', shell: 'tcsh', logLevel: 7, bare: 'yes', slots: 0, maxBodyBytes: 10 }), [
      'rewrite: Prompt rewrite must be one of: drop, normalize, off.',
      'inlineSystem: Inline system messages must be one of: fold, keep.',
      'bare: Bare mode must be true or false.',
      'shell: Shell must be one of: auto, zsh, bash, fish.',
      'slots: Cache slots must be a whole number from 1 to 64.',
      'maxBodyBytes: Largest request body must be a whole number of bytes from 1 MiB to 1 GiB.',
      'logLevel: Log level must be one of: debug, info, warn, error.',
    ]);
    assert.deepEqual(messagesFor({ allowOrigins: 'http://a' }), ['allowOrigins: Allowed browser origins must be a list of text values.']);
    assert.deepEqual(messagesFor({ allowOrigins: ['http://localhost:5173', 'http://a/'] }), [
      'allowOrigins: Allowed browser origins: "http://a/" is not an origin like http://localhost:5173 (scheme, host, optional port; no path or trailing slash).',
    ]);
    assert.deepEqual(messagesFor({ model: '' }), ['model: Model must not be empty.']);
    assert.deepEqual(messagesFor({ model: 'a\nb' }), ['model: Model must not contain control characters.']);
    assert.deepEqual(messagesFor({ model: `we ird'"$ model:1b` }), []);
  });
  test('unknown keys are ignored (a newer app may have written them)', () => {
    assert.deepEqual(validateSettings({ futureThing: 1 }), { ok: true, errors: [] });
  });
});

describe('migrateSettings', () => {
  const v1 = { schemaVersion: 1, port: 12000, stabilize: false, bareMode: true, model: 'llama3' };
  test('v1 -> v2 renames and converts', () => {
    const result = migrateSettings(v1);
    assert.deepEqual(result, {
      settings: { schemaVersion: 2, port: 12000, rewrite: 'off', bare: true, model: 'llama3' },
      from: 1,
      changed: true,
    });
    assert.deepEqual(migrateSettings({ stabilize: true }).settings, { schemaVersion: 2, rewrite: 'drop' });
    assert.deepEqual(v1.stabilize, false, 'input untouched');
  });
  test('a file without schemaVersion is version 1', () => {
    assert.deepEqual(migrateSettings({ bareMode: false }), { settings: { schemaVersion: 2, bare: false }, from: 1, changed: true });
  });
  test('current and newer files are returned as they are', () => {
    const current = { schemaVersion: 2, port: 1 };
    assert.equal(migrateSettings(current).settings, current);
    assert.equal(migrateSettings(current).changed, false);
    assert.deepEqual(migrateSettings({ schemaVersion: 9, wow: 1 }), { settings: { schemaVersion: 9, wow: 1 }, from: 9, changed: false });
  });
  test('non-settings input throws', () => {
    assert.throws(() => migrateSettings([]), /JSON object/);
    assert.throws(() => migrateSettings('x'), /JSON object/);
    assert.throws(() => migrateSettings({ schemaVersion: 'two' }), /schemaVersion must be a whole number/);
  });
});

describe('openSettings with the real conf', () => {
  let root: string;
  let n = 0;
  const freshDir = () => path.join(root, `case-${n++}`);
  const writeConfig = (dir: string, text: string) => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'config.json'), text);
  };
  const readConfig = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const fixedNow = () => new Date('2025-03-04T05:06:07.089Z');

  before(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'settings-test-')); });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a missing file gives defaults, written to disk readable only by the user', () => {
    const dir = freshDir();
    const opened = openCliSettings(dir);
    assert.equal(opened.recovered, null);
    assert.equal(opened.migratedFrom, null);
    assert.deepEqual({ ...opened.store.store }, { ...DEFAULT_SETTINGS });
    assert.equal(opened.store.path, path.join(dir, 'config.json'));
    assert.deepEqual(readConfig(dir), { ...DEFAULT_SETTINGS });
    assert.equal(fs.statSync(path.join(dir, 'config.json')).mode & 0o777, 0o600);
  });

  test('values persist, and conf enforces the same schema on writes', () => {
    const dir = freshDir();
    openCliSettings(dir).store.set('model', 'llama3.1:8b');
    const { store } = openCliSettings(dir);
    assert.equal(store.get('model'), 'llama3.1:8b');
    assert.throws(() => store.set('port', 70000), /Config schema violation/);
    assert.throws(() => store.set('rewrite', 'sometimes' as Settings['rewrite']), /Config schema violation/);
  });

  test('a partial file is completed with defaults', () => {
    const dir = freshDir();
    writeConfig(dir, JSON.stringify({ schemaVersion: 2, port: 9999 }));
    const opened = openCliSettings(dir);
    assert.equal(opened.recovered, null);
    assert.deepEqual({ ...opened.store.store }, { ...DEFAULT_SETTINGS, port: 9999 });
  });

  test('a version 1 file is migrated on disk before conf reads it', () => {
    const dir = freshDir();
    writeConfig(dir, JSON.stringify({ port: 12000, stabilize: false, bareMode: true, model: 'llama3' }));
    const opened = openCliSettings(dir);
    assert.equal(opened.migratedFrom, 1);
    assert.equal(opened.recovered, null);
    assert.deepEqual({ ...opened.store.store }, { ...DEFAULT_SETTINGS, port: 12000, rewrite: 'off', bare: true, model: 'llama3' });
    const onDisk = readConfig(dir);
    assert.equal(onDisk['schemaVersion'], 2);
    assert.equal('stabilize' in onDisk, false);
    assert.equal(openCliSettings(dir).migratedFrom, null, 'migrates once');
  });

  test('a corrupt file is moved aside and defaults are used', () => {
    const dir = freshDir();
    writeConfig(dir, '{"port": 12000,');
    const opened = openSettings((options) => openCliSettings(options.cwd).store, { dir, now: fixedNow });
    const expectedBackup = path.join(dir, 'config.json.bak-2025-03-04T05-06-07.089Z');
    assert.equal(opened.recovered?.backupPath, expectedBackup);
    assert.match(opened.recovered?.reason ?? '', /^config\.json is not valid JSON \(/);
    assert.equal(fs.readFileSync(expectedBackup, 'utf8'), '{"port": 12000,');
    assert.deepEqual({ ...opened.store.store }, { ...DEFAULT_SETTINGS });
  });

  test('a schema-invalid file is moved aside, and a second one gets its own backup', () => {
    const dir = freshDir();
    for (const expectedSuffix of ['', '-2']) {
      writeConfig(dir, JSON.stringify({ schemaVersion: 2, port: 'eighty', host: '0.0.0.0' }));
      const opened = openSettings((options) => openCliSettings(options.cwd).store, { dir, now: fixedNow });
      assert.deepEqual(opened.recovered, {
        backupPath: `${backupPathFor(path.join(dir, 'config.json'), fixedNow())}${expectedSuffix}`,
        reason: 'config.json has invalid settings: Port must be a whole number from 1 to 65535. '
          + 'An access token is required when listening on 0.0.0.0, which other machines can reach.',
      });
      assert.deepEqual({ ...opened.store.store }, { ...DEFAULT_SETTINGS });
    }
  });

  test('a file that is JSON but not an object is recovered too', () => {
    const dir = freshDir();
    writeConfig(dir, '[1, 2]');
    const opened = openCliSettings(dir);
    assert.equal(opened.recovered?.reason, 'config.json is unusable: settings must be a JSON object.');
    assert.ok(fs.existsSync(opened.recovered.backupPath));
  });

  test('if the store itself rejects the file, it is recovered once', () => {
    const dir = freshDir();
    writeConfig(dir, JSON.stringify({ schemaVersion: 2 }));
    let calls = 0;
    const opened = openSettings((options) => {
      calls += 1;
      if (calls === 1) throw new Error('Config schema violation: `port` must be <= 65535');
      return options;
    }, { dir, now: fixedNow });
    assert.equal(calls, 2);
    assert.equal(opened.recovered?.reason, 'config.json was rejected: Config schema violation: `port` must be <= 65535');
    assert.equal(opened.store.cwd, dir);
    assert.ok(fs.existsSync(opened.recovered.backupPath));
  });
});

describe('settingsFromFlags', () => {
  const base: Settings = { ...DEFAULT_SETTINGS, allowOrigins: [] };
  test('flags override the file; absent flags do not', () => {
    const result = settingsFromFlags(base, { port: '8080', model: 'llama3', bare: true, rewrite: undefined });
    assert.deepEqual(result, { ok: true, settings: { ...base, port: 8080, model: 'llama3', bare: true } });
  });
  test('kebab-case names and text values are understood', () => {
    const result = settingsFromFlags(base, { 'keep-model-loaded': 'true', 'allow-origins': 'http://a:1, http://b', 'max-body-bytes': '2097152' });
    assert.ok(result.ok);
    assert.equal(result.settings.keepModelLoaded, true);
    assert.deepEqual(result.settings.allowOrigins, ['http://a:1', 'http://b']);
    assert.equal(result.settings.maxBodyBytes, 2 * 1024 * 1024);
  });
  test('bad values come back as the validation messages', () => {
    assert.deepEqual(settingsFromFlags(base, { port: 'abc', rewrite: 'maybe' }), {
      ok: false,
      errors: [
        { field: 'port', message: 'Port must be a whole number from 1 to 65535.' },
        { field: 'rewrite', message: 'Prompt rewrite must be one of: drop, normalize, off.' },
      ],
    });
    assert.equal(settingsFromFlags(base, { port: '0' }).ok, false);
    assert.deepEqual(settingsFromFlags(base, { port: '0' }, { allowPortZero: true }), { ok: true, settings: { ...base, port: 0 } });
  });
  test('a flag that names no setting is a programming error', () => {
    assert.throws(() => settingsFromFlags(base, { colour: 'red' }), /--colour is not a setting/);
  });
});
