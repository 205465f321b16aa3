// The monitor and the keep-alive against the real stand-in over HTTP, with time
// driven by a manual clock: every backoff interval is asserted, never waited for.
import { TEMPLATE_PATH } from '../main/core/backends/renderer.js';
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { BackendMonitor } from '../main/core/backends/backend-monitor.js';
import type { KeepAlive } from '../main/core/backends/keep-alive.js';
import { createBackendMonitor, type BackendMonitorOptions } from '../main/core/backends/backend-monitor.js';
import { createKeepAlive } from '../main/core/backends/keep-alive.js';
import { parsePs, parseTags, parseVersion } from '../main/core/backends/ollama-parse.js';
import { backoffDelay, parseKeepAlive } from '../main/core/backends/timing.js';
import { sameModel } from '../main/core/backends/model-name.js';
import { startOllamaStandin } from './support/ollama-standin.js';
import type { OllamaStandin } from './support/ollama-standin.js';
import { createManualClock, type ManualClock } from './support/manual-clock.js';
import { freePort } from './support/free-port.js';



/** Advances the clock and resolves with the state of the check it triggered. */
/** The monitor for a target the user says is Ollama. */
function ollamaMonitor(options: Omit<BackendMonitorOptions, 'backend'>): BackendMonitor {
  return createBackendMonitor({ backend: 'ollama', ...options });
}

async function tick(monitor: BackendMonitor, clock: ManualClock, ms: number) {
  const checked = once(monitor, 'checked');
  clock.advance(ms);
  const [state] = await checked;
  return state as BackendMonitor['state'];
}

function recordEvents(monitor: BackendMonitor): string[] {
  const events: string[] = [];
  monitor.on('up', (s) => events.push(`up:${s.version}`));
  monitor.on('down', (s) => events.push(`down:${s.error}`));
  monitor.on('changed', (s) => events.push(`changed:${s.status}`));
  monitor.on('warning', () => events.push('warning'));
  return events;
}

const paths = (standin: OllamaStandin, from = 0): string[] => standin.requests.slice(from).map((r) => `${r.method} ${r.url}`);

