// The tray menu, icon and tooltip for every state the app can be in. Asserts
// labels, enabled, checked and actions item by item rather than snapshots.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppState, MenuItemModel } from '../main/core/menu/types.js';
import type { BackendState } from '../main/core/backends/types.js';
import type { WarmStatus, WarmUpRecord } from '../main/core/wire/types.js';
import { buildTrayMenu, tooltip, trayIconVariant } from '../main/core/menu/tray-menu.js';
import { contextSize } from '../main/core/menu/format.js';
import { percent } from '../main/core/diagnostics/percent.js';

const CHECKED_AT = new Date(2025, 5, 1, 13, 0);

const OLLAMA_UP: BackendState = {
  status: 'up',
  version: '0.12.6',
  models: [
    { name: 'gpt-oss:20b', parameterSize: '20.9B', quantization: 'MXFP4' },
    { name: 'qwen3-coder:30b', parameterSize: '30.5B', quantization: 'Q4_K_M' },
  ],
  loaded: [{ name: 'qwen3-coder:30b', contextLength: 65536, expiresAt: new Date(2025, 5, 1, 13, 5), sizeVram: 19e9 }],
  lastCheckedAt: CHECKED_AT,
};

const OLLAMA_DOWN: BackendState = { status: 'down', models: [], loaded: [], error: 'connection refused', lastCheckedAt: CHECKED_AT };

function appState(overrides: Partial<AppState> = {}): AppState {
  return {
    proxy: { state: 'running', host: '127.0.0.1', port: 11435, target: 'http://127.0.0.1:11434' },
    backendState: OLLAMA_UP,
    keepAliveExpiresAt: null,
    lastCall: null,
    settings: { rewrite: 'drop', bare: false, model: 'qwen3-coder:30b', keepModelLoaded: false, warm: 'auto' },
    loginItem: { supported: true, enabled: false, requiresApproval: false },
    shell: 'zsh',
    ...overrides,
  };
}

function withSettings(settings: Partial<AppState['settings']>, rest: Partial<AppState> = {}): AppState {
  const base = appState(rest);
  return { ...base, settings: { ...base.settings, ...settings } };
}

function allItems(items: readonly MenuItemModel[]): MenuItemModel[] {
  return items.flatMap((item) => [item, ...allItems(item.submenu ?? [])]);
}

function item(menu: readonly MenuItemModel[], id: string): MenuItemModel {
  const found = allItems(menu).find((i) => i.id === id);
  assert.ok(found, `no menu item ${id}; have ${allItems(menu).map((i) => i.id).join(', ')}`);
  return found;
}

function has(menu: readonly MenuItemModel[], id: string): boolean {
  return allItems(menu).some((i) => i.id === id);
}

/** The top level as compact lines, separators as `---`: the order is part of the design. */
function outline(menu: readonly MenuItemModel[]): string[] {
  return menu.map((i) => (i.type === 'separator' ? '---' : i.label));
}