describe('Ollama monitor', () => {
  test('down with backoff, then up with its models, then down again', async () => {
    const port = await freePort();
    const clock = createManualClock();
    const monitor = ollamaMonitor({ target: `http://127.0.0.1:${port}`, fetch, clock });
    const events = recordEvents(monitor);
    assert.equal(monitor.state.status, 'unknown');

    const firstCheck = once(monitor, 'checked');
    monitor.start();
    await firstCheck;
    assert.equal(monitor.state.status, 'down');
    assert.equal(monitor.state.error, 'connection refused');
    assert.deepEqual(monitor.state.models, []);
    assert.deepEqual(clock.pendingDelays(), [1000]);
    assert.deepEqual(events, ['down:connection refused', 'changed:down']);

    const retries: number[] = [];
    for (let i = 0; i < 6; i++) {
      const [delay] = clock.pendingDelays();
      retries.push(delay);
      assert.equal((await tick(monitor, clock, delay)).status, 'down');
    }
    assert.deepEqual(retries, [1000, 2000, 4000, 8000, 16000, 30000]);
    assert.deepEqual(clock.pendingDelays(), [30000], 'capped at maxDownIntervalMs');
    assert.equal(events.length, 2, 'staying down emits nothing new');

    const standin = await startOllamaStandin({ port, version: '0.12.6', loaded: ['qwen3-coder:30b'] });
    try {
      const up = await tick(monitor, clock, 30000);
      assert.equal(up.status, 'up');
      assert.equal(up.version, '0.12.6');
      assert.equal(up.error, undefined);
      assert.deepEqual(up.models, [
        { name: 'gpt-oss:20b', parameterSize: '20.9B', quantization: 'MXFP4', renderer: TEMPLATE_PATH },
        { name: 'qwen3-coder:30b', parameterSize: '30.5B', quantization: 'Q4_K_M', renderer: TEMPLATE_PATH },
      ], 'like real Ollama, /api/tags carries no context length; /api/show names no renderer, so the template path');
      assert.equal(up.loaded.length, 1);
      assert.equal(up.loaded[0].name, 'qwen3-coder:30b');
      assert.equal(up.loaded[0].contextLength, 65536);
      assert.equal(up.loaded[0].sizeVram, 19_000_000_000);
      assert.ok(up.loaded[0].expiresAt instanceof Date);
      assert.deepEqual(up.lastCheckedAt, new Date(clock.now()));
      assert.deepEqual(clock.pendingDelays(), [5000]);
      // Each model's renderer, and the loaded one's shape for the wait's prediction: asked once per model.
      assert.deepEqual(paths(standin).sort(), ['GET /api/ps', 'GET /api/tags', 'GET /api/version', 'POST /api/show', 'POST /api/show']);
      assert.ok(up.loaded[0].contextCost! > 0);
      assert.deepEqual(events.slice(2), ['up:0.12.6', 'changed:up']);

      // Nothing changed: only the version is asked, nothing is emitted.
      let seen = standin.requests.length;
      await tick(monitor, clock, 5000);
      assert.deepEqual(paths(standin, seen), ['GET /api/version']);
      assert.equal(events.length, 4);
      assert.deepEqual(clock.pendingDelays(), [5000]);

      // A new version (Ollama was upgraded) re-reads the lists.
      standin.version = '0.13.0';
      standin.models = standin.models.slice(0, 1);
      seen = standin.requests.length;
      const upgraded = await tick(monitor, clock, 5000);
      assert.equal(upgraded.version, '0.13.0');
      assert.deepEqual(upgraded.models.map((m) => m.name), ['qwen3-coder:30b']);
      assert.deepEqual(paths(standin, seen).sort(), ['GET /api/ps', 'GET /api/tags', 'GET /api/version']);
      assert.deepEqual(events.slice(4), ['changed:up']);
    } finally {
      await standin.close();
    }

    const down = await tick(monitor, clock, 5000);
    assert.equal(down.status, 'down');
    assert.match(down.error ?? '', /connection (refused|reset|closed)/);
    assert.deepEqual(down.loaded, []);
    assert.equal(down.version, undefined);
    assert.deepEqual(clock.pendingDelays(), [1000], 'backoff starts over');
    assert.equal(events[5].startsWith('down:'), true);
    assert.deepEqual(events.slice(6), ['changed:down']);

    monitor.stop();
    assert.deepEqual(clock.pendingDelays(), []);
    assert.equal(monitor.running, false);
  });

  describe('against a running stand-in', () => {
    let standin: OllamaStandin;
    before(async () => {
      standin = await startOllamaStandin({
        models: [
          { name: 'qwen3-coder:30b', parameterSize: '30.5B', quantization: 'Q4_K_M', contextLength: 4096 },
          { name: 'llama3', parameterSize: '8B' },
        ],
      });
    });
    after(() => standin.close());

    test('refresh() re-reads /api/ps on demand and works while stopped', async () => {
      standin.loaded.clear();
      const clock = createManualClock();
      const monitor = ollamaMonitor({ target: standin.url, fetch, clock });
      const first = await monitor.refresh();
      assert.equal(first.status, 'up');
      assert.deepEqual(first.loaded, []);
      assert.deepEqual(clock.pendingDelays(), [], 'not started, so nothing scheduled');

      standin.loaded.set('qwen3-coder:30b', { expiresAt: new Date(clock.now() + 60_000) });
      const changed = once(monitor, 'changed');
      const second = await monitor.refresh();
      await changed;
      assert.deepEqual(second.loaded.map((m) => [m.name, m.contextLength]), [['qwen3-coder:30b', 4096]]);
      assert.deepEqual(second.loaded[0].expiresAt, standin.loaded.get('qwen3-coder:30b')?.expiresAt);
    });

    test('re-reads /api/ps once a loaded model is due to unload', async () => {
      const clock = createManualClock();
      standin.loaded.clear();
      standin.loaded.set('llama3:latest', { expiresAt: new Date(clock.now() + 7000) });
      const monitor = ollamaMonitor({ target: standin.url, fetch, clock });
      const started = once(monitor, 'checked');
      monitor.start();
      await started;
      assert.equal(monitor.state.loaded.length, 1);
      standin.loaded.clear();

      let seen = standin.requests.length;
      await tick(monitor, clock, 5000);
      assert.deepEqual(paths(standin, seen), ['GET /api/version'], 'not due yet');
      seen = standin.requests.length;
      const after = await tick(monitor, clock, 5000);
      assert.ok(paths(standin, seen).includes('GET /api/ps'));
      assert.deepEqual(after.loaded, []);
      monitor.stop();
    });

    test('warns once when the loaded context cannot hold the prompt', async () => {
      standin.loaded.clear();
      const clock = createManualClock();
      const monitor = ollamaMonitor({ target: standin.url, fetch, clock });
      const warnings: string[] = [];
      monitor.on('warning', (message) => warnings.push(message));
      await monitor.refresh();

      // Not loaded yet: nothing to compare against.
      monitor.notePromptTokens('qwen3-coder:30b', 20_000);
      assert.deepEqual(warnings, []);

      // The call loaded it with a 4K window; the next check reads /api/ps and warns.
      standin.loaded.set('qwen3-coder:30b', { expiresAt: new Date(clock.now() + 300_000) });
      await monitor.refresh();
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /qwen3-coder:30b is loaded with a 4,096-token context, but the last prompt was about 20,000 tokens/);
      assert.match(warnings[0], /OLLAMA_CONTEXT_LENGTH/);

      monitor.notePromptTokens('qwen3-coder:30b', 21_000);
      await monitor.refresh();
      assert.equal(warnings.length, 1, 'the same problem is reported once');

      monitor.notePromptTokens('qwen3-coder:30b', 3000);
      assert.equal(warnings.length, 1, 'a prompt that fits is fine');
      monitor.notePromptTokens('qwen3-coder:30b', 5000);
      assert.equal(warnings.length, 2, 'and a later overflow is reported again');

      // Names match Ollama's `:latest` default.
      standin.loaded.set('llama3:latest', { expiresAt: new Date(clock.now() + 300_000) });
      await monitor.refresh();
      monitor.notePromptTokens('llama3', 4096);
      assert.equal(warnings.length, 3);
      assert.match(warnings[2], /^llama3:latest is loaded with a 4,096-token context/);
    });
  });

  describe('against a server that never answers', () => {
    let server: http.Server;
    let target: string;
    before(async () => {
      // Accepts and never answers. The client aborting shows up as an 'aborted' error on the request.
      server = http.createServer((req) => req.on('error', () => {}));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }));

    const requestArrived = async (): Promise<http.IncomingMessage> => {
      const [req] = await once(server, 'request');
      return req as http.IncomingMessage;
    };
    const closed = (req: http.IncomingMessage): Promise<void> =>
      new Promise((resolve) => (req.closed ? resolve() : req.on('close', () => resolve())));

    test('times out on the injected clock', async () => {
      const clock = createManualClock();
      const monitor = ollamaMonitor({ target, fetch, clock, requestTimeoutMs: 2000 });
      const arrived = requestArrived();
      monitor.start();
      const req = await arrived;
      assert.deepEqual(clock.pendingDelays(), [2000], 'only the request deadline is pending');
      const state = await tick(monitor, clock, 2000);
      assert.equal(state.status, 'down');
      assert.equal(state.error, '/api/version timed out after 2 s');
      assert.deepEqual(clock.pendingDelays(), [1000]);
      await closed(req);
      monitor.stop();
    });

    test('stop() aborts the check in flight and emits nothing', async () => {
      const clock = createManualClock();
      const monitor = ollamaMonitor({ target, fetch, clock });
      const events = recordEvents(monitor);
      let checks = 0;
      monitor.on('checked', () => checks++);
      const arrived = requestArrived();
      monitor.start();
      const req = await arrived;
      const aborted = closed(req);
      monitor.stop();
      await aborted;
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(events, []);
      assert.equal(checks, 0);
      assert.equal(monitor.state.status, 'unknown');
      assert.deepEqual(clock.pendingDelays(), []);
    });

    test('stop() then start() while a check is in flight keeps polling', async () => {
      const clock = createManualClock();
      const monitor = ollamaMonitor({ target, fetch, clock, requestTimeoutMs: 2000 });
      let arrived = requestArrived();
      monitor.start();
      await arrived;
      arrived = requestArrived();
      monitor.stop();
      monitor.start();
      await arrived;
      const state = await tick(monitor, clock, 2000);
      assert.equal(state.status, 'down');
      assert.deepEqual(clock.pendingDelays(), [1000]);
      monitor.stop();
    });
  });

  test('a server that is not Ollama counts as down', async () => {
    const server = http.createServer((_req, res) => res.end('<html>hello</html>'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const monitor = ollamaMonitor({ target: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, fetch, clock: createManualClock() });
      const state = await monitor.refresh();
      assert.equal(state.status, 'down');
      assert.match(state.error ?? '', /answers, but not as Ollama does \(\/api\/version did not answer JSON; is this Ollama\?\)$/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('Ollama response parsing', () => {
  test('version', () => {
    assert.equal(parseVersion({ version: '0.12.6' }), '0.12.6');
    assert.throws(() => parseVersion({}), /without a version/);
    assert.throws(() => parseVersion('0.12.6'), /without a version/);
  });

  test('tags: sorted, odd fields dropped', () => {
    assert.deepEqual(parseTags({
      models: [
        { name: 'b:7b', details: { parameter_size: '7B', quantization_level: 'Q8_0', context_length: 'big' } },
        { model: 'a:1b', details: null },
        { details: {} },
        'junk',
      ],
    }), [{ name: 'a:1b' }, { name: 'b:7b', parameterSize: '7B', quantization: 'Q8_0' }]);
    assert.deepEqual(parseTags(null), []);
    assert.deepEqual(parseTags({ models: 'none' }), []);
  });

  test('ps: expiry as a Date, size_vram omitted when in system memory', () => {
    assert.deepEqual(parsePs({
      models: [
        { name: 'm:1', expires_at: '2025-10-17T16:47:07.93355-07:00', context_length: 8192 },
        { name: 'm:2', expires_at: 'soon', size_vram: 5_000 },
      ],
    }), [
      { name: 'm:1', contextLength: 8192, expiresAt: new Date('2025-10-17T23:47:07.933Z') },
      { name: 'm:2', sizeVram: 5_000 },
    ]);
  });

  test('backoff and keep_alive durations', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 100].map((n) => backoffDelay(n, 1000, 30_000)), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    assert.equal(parseKeepAlive('60m'), 3_600_000);
    assert.equal(parseKeepAlive('1h30m'), 5_400_000);
    assert.equal(parseKeepAlive('45s'), 45_000);
    assert.equal(parseKeepAlive('300'), 300_000);
    assert.equal(parseKeepAlive(90), 90_000);
    assert.equal(parseKeepAlive('-1'), Infinity);
    assert.equal(parseKeepAlive('-1m'), Infinity);
    assert.equal(parseKeepAlive('0'), 0);
    assert.throws(() => parseKeepAlive('forever'), RangeError);
    assert.throws(() => parseKeepAlive('10 minutes'), RangeError);
  });

  test('model names', () => {
    assert.ok(sameModel('llama3', 'llama3:latest'));
    assert.ok(sameModel('hf.co/org/model', 'hf.co/org/model:latest'));
    assert.ok(sameModel('localhost:5000/m', 'localhost:5000/m:latest'));
    assert.ok(!sameModel('llama3:8b', 'llama3:latest'));
  });
});

describe('keep model loaded', () => {
  let standin: OllamaStandin;
  before(async () => {
    standin = await startOllamaStandin();
  });
  after(() => standin.close());

  const generateBodies = (from = 0): unknown[] => standin.requests.slice(from)
    .filter((r) => r.method === 'POST' && r.url === '/api/generate')
    .map((r) => JSON.parse(r.body.toString('utf8')) as unknown);

  async function renewed(keepAlive: KeepAlive, clock: ManualClock, ms: number) {
    const done = once(keepAlive, 'renewed');
    clock.advance(ms);
    const [state] = await done;
    return state as KeepAlive['state'];
  }

  test('loads the model with no prompt, renews it, and stops renewing when disabled', async () => {
    standin.loaded.clear();
    const seen = standin.requests.length;
    const clock = createManualClock();
    const keepAlive = createKeepAlive({ target: standin.url, fetch, clock, model: 'qwen3-coder:30b' });
    assert.deepEqual(keepAlive.state, { enabled: false, model: 'qwen3-coder:30b', expiresAt: null });
    assert.deepEqual(generateBodies(seen), [], 'nothing is sent while disabled');

    const first = once(keepAlive, 'renewed');
    keepAlive.setEnabled(true);
    const [state] = await first;
    assert.deepEqual(generateBodies(seen), [{ model: 'qwen3-coder:30b', keep_alive: '60m' }]);
    assert.deepEqual(state, { enabled: true, model: 'qwen3-coder:30b', expiresAt: new Date(clock.now() + 3_600_000) });
    assert.ok(standin.loaded.has('qwen3-coder:30b'), 'the stand-in loaded it');
    // Claude Code's own calls reset Ollama's timer to its 5-minute default, so renew within it.
    assert.deepEqual(clock.pendingDelays(), [240_000]);

    const again = await renewed(keepAlive, clock, 240_000);
    assert.deepEqual(again.expiresAt, new Date(clock.now() + 3_600_000));
    assert.equal(generateBodies(seen).length, 2);
    assert.deepEqual(clock.pendingDelays(), [240_000]);

    keepAlive.setEnabled(false);
    assert.deepEqual(keepAlive.state, { enabled: false, model: 'qwen3-coder:30b', expiresAt: null });
    assert.deepEqual(clock.pendingDelays(), []);
    clock.advance(3_600_000);
    assert.equal(generateBodies(seen).length, 2, 'no more renewals');
    assert.ok(generateBodies(seen).every((b) => (b as { keep_alive: unknown }).keep_alive !== 0), 'never unloads');
    assert.ok(standin.loaded.has('qwen3-coder:30b'));
  });

  test('renews at 80% of a short period and switches model at once', async () => {
    const seen = standin.requests.length;
    const clock = createManualClock();
    const keepAlive = createKeepAlive({ target: standin.url, fetch, clock, model: 'gpt-oss:20b', keepAlive: '10s' });
    const first = once(keepAlive, 'renewed');
    keepAlive.setEnabled(true);
    await first;
    assert.deepEqual(clock.pendingDelays(), [8000]);
    assert.deepEqual((await renewed(keepAlive, clock, 8000)).expiresAt, new Date(clock.now() + 10_000));

    const switched = once(keepAlive, 'renewed');
    keepAlive.setModel('qwen3-coder:30b');
    const [state] = await switched;
    assert.equal((state as KeepAlive['state']).model, 'qwen3-coder:30b');
    assert.deepEqual(generateBodies(seen), [
      { model: 'gpt-oss:20b', keep_alive: '10s' },
      { model: 'gpt-oss:20b', keep_alive: '10s' },
      { model: 'qwen3-coder:30b', keep_alive: '10s' },
    ]);
    assert.deepEqual(clock.pendingDelays(), [8000]);
    keepAlive.setEnabled(false);
  });

  test('a negative keep_alive has no expiry but is still renewed; 0 is refused', async () => {
    const clock = createManualClock();
    const keepAlive = createKeepAlive({ target: standin.url, fetch, clock, model: 'gpt-oss:20b', keepAlive: -1 });
    const first = once(keepAlive, 'renewed');
    keepAlive.setEnabled(true);
    const [state] = await first;
    assert.equal((state as KeepAlive['state']).expiresAt, null);
    assert.deepEqual(clock.pendingDelays(), [240_000]);
    keepAlive.setEnabled(false);
    assert.throws(() => createKeepAlive({ target: standin.url, fetch, clock, model: 'm', keepAlive: '0s' }), /unload/);
  });

  test('retries with backoff while Ollama is down, then loads', async () => {
    const port = await freePort();
    const clock = createManualClock();
    const keepAlive = createKeepAlive({ target: `http://127.0.0.1:${port}`, fetch, clock, model: 'qwen3-coder:30b' });
    const failed = once(keepAlive, 'failed');
    keepAlive.setEnabled(true);
    const [state] = await failed;
    assert.equal((state as KeepAlive['state']).error, 'connection refused');
    assert.equal((state as KeepAlive['state']).expiresAt, null);
    assert.deepEqual(clock.pendingDelays(), [1000]);
    const again = once(keepAlive, 'failed');
    clock.advance(1000);
    await again;
    assert.deepEqual(clock.pendingDelays(), [2000]);

    const late = await startOllamaStandin({ port });
    try {
      const loaded = await renewed(keepAlive, clock, 2000);
      assert.equal(loaded.error, undefined);
      assert.deepEqual(loaded.expiresAt, new Date(clock.now() + 3_600_000));
      assert.equal(late.requests.filter((r) => r.url === '/api/generate').length, 1);
      assert.deepEqual(clock.pendingDelays(), [240_000]);
    } finally {
      keepAlive.setEnabled(false);
      await late.close();
    }
  });

  test('reports Ollama\'s own error message, e.g. for a model that is not pulled', async () => {
    // Real Ollama answers 404 with {"error": "..."} for a model it does not have.
    const server = http.createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'model "nope:1b" not found, try pulling it first' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const clock = createManualClock();
    const keepAlive = createKeepAlive({ target: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, fetch, clock, model: 'nope:1b' });
    try {
      const failed = once(keepAlive, 'failed');
      keepAlive.setEnabled(true);
      const [state] = await failed;
      assert.equal((state as KeepAlive['state']).error, 'HTTP 404 from /api/generate: model "nope:1b" not found, try pulling it first');
      assert.deepEqual(clock.pendingDelays(), [1000]);
    } finally {
      keepAlive.setEnabled(false);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('without a model it reports so and waits for one', async () => {
    const clock = createManualClock();
    const keepAlive = createKeepAlive({ target: standin.url, fetch, clock, model: '' });
    const failed = once(keepAlive, 'failed');
    keepAlive.setEnabled(true);
    const [state] = await failed;
    assert.equal((state as KeepAlive['state']).error, 'No model chosen to keep loaded');
    assert.deepEqual(clock.pendingDelays(), [], 'nothing to retry until a model is chosen');
    const loaded = once(keepAlive, 'renewed');
    keepAlive.setModel('gpt-oss:20b');
    const [after] = await loaded;
    assert.equal((after as KeepAlive['state']).error, undefined);
    assert.equal((after as KeepAlive['state']).model, 'gpt-oss:20b');
    keepAlive.setEnabled(false);
  });

  test('renew() while a load is in flight shares it', async () => {
    const seen = standin.requests.length;
    const clock = createManualClock();
    const keepAlive = createKeepAlive({ target: standin.url, fetch, clock, model: 'gpt-oss:20b' });
    keepAlive.setEnabled(true);
    const [a, b] = await Promise.all([keepAlive.renew(), keepAlive.renew()]);
    assert.equal(a, b);
    assert.equal(generateBodies(seen).length, 1);
    keepAlive.setEnabled(false);
  });
});