describe('tray menu layout', () => {
  test('running proxy, Ollama up, all defaults', () => {
    const menu = buildTrayMenu(appState());
    assert.deepEqual(outline(menu), [
      'Running on 127.0.0.1:11435 → 127.0.0.1:11434',
      'Ollama 0.12.6 · qwen3-coder:30b (64K ctx) · loaded until 13:05',
      '---',
      'Stop Proxy',
      '---',
      'Stabilize prompt cache',
      'Stabilize mode',
      'Use --bare preset',
      'Model: qwen3-coder:30b',
      '---',
      'Copy claudel function (zsh)',
      'Copy for other shell',
      '---',
      'Keep model loaded',
      'Warm Start: off',
      'Launch at Login',
      '---',
      'Open Activity…',
      'Open Config File',
      '---',
      'Quit',
    ]);
  });

  test('ids are unique, separators carry no action, every enabled leaf has an action', () => {
    const states = [
      appState(),
      appState({ backendState: OLLAMA_DOWN, proxy: { state: 'port-busy', host: '127.0.0.1', port: 11435, target: 'http://127.0.0.1:11434' } }),
      appState({ loginItem: { supported: true, enabled: true, requiresApproval: true }, lastCall: { reuse: 0.5, bust: null } }),
      withSettings({ model: 'missing:1b' }),
    ];
    for (const state of states) {
      const items = allItems(buildTrayMenu(state));
      const ids = items.map((i) => i.id);
      assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids.join(', ')}`);
      for (const i of items) {
        if (i.type === 'separator') assert.equal(i.action, undefined);
        else if (i.type === 'submenu') assert.ok(i.submenu && i.submenu.length > 0, `${i.id} has items`);
        else if (i.enabled) assert.ok(i.action, `${i.id} is enabled but does nothing`);
        else if (i.type === 'normal') assert.equal(i.action, undefined, `${i.id} is a label`);
      }
    }
  });
});

describe('proxy states', () => {
  const proxy = (state: AppState['proxy']['state'], error?: string): AppState =>
    appState({ proxy: { state, host: '127.0.0.1', port: 11435, target: 'http://127.0.0.1:11434', ...(error ? { error } : {}) } });

  test('running: status label, Stop Proxy, running icon', () => {
    const state = proxy('running');
    const menu = buildTrayMenu(state);
    assert.deepEqual(item(menu, 'proxy-status'), { id: 'proxy-status', label: 'Running on 127.0.0.1:11435 → 127.0.0.1:11434', type: 'normal', enabled: false });
    assert.deepEqual(item(menu, 'proxy-toggle'), { id: 'proxy-toggle', label: 'Stop Proxy', type: 'normal', enabled: true, action: { type: 'stop-proxy' } });
    assert.equal(trayIconVariant(state), 'running');
    assert.equal(tooltip(state), 'llm-cache-proxy\nRunning on 127.0.0.1:11435 → 127.0.0.1:11434\nOllama 0.12.6 · qwen3-coder:30b (64K ctx) · loaded until 13:05');
  });

  test('stopped: Start Proxy, stopped icon', () => {
    const state = proxy('stopped');
    const menu = buildTrayMenu(state);
    assert.equal(item(menu, 'proxy-status').label, 'Stopped');
    assert.equal(item(menu, 'proxy-status').enabled, false);
    assert.deepEqual(item(menu, 'proxy-toggle').action, { type: 'start-proxy' });
    assert.equal(item(menu, 'proxy-toggle').label, 'Start Proxy');
    assert.equal(trayIconVariant(state), 'stopped');
    assert.match(tooltip(state), /^llm-cache-proxy\nStopped\n/);
  });

  test('port busy: says which port, offers Start Proxy again, error icon', () => {
    const state = proxy('port-busy');
    const menu = buildTrayMenu(state);
    assert.equal(item(menu, 'proxy-status').label, 'Port 11435 is in use');
    assert.deepEqual(item(menu, 'proxy-toggle').action, { type: 'start-proxy' });
    assert.equal(trayIconVariant(state), 'error');
    assert.match(tooltip(state), /\nPort 11435 is in use\n/);
  });

  test('error: shows the error, error icon', () => {
    const state = proxy('error', 'EACCES');
    assert.equal(item(buildTrayMenu(state), 'proxy-status').label, 'Proxy error: EACCES');
    assert.equal(trayIconVariant(state), 'error');
  });

  test('an IPv6 listen address is bracketed', () => {
    const state = appState({ proxy: { state: 'running', host: '::1', port: 11435, target: 'http://[::1]:11434/' } });
    assert.equal(item(buildTrayMenu(state), 'proxy-status').label, 'Running on [::1]:11435 → [::1]:11434');
  });
});

describe('Ollama states', () => {
  test('up: version, loaded model, context and the keep-alive expiry when keeping it loaded', () => {
    const state = withSettings({ keepModelLoaded: true }, { keepAliveExpiresAt: new Date(2025, 5, 1, 14, 5) });
    assert.equal(item(buildTrayMenu(state), 'backend-status').label, 'Ollama 0.12.6 · qwen3-coder:30b (64K ctx) · loaded until 14:05');
    assert.equal(has(buildTrayMenu(state), 'ollama-download'), false);
  });

  test('up: the keep-alive expiry is ignored when keeping another model or when off', () => {
    const other = withSettings({ keepModelLoaded: true, model: 'gpt-oss:20b' }, { keepAliveExpiresAt: new Date(2025, 5, 1, 14, 5) });
    assert.equal(item(buildTrayMenu(other), 'backend-status').label, 'Ollama 0.12.6 · qwen3-coder:30b (64K ctx) · loaded until 13:05');
    const off = withSettings({ keepModelLoaded: false }, { keepAliveExpiresAt: new Date(2025, 5, 1, 14, 5) });
    assert.equal(item(buildTrayMenu(off), 'backend-status').label, 'Ollama 0.12.6 · qwen3-coder:30b (64K ctx) · loaded until 13:05');
  });

  test('up: prefers the chosen model among several loaded; a negative keep_alive reads as kept loaded', () => {
    const backendState: BackendState = {
      ...OLLAMA_UP,
      loaded: [
        { name: 'gpt-oss:20b', contextLength: 131072, expiresAt: new Date(2025, 5, 1, 13, 2) },
        { name: 'qwen3-coder:30b', contextLength: 4096, expiresAt: new Date(2318, 0, 1) },
      ],
    };
    assert.equal(item(buildTrayMenu(appState({ backendState })), 'backend-status').label, 'Ollama 0.12.6 · qwen3-coder:30b (4K ctx) · kept loaded');
    const chooseOther = withSettings({ model: 'gpt-oss:20b' }, { backendState });
    assert.equal(item(buildTrayMenu(chooseOther), 'backend-status').label, 'Ollama 0.12.6 · gpt-oss:20b (128K ctx) · loaded until 13:02');
  });

  test('other engines and routers are named as detected, with their slots', () => {
    const llama: BackendState = { ...OLLAMA_UP, kind: 'llama-server', version: 'b7100', slots: 2, loaded: [{ name: 'qwen3-coder:30b', contextLength: 16384 }] };
    assert.equal(item(buildTrayMenu(appState({ backendState: llama })), 'backend-status').label, 'llama-server b7100 · 2 slots · qwen3-coder:30b (16K ctx)');
    const dynamo: BackendState = { ...OLLAMA_UP, kind: 'router', flavour: 'dynamo', version: undefined, loaded: [] } as BackendState;
    assert.equal(item(buildTrayMenu(appState({ backendState: dynamo })), 'backend-status').label, 'Router (dynamo) · no model loaded');
    const unknown: BackendState = { status: 'up', kind: 'unknown', models: [], loaded: [], lastCheckedAt: CHECKED_AT };
    assert.match(item(buildTrayMenu(appState({ backendState: unknown })), 'backend-status').label, /^Unknown backend at 127\.0\.0\.1:11434 \(not Ollama/);
    const namedDown: BackendState = { ...OLLAMA_DOWN, kind: 'vllm', forced: true };
    assert.equal(item(buildTrayMenu(appState({ backendState: namedDown })), 'backend-status').label, 'vLLM not reachable at 127.0.0.1:11434');
    assert.equal(has(buildTrayMenu(appState({ backendState: namedDown })), 'ollama-download'), false, 'no Ollama download when vLLM was named');
    const namedOther: BackendState = { ...namedDown, unexpected: true };
    assert.equal(item(buildTrayMenu(appState({ backendState: namedOther })), 'backend-status').label, '127.0.0.1:11434 answers, but not as vLLM does');
  });

  test('up with nothing loaded', () => {
    const state = appState({ backendState: { ...OLLAMA_UP, loaded: [] } });
    assert.equal(item(buildTrayMenu(state), 'backend-status').label, 'Ollama 0.12.6 · no model loaded');
  });

  test('down: not reachable, a Download Ollama… item, no models, error icon while the proxy runs', () => {
    const state = appState({ backendState: OLLAMA_DOWN });
    const menu = buildTrayMenu(state);
    assert.deepEqual(outline(menu).slice(0, 3), ['Running on 127.0.0.1:11435 → 127.0.0.1:11434', 'Ollama not reachable at 127.0.0.1:11434', 'Download Ollama…']);
    assert.equal(item(menu, 'backend-status').enabled, false);
    assert.deepEqual(item(menu, 'ollama-download'), { id: 'ollama-download', label: 'Download Ollama…', type: 'normal', enabled: true, action: { type: 'open-ollama-download' } });
    assert.deepEqual(item(menu, 'model').submenu, [
      { id: 'model:qwen3-coder:30b', label: 'qwen3-coder:30b', type: 'radio', enabled: false, checked: true },
      { id: 'model:none', label: 'Models appear when Ollama is running', type: 'normal', enabled: false },
    ]);
    assert.equal(trayIconVariant(state), 'error');
    assert.match(tooltip(state), /\nOllama not reachable at 127\.0\.0\.1:11434$/);
    assert.equal(trayIconVariant(appState({ backendState: OLLAMA_DOWN, proxy: { ...state.proxy, state: 'stopped' } })), 'stopped');
  });

  test('unknown (before the first check): checking, no download offer', () => {
    const state = appState({ backendState: { status: 'unknown', models: [], loaded: [], lastCheckedAt: null } });
    const menu = buildTrayMenu(state);
    assert.equal(item(menu, 'backend-status').label, 'Checking Ollama at 127.0.0.1:11434…');
    assert.equal(has(menu, 'ollama-download'), false);
    assert.equal(trayIconVariant(state), 'running');
  });
});

describe('model submenu', () => {
  test('radio items from /api/tags with the current choice checked', () => {
    const menu = buildTrayMenu(appState());
    const model = item(menu, 'model');
    assert.equal(model.type, 'submenu');
    assert.equal(model.label, 'Model: qwen3-coder:30b');
    assert.deepEqual(model.submenu, [
      { id: 'model:gpt-oss:20b', label: 'gpt-oss:20b (20.9B)', type: 'radio', enabled: true, checked: false, action: { type: 'select-model', model: 'gpt-oss:20b' } },
      { id: 'model:qwen3-coder:30b', label: 'qwen3-coder:30b (30.5B)', type: 'radio', enabled: true, checked: true, action: { type: 'select-model', model: 'qwen3-coder:30b' } },
    ]);
  });

  test('a choice without a tag matches Ollama\'s :latest', () => {
    const backendState: BackendState = { ...OLLAMA_UP, models: [{ name: 'llama3:latest' }] };
    const model = item(buildTrayMenu(withSettings({ model: 'llama3' }, { backendState })), 'model');
    assert.deepEqual(model.submenu?.map((i) => [i.label, i.checked]), [['llama3:latest', true]]);
  });

  test('the current choice stays visible when Ollama does not list it', () => {
    const model = item(buildTrayMenu(withSettings({ model: 'missing:1b' })), 'model');
    assert.deepEqual(model.submenu?.map((i) => [i.label, i.type, i.enabled, i.checked]), [
      ['missing:1b (not pulled)', 'radio', false, true],
      ['gpt-oss:20b (20.9B)', 'radio', true, false],
      ['qwen3-coder:30b (30.5B)', 'radio', true, false],
    ]);
  });

  test('up with no models: a disabled hint to pull one', () => {
    const backendState: BackendState = { ...OLLAMA_UP, models: [], loaded: [] };
    const withChoice = item(buildTrayMenu(appState({ backendState })), 'model');
    assert.deepEqual(withChoice.submenu, [
      { id: 'model:qwen3-coder:30b', label: 'qwen3-coder:30b (not pulled)', type: 'radio', enabled: false, checked: true },
      { id: 'model:none', label: 'No models — run ollama pull qwen3-coder:30b', type: 'normal', enabled: false },
    ]);
    const noChoice = item(buildTrayMenu(withSettings({ model: '' }, { backendState })), 'model');
    assert.equal(noChoice.label, 'Model');
    assert.deepEqual(noChoice.submenu, [{ id: 'model:none', label: 'No models — run ollama pull <model>', type: 'normal', enabled: false }]);
  });
});

describe('last call', () => {
  test('none yet: no cache line', () => {
    const menu = buildTrayMenu(appState({ lastCall: null }));
    assert.equal(has(menu, 'last-call'), false);
    assert.equal(tooltip(appState()).split('\n').length, 3);
  });

  test('hit: the reused share, rounded down', () => {
    const state = appState({ lastCall: { reuse: 0.99876, bust: null } });
    const menu = buildTrayMenu(state);
    assert.deepEqual(item(menu, 'last-call'), { id: 'last-call', label: 'Last turn reused 99.8%', type: 'normal', enabled: false });
    assert.deepEqual(outline(menu).slice(0, 4), ['Running on 127.0.0.1:11435 → 127.0.0.1:11434', 'Ollama 0.12.6 · qwen3-coder:30b (64K ctx) · loaded until 13:05', 'Last turn reused 99.8%', '---']);
    assert.match(tooltip(state), /\nLast turn reused 99\.8%$/);
    assert.equal(item(buildTrayMenu(appState({ lastCall: { reuse: 1, bust: null } })), 'last-call').label, 'Last turn reused 100%');
  });

  test('miss: the cause', () => {
    const bust = { cause: 'billing-header', path: 'system[0].text', before: 'a', after: 'b', remedy: 'Turn on stabilize.' } as const;
    const state = appState({ lastCall: { reuse: 0.01, bust } });
    assert.equal(item(buildTrayMenu(state), 'last-call').label, 'Last turn: cache miss (billing-header)');
    assert.match(tooltip(state), /\nLast turn: cache miss \(billing-header\)$/);
  });

  test('after Ollama is down, the cache line follows the download item', () => {
    const menu = buildTrayMenu(appState({ backendState: OLLAMA_DOWN, lastCall: { reuse: 0.5, bust: null } }));
    assert.deepEqual(menu.slice(1, 4).map((i) => i.id), ['backend-status', 'ollama-download', 'last-call']);
  });
});

describe('rewrite modes', () => {
  for (const [rewrite, on] of [['drop', true], ['normalize', true], ['off', false]] as const) {
    test(`${rewrite}: stabilize ${on ? 'checked' : 'unchecked'}, mode radio`, () => {
      const menu = buildTrayMenu(withSettings({ rewrite }));
      assert.deepEqual(item(menu, 'stabilize'), {
        id: 'stabilize', label: 'Stabilize prompt cache', type: 'checkbox', enabled: true, checked: on, action: { type: 'set-stabilize', enabled: !on },
      });
      assert.deepEqual(item(menu, 'stabilize-mode').submenu, [
        { id: 'stabilize-mode:drop', label: 'Drop billing header (recommended)', type: 'radio', enabled: true, checked: rewrite === 'drop', action: { type: 'set-rewrite-mode', mode: 'drop' } },
        { id: 'stabilize-mode:normalize', label: 'Normalize billing header', type: 'radio', enabled: true, checked: rewrite === 'normalize', action: { type: 'set-rewrite-mode', mode: 'normalize' } },
      ]);
    });
  }
});

describe('bare preset', () => {
  test('off: unchecked, turns it on', () => {
    assert.deepEqual(item(buildTrayMenu(withSettings({ bare: false })), 'bare'), {
      id: 'bare', label: 'Use --bare preset', type: 'checkbox', enabled: true, checked: false, action: { type: 'set-bare', enabled: true },
    });
  });

  test('on: checked, turns it off', () => {
    const bare = item(buildTrayMenu(withSettings({ bare: true })), 'bare');
    assert.equal(bare.checked, true);
    assert.deepEqual(bare.action, { type: 'set-bare', enabled: false });
  });
});

describe('claudel snippet', () => {
  for (const shell of ['zsh', 'bash'] as const) {
    test(`${shell}: copies for ${shell}, offers fish`, () => {
      const menu = buildTrayMenu(appState({ shell }));
      assert.deepEqual(item(menu, 'copy-snippet'), { id: 'copy-snippet', label: `Copy claudel function (${shell})`, type: 'normal', enabled: true, action: { type: 'copy-snippet', shell } });
      assert.deepEqual(item(menu, 'copy-snippet-other').submenu, [
        { id: 'copy-snippet:fish', label: 'fish', type: 'normal', enabled: true, action: { type: 'copy-snippet', shell: 'fish' } },
      ]);
    });
  }

  test('fish: copies for fish, offers zsh / bash', () => {
    const menu = buildTrayMenu(appState({ shell: 'fish' }));
    assert.deepEqual(item(menu, 'copy-snippet').action, { type: 'copy-snippet', shell: 'fish' });
    assert.deepEqual(item(menu, 'copy-snippet-other').submenu, [
      { id: 'copy-snippet:zsh', label: 'zsh / bash', type: 'normal', enabled: true, action: { type: 'copy-snippet', shell: 'zsh' } },
    ]);
  });
});

describe('keep model loaded', () => {
  test('off and on', () => {
    assert.deepEqual(item(buildTrayMenu(withSettings({ keepModelLoaded: false })), 'keep-loaded'), {
      id: 'keep-loaded', label: 'Keep model loaded', type: 'checkbox', enabled: true, checked: false, action: { type: 'set-keep-loaded', enabled: true },
    });
    const on = item(buildTrayMenu(withSettings({ keepModelLoaded: true })), 'keep-loaded');
    assert.equal(on.checked, true);
    assert.deepEqual(on.action, { type: 'set-keep-loaded', enabled: false });
  });

  test('needs a chosen model to turn on, but can always be turned off', () => {
    assert.equal(item(buildTrayMenu(withSettings({ model: '', keepModelLoaded: false })), 'keep-loaded').enabled, false);
    assert.equal(item(buildTrayMenu(withSettings({ model: '', keepModelLoaded: true })), 'keep-loaded').enabled, true);
  });
});

describe('warm start', () => {
  const warmStatus = (over: Partial<WarmStatus> = {}): WarmStatus => ({ setting: 'auto', mode: 'idle', waiting: null, running: null, last: null, count: 0, ...over });

  test('a radio per choice, the setting checked, each choosing itself', () => {
    const warm = item(buildTrayMenu(withSettings({ warm: 'auto' }, { warm: warmStatus() })), 'warm');
    assert.equal(warm.label, 'Warm Start: on');
    assert.deepEqual(warm.submenu?.map((i) => [i.id, i.checked, i.action]), [
      ['warm:auto', true, { type: 'set-warm', setting: 'auto' }],
      ['warm:idle', false, { type: 'set-warm', setting: 'idle' }],
      ['warm:on', false, { type: 'set-warm', setting: 'on' }],
      ['warm:off', false, { type: 'set-warm', setting: 'off' }],
    ]);
  });

  test('auto behind a router reads off; the last warm-up is said in --explain\'s words', () => {
    assert.equal(item(buildTrayMenu(withSettings({ warm: 'auto' }, { warm: warmStatus({ mode: 'off' }) })), 'warm').label, 'Warm Start: off');
    const last: WarmUpRecord = { id: 1, model: 'qwen3-coder:30b', trigger: 'model-loaded', kind: 'prefix', time: '2026-12-06T12:00:00Z', outcome: 'done', durationMs: 3200, promptTokens: 12345 };
    const warm = item(buildTrayMenu(withSettings({ warm: 'on' }, { warm: warmStatus({ setting: 'on', mode: 'on', last }) })), 'warm');
    assert.deepEqual(warm.submenu?.at(-1), {
      id: 'warm-last', type: 'normal', enabled: false,
      label: 'Last: warm-up qwen3-coder:30b (the model was loaded): read 12,345 tokens of the system prompt and tools in 3 s',
    });
  });
});

describe('launch at login', () => {
  test('disabled: unchecked, turns it on, no approval items', () => {
    const menu = buildTrayMenu(appState({ loginItem: { supported: true, enabled: false, requiresApproval: false } }));
    assert.deepEqual(item(menu, 'launch-at-login'), {
      id: 'launch-at-login', label: 'Launch at Login', type: 'checkbox', enabled: true, checked: false, action: { type: 'set-launch-at-login', enabled: true },
    });
    assert.equal(has(menu, 'login-approval'), false);
    assert.equal(has(menu, 'open-login-items-settings'), false);
  });

  test('enabled: checked, turns it off', () => {
    const login = item(buildTrayMenu(appState({ loginItem: { supported: true, enabled: true, requiresApproval: false } })), 'launch-at-login');
    assert.equal(login.checked, true);
    assert.deepEqual(login.action, { type: 'set-launch-at-login', enabled: false });
  });

  test('requiring approval: a note and a way to the settings, right after the checkbox', () => {
    const menu = buildTrayMenu(appState({ loginItem: { supported: true, enabled: true, requiresApproval: true } }));
    const at = menu.findIndex((i) => i.id === 'launch-at-login');
    assert.deepEqual(menu.slice(at + 1, at + 3), [
      { id: 'login-approval', label: 'Needs your approval in Login Items', type: 'normal', enabled: false },
      { id: 'open-login-items-settings', label: 'Open Login Items Settings…', type: 'normal', enabled: true, action: { type: 'open-login-items-settings' } },
    ]);
  });

  test('unsupported: shown, disabled, unchecked', () => {
    const menu = buildTrayMenu(appState({ loginItem: { supported: false, enabled: false, requiresApproval: false } }));
    assert.deepEqual(item(menu, 'launch-at-login'), { id: 'launch-at-login', label: 'Launch at Login', type: 'checkbox', enabled: false, checked: false });
    assert.equal(has(menu, 'open-login-items-settings'), false);
  });
});

describe('window and app items', () => {
  test('Open Activity…, Open Config File, Quit', () => {
    const menu = buildTrayMenu(appState());
    assert.deepEqual(item(menu, 'open-activity').action, { type: 'open-activity' });
    assert.deepEqual(item(menu, 'open-config-file').action, { type: 'open-config-file' });
    assert.deepEqual(menu.at(-1), { id: 'quit', label: 'Quit', type: 'normal', enabled: true, action: { type: 'quit' } });
  });
});

describe('label formatting', () => {
  test('percent rounds down and clamps', () => {
    assert.deepEqual([0, 0.29, 0.5, 0.9995, 1, 1.2, -0.1].map(percent), ['0', '29', '50', '99.9', '100', '100', '0']);
  });

  test('context sizes', () => {
    assert.deepEqual([512, 4096, 40960, 65536, 131072, 262144].map(contextSize), ['512', '4K', '40K', '64K', '128K', '256K']);
  });
});
