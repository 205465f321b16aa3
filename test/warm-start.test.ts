// Warm start: the rules that keep warm-ups out of the user's way, the signals
// that the backend lost the prompt, and the warmer itself against the Ollama
// stand-in over real HTTP, with time on a manual clock.
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sameModel } from '../main/core/backends/model-name.js';
import { decideWarmUp, DEFAULT_WARM_LIMITS, type WarmSituation } from '../main/core/warm/warm-plan.js';
import { resolveWarmMode } from '../main/core/warm/warm-mode.js';
import { isClientStart, triggerBetween } from '../main/core/warm/warm-triggers.js';
import { prefixWarmUp, staticPrefixOf } from '../main/core/warm/warm-body.js';
import { fileWarmStore, MAX_REMEMBERED_BYTES, NO_WARM_STORE, WARM_FILE_NAME, type WarmStore } from '../main/core/warm/warm-store.js';
import { Warmer, type WarmerOptions } from '../main/core/warm/warmer.js';
import type { WarmUpRecord } from '../main/core/wire/types.js';
import { startOllamaStandin, type OllamaStandin } from './support/ollama-standin.js';
import { createManualClock, type ManualClock } from './support/manual-clock.js';
import { startBackendRig } from './support/backend-rig.js';
import { followEvents, send } from './support/http-client.js';
import { firstUserMessage, fullRequest } from './support/claude-code-bodies.js';
import { formatExplainLine } from '../main/core/diagnostics/explain.js';
import { MAIN_MODEL, titleRequest } from './support/side-call-bodies.js';

const MODEL = 'qwen3-coder:30b';
const T0 = Date.UTC(2026, 11, 6, 12);

const quiet: WarmSituation = {
  mode: 'idle', now: T0, pending: 'model-loaded', remembered: true, backendUp: true, modelLoaded: true,
  callsInFlight: 0, warmUpInFlight: false, lastActivityAt: T0 - 60_000, lastWarmUpAt: null, onBattery: false, clientStarting: false,
};

describe('warm-up decision (pure)', () => {
  test('warms when something was lost, the backend is up and quiet, and the model is loaded', () => {
    assert.deepEqual(decideWarmUp(quiet), { action: 'warm', trigger: 'model-loaded' });
  });

  test('never when off, on battery, nothing lost, nothing remembered, backend down or busy', () => {
    for (const change of [{ mode: 'off' }, { onBattery: true }, { pending: null }, { remembered: false }, { backendUp: false }, { callsInFlight: 1 }, { warmUpInFlight: true }] as const) {
      assert.equal(decideWarmUp({ ...quiet, ...change }).action, 'none', JSON.stringify(change));
    }
  });

  test('only `on` loads a model the backend does not hold; an unknown load state does not stop it', () => {
    assert.equal(decideWarmUp({ ...quiet, modelLoaded: false }).action, 'none');
    assert.equal(decideWarmUp({ ...quiet, modelLoaded: false, mode: 'on' }).action, 'warm');
    assert.equal(decideWarmUp({ ...quiet, modelLoaded: null }).action, 'warm');
  });

  test('a starting client lets `idle` load the model: its user is about to', () => {
    assert.equal(decideWarmUp({ ...quiet, modelLoaded: false, clientStarting: true }).action, 'warm');
    assert.equal(decideWarmUp({ ...quiet, modelLoaded: false, clientStarting: true, mode: 'off' }).action, 'none');
    assert.equal(decideWarmUp({ ...quiet, modelLoaded: false, clientStarting: true, onBattery: true }).action, 'none');
  });

  test('Claude Code\'s start-up request is told from every other', () => {
    assert.equal(isClientStart('HEAD', '/api/hello'), true);
    assert.equal(isClientStart('GET', '/api/hello?x=1'), true);
    for (const [method, path] of [['POST', '/api/hello'], ['HEAD', '/'], ['GET', '/api/tags'], ['HEAD', '/api/hello/x']]) assert.equal(isClientStart(method!, path!), false, `${method} ${path}`);
  });

  test('waits for quiet after the last request, and for the gap after the last warm-up', () => {
    assert.deepEqual(decideWarmUp({ ...quiet, lastActivityAt: T0 - 1_000 }), { action: 'later', at: T0 - 1_000 + DEFAULT_WARM_LIMITS.quietMs });
    assert.deepEqual(decideWarmUp({ ...quiet, lastWarmUpAt: T0 - 10_000 }), { action: 'later', at: T0 - 10_000 + DEFAULT_WARM_LIMITS.minGapMs });
  });

  test('auto is idle on the user\'s own engine, off behind a router or on a shared server', () => {
    assert.equal(resolveWarmMode('auto', { backendKind: 'ollama', sharedServer: false }), 'idle');
    assert.equal(resolveWarmMode('auto', { backendKind: 'router', sharedServer: false }), 'off');
    assert.equal(resolveWarmMode('auto', { backendKind: 'ollama', sharedServer: true }), 'off');
    assert.equal(resolveWarmMode('on', { backendKind: 'router', sharedServer: true }), 'on');
  });
});

describe('what says the backend lost the prompt (GET /api/ps between two looks)', () => {
  const at = (t: number, expires?: number) => ({ at: t, loaded: expires === undefined ? [] : [{ name: MODEL, expiresAt: new Date(expires) }] });

  const none = { before: null, after: null };

  test('the model appeared: it was (re)loaded, so its cache is empty', () => {
    assert.equal(triggerBetween(at(T0), at(T0 + 5_000, T0 + 305_000), MODEL, sameModel, none), 'model-loaded');
    assert.equal(triggerBetween(at(T0), at(T0 + 5_000, T0 + 305_000), MODEL, sameModel, { before: T0 - 60_000, after: T0 - 60_000 }), 'model-loaded');
  });

  test('the model appeared with a request of ours: that request loaded it, and its own record says what the slot holds', () => {
    assert.equal(triggerBetween(at(T0), at(T0 + 5_000, T0 + 305_000), MODEL, sameModel, { before: T0 - 60_000, after: T0 + 2_000 }), null);
    assert.equal(triggerBetween(at(T0), at(T0 + 5_000, T0 + 305_000), MODEL, sameModel, { before: null, after: T0 + 2_000 }), null);
  });

  test('its expiry moved further than our own last request did: another client used it after us', () => {
    // Nothing of ours since the last look, yet the expiry moved.
    assert.equal(triggerBetween(at(T0, T0 + 100_000), at(T0 + 5_000, T0 + 303_000), MODEL, sameModel, { before: T0 - 200_000, after: T0 - 200_000 }), 'foreign-use');
    // Ours ended at T0 + 3 s and moved it exactly that far: nobody else.
    assert.equal(triggerBetween(at(T0, T0 + 300_000), at(T0 + 5_000, T0 + 303_000), MODEL, sameModel, { before: T0, after: T0 + 3_000 }), null);
    // Ours ended at T0 + 1 s, and someone else's at T0 + 4 s: it moved 3 s further than ours.
    assert.equal(triggerBetween(at(T0, T0 + 300_000), at(T0 + 5_000, T0 + 304_000), MODEL, sameModel, { before: T0, after: T0 + 1_000 }), 'foreign-use');
  });

  test('nothing to say on the first look, on our very first request, when the expiry stands still, or when the model is gone', () => {
    assert.equal(triggerBetween(null, at(T0, T0 + 300_000), MODEL, sameModel, none), null);
    assert.equal(triggerBetween(at(T0, T0 + 100_000), at(T0 + 5_000, T0 + 303_000), MODEL, sameModel, { before: null, after: T0 + 3_000 }), null);
    assert.equal(triggerBetween(at(T0, T0 + 300_000), at(T0 + 5_000, T0 + 300_000), MODEL, sameModel, none), null);
    assert.equal(triggerBetween(at(T0, T0 + 300_000), at(T0 + 5_000), MODEL, sameModel, none), null);
  });
});

const SYSTEM = [{ type: 'text', text: 'You are Claude Code.' }];
const TOOLS = [{ name: 'Read', description: 'Reads a file', input_schema: { type: 'object' } }];
const mainBody = (messages: unknown[]) => ({ model: MODEL, messages, system: SYSTEM, tools: TOOLS, max_tokens: 32000, stream: true, thinking: { type: 'adaptive' } });
const TURN = mainBody([{ role: 'user', content: 'read main.ts' }]);

interface Rig {
  standin: OllamaStandin;
  clock: ManualClock;
  warmer: Warmer;
  records: WarmUpRecord[];
  battery: { on: boolean | null };
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) {
    rig.warmer.stop();
    await rig.standin.close();
  }
});

async function rig(options: Partial<WarmerOptions> = {}, prefillMs = 5): Promise<Rig> {
  const standin = await startOllamaStandin({ models: [{ name: MODEL }], loaded: [MODEL], timing: { prefillMs, tokenDelayMs: 1, tokens: 1 } });
  const clock = createManualClock(T0);
  const battery = { on: false as boolean | null };
  const warmer = new Warmer({
    backend: () => ({ target: standin.url, fetch, headers: {} }), clock, store: NO_WARM_STORE, setting: 'idle', sameModel,
    context: () => ({ backendKind: 'ollama', sharedServer: false }), onBattery: () => battery.on, ...options,
  });
  const records: WarmUpRecord[] = [];
  warmer.on('warm-up', (r) => records.push(r));
  const r = { standin, clock, warmer, records, battery };
  rigs.push(r);
  return r;
}

const loadedNow = (r: Rig) => [...r.standin.loaded].map(([name, { expiresAt }]) => ({ name, expiresAt }));
const warmUps = (r: Rig) => r.standin.requests.filter((q) => q.url === '/v1/messages').map((q) => JSON.parse(q.body.toString()) as Record<string, unknown>);

function endCall(r: Rig, body: unknown, main: boolean): void {
  r.warmer.callStarted(MODEL);
  r.warmer.callFinished(MODEL);
  r.warmer.callAnswered({ model: MODEL, main, answered: true, body: () => body });
}

async function finished(r: Rig): Promise<WarmUpRecord> {
  for (;;) {
    const [record] = (await once(r.warmer, 'warm-up')) as [WarmUpRecord];
    if (record.outcome !== 'running') return record;
  }
}

describe('the warmer against the stand-in', () => {
  test('after a side call took the slot, it re-sends the conversation\'s last body for one token once the backend is quiet', async () => {
    const r = await rig();
    r.warmer.backendLooked(true, loadedNow(r));
    endCall(r, TURN, true);
    endCall(r, mainBody([{ role: 'user', content: 'Generate a title' }]), false);
    r.clock.advance(DEFAULT_WARM_LIMITS.quietMs - 1);
    assert.equal(r.records.length, 0, 'not before the backend has been quiet');
    const done = finished(r);
    r.clock.advance(1);
    const record = await done;
    assert.equal(record.outcome, 'done');
    assert.equal(record.trigger, 'other-call');
    assert.equal(record.kind, 'conversation');
    assert.ok(record.promptTokens !== null && record.promptTokens > 0);
    const [sent] = warmUps(r);
    assert.deepEqual(sent, { ...TURN, max_tokens: 1, stream: false });
    assert.equal(r.warmer.status().waiting, null, 'the loss is answered');
  });

  test('a side call after which the backend\'s prompt cache still holds the conversation (Ollama 0.30+) asks for no warm-up', async () => {
    const r = await rig();
    r.warmer.backendLooked(true, loadedNow(r));
    endCall(r, TURN, true);
    r.warmer.callStarted(MODEL);
    r.warmer.callFinished(MODEL);
    r.warmer.callAnswered({ model: MODEL, main: false, answered: true, body: () => TURN, keepsMain: true });
    r.clock.advance(DEFAULT_WARM_LIMITS.quietMs + 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(r.records.length, 0);
    assert.equal(r.warmer.status().waiting, null, 'nothing was lost');
    // One that cut the conversation in place (it shared most of it) still does.
    r.warmer.callStarted(MODEL);
    r.warmer.callFinished(MODEL);
    r.warmer.callAnswered({ model: MODEL, main: false, answered: true, body: () => TURN, keepsMain: false });
    const done = finished(r);
    r.clock.advance(DEFAULT_WARM_LIMITS.quietMs);
    assert.equal((await done).trigger, 'other-call');
  });

  test('a call of the conversation itself answers the loss: no warm-up follows', async () => {
    const r = await rig();
    r.warmer.backendLooked(true, loadedNow(r));
    endCall(r, TURN, true);
    endCall(r, TURN, false);
    endCall(r, TURN, true);
    r.clock.advance(60_000);
    assert.equal(warmUps(r).length, 0);
  });

  test('a reloaded model is warmed; a user\'s call that starts meanwhile aborts the warm-up at once', async () => {
    const r = await rig({}, 5_000);
    r.warmer.backendLooked(true, loadedNow(r));
    endCall(r, TURN, true);
    r.standin.loaded.clear();
    r.warmer.backendLooked(true, loadedNow(r));
    r.standin.loaded.set(MODEL, { expiresAt: new Date(T0 + 300_000) });
    r.warmer.backendLooked(true, loadedNow(r));
    const starting = once(r.warmer, 'warm-up');
    r.clock.advance(DEFAULT_WARM_LIMITS.quietMs);
    const started = (await starting) as [WarmUpRecord];
    assert.equal(started[0].trigger, 'model-loaded');
    // The stand-in is reading the prompt (5 s of prefill) when the user's call arrives.
    for (let i = 0; i < 100 && r.standin.inFlight.size === 0; i++) await new Promise((res) => setTimeout(res, 10));
    const aborted = r.standin.waitForAbort(2_000);
    const done = finished(r);
    r.warmer.callStarted(MODEL);
    assert.equal((await done).outcome, 'cancelled');
    await aborted;
  });

  test('nothing on battery power, nothing when off, and `idle` never loads an unloaded model', async () => {
    const r = await rig();
    r.warmer.backendLooked(true, loadedNow(r));
    endCall(r, TURN, true);
    endCall(r, TURN, false);
    r.battery.on = true;
    r.clock.advance(60_000);
    assert.equal(warmUps(r).length, 0);
    r.battery.on = false;
    r.warmer.setSetting('off');
    r.clock.advance(60_000);
    assert.equal(warmUps(r).length, 0);
    r.warmer.setSetting('idle');
    r.standin.loaded.clear();
    r.warmer.backendLooked(true, loadedNow(r));
    r.clock.advance(60_000);
    assert.equal(warmUps(r).length, 0);
  });

  test('another client\'s use of the model (its expiry moved) is warmed after; our own calls are not', async () => {
    const r = await rig();
    r.warmer.backendLooked(true, loadedNow(r));
    endCall(r, TURN, true);
    r.clock.advance(10_000);
    r.warmer.backendLooked(true, loadedNow(r));
    r.clock.advance(10_000);
    r.standin.loaded.set(MODEL, { expiresAt: new Date(Date.now() + 999_000) });
    const done = finished(r);
    r.warmer.backendLooked(true, loadedNow(r));
    const record = await done;
    assert.equal(record.trigger, 'foreign-use');
    assert.equal(warmUps(r).length, 1);
  });
});

describe('the remembered prefix on disk', () => {
  let dir = '';
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const store = (): WarmStore => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warm-'));
    return fileWarmStore(dir);
  };

  test('holds the system prompt and tools only, owner-only, and warms the next start with them (mode on)', async () => {
    const first = await rig({ store: store() });
    first.warmer.backendLooked(true, loadedNow(first));
    endCall(first, mainBody([{ role: 'user', content: 'my secret plan' }]), true);
    const file = path.join(dir, WARM_FILE_NAME);
    assert.equal(fs.existsSync(file), false, 'nothing is parsed or written while calls may follow');
    first.clock.advance(DEFAULT_WARM_LIMITS.quietMs);
    for (let i = 0; i < 100 && !fs.existsSync(file); i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(!text.includes('my secret plan'), 'no message of the conversation is stored');
    assert.deepEqual(JSON.parse(text), staticPrefixOf(TURN));

    const second = await rig({ store: fileWarmStore(dir), setting: 'on' });
    second.standin.loaded.clear();
    second.warmer.backendLooked(true, loadedNow(second));
    const done = finished(second);
    await second.warmer.start();
    const record = await done;
    assert.equal(record.trigger, 'start');
    assert.equal(record.kind, 'prefix');
    assert.deepEqual(warmUps(second)[0], prefixWarmUp(staticPrefixOf(TURN)!));
    // The warm-up loaded the model: the next look sees it appear, which is no loss of ours to undo.
    assert.ok(second.standin.loaded.has(MODEL));
    second.warmer.backendLooked(true, loadedNow(second));
    second.clock.advance(10 * DEFAULT_WARM_LIMITS.minGapMs);
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(warmUps(second).length, 1, 'one warm-up, not a second for the load the first one made');

    await second.warmer.forget();
    assert.equal(fs.existsSync(file), false, 'forgotten with the conversation data');
  });

  test('a damaged, oversized or non-file entry is ignored, never fatal', async () => {
    const s = store();
    const file = path.join(dir, WARM_FILE_NAME);
    fs.writeFileSync(file, '{"model": ');
    assert.equal(await s.load(), null);
    fs.writeFileSync(file, JSON.stringify({ model: MODEL, messages: [] }));
    assert.equal(await s.load(), null, 'only a static prefix is taken');
    fs.writeFileSync(file, JSON.stringify({ model: MODEL, system: 'x'.repeat(MAX_REMEMBERED_BYTES) }));
    assert.equal(await s.load(), null);
    fs.rmSync(file);
    execFileSync('mkfifo', [file]);
    assert.equal(await s.load(), null, 'a FIFO would block a read for ever');
  });
});

describe('warm start through the host and the proxy, over real HTTP', () => {
  const post = (url: string, body: unknown) => send(url, { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(body) });

  test('a title call took the slot: the conversation is re-sent once the backend is quiet, and shown as a warm-up, never as a call', async () => {
    const standin = await startOllamaStandin({ models: [{ name: MAIN_MODEL }], loaded: [MAIN_MODEL], timing: { prefillMs: 5, tokenDelayMs: 1, tokens: 2 } });
    const rig = await startBackendRig(standin.url, { warm: 'idle', model: MAIN_MODEL });
    const events: string[] = [];
    const feed = followEvents(`${rig.url}/_proxy/events`, (e) => events.push(`${e.event}:${String(e.data['outcome'] ?? '')}`));
    try {
      const main = fullRequest();
      assert.equal((await post(rig.url, main)).status, 200);
      assert.equal((await post(rig.url, titleRequest())).status, 200);
      await new Promise((res) => setTimeout(res, 50));
      const before = standin.requests.filter((r) => r.url === '/v1/messages').length;
      const done = new Promise<WarmUpRecord>((resolve) => rig.host.warmer.on('warm-up', (r) => r.outcome !== 'running' && resolve(r)));
      rig.clock.advance(DEFAULT_WARM_LIMITS.quietMs);
      const record = await done;
      assert.equal(record.outcome, 'done');
      assert.equal(record.trigger, 'other-call');
      const sent = standin.requests.filter((r) => r.url === '/v1/messages').slice(before).map((r) => JSON.parse(r.body.toString()) as Record<string, unknown>);
      assert.equal(sent.length, 1);
      assert.deepEqual(sent[0]!['messages'], main.messages);
      assert.equal(sent[0]!['max_tokens'], 1);
      assert.ok(!JSON.stringify(sent[0]!['system']).includes('x-anthropic-billing-header'), 'the body as forwarded, billing block dropped');
      const status = await rig.status();
      assert.equal(status.warm?.last?.outcome, 'done');
      assert.equal(status.warm?.count, 1);
      assert.equal(status.totals.requests, 2, 'the warm-up is not counted as a request of the user');
      assert.equal(status.recent.length, 2, 'nor listed among the calls');
      for (let i = 0; i < 50 && !events.includes('warm-up:done'); i++) await new Promise((res) => setTimeout(res, 10));
      assert.deepEqual(events.filter((e) => e.startsWith('warm-up')), ['warm-up:running', 'warm-up:done']);
    } finally {
      feed.stop();
      await rig.close();
      await standin.close();
    }
  });
});

describe('a new session shown as what it is: warm from the last one, not cold', () => {
  const post = (url: string, body: unknown, session: string) => send(url, {
    method: 'POST', path: '/v1/messages',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-claude-code-session-id': session },
    body: JSON.stringify(body),
  });
  const SESSION_A = '11111111-1111-4111-8111-111111111111';
  const SESSION_B = '22222222-2222-4222-8222-222222222222';

  test('a second session\'s first call names the session whose system prompt and tools it reused; a warm-up undoes an eviction in the estimate', async () => {
    const standin = await startOllamaStandin({ models: [{ name: MAIN_MODEL }], loaded: [MAIN_MODEL], timing: { prefillMs: 5, tokenDelayMs: 1, tokens: 2 } });
    const rig = await startBackendRig(standin.url, { warm: 'idle', model: MAIN_MODEL });
    try {
      const first = fullRequest({ sessionId: SESSION_A, call: 0, messages: [firstUserMessage('Read notes.md')] });
      assert.equal((await post(rig.url, first, SESSION_A)).status, 200);
      const recordB = rig.nextCall();
      assert.equal((await post(rig.url, fullRequest({ sessionId: SESSION_B, call: 1, messages: [firstUserMessage('Summarise the README')] }), SESSION_B)).status, 200);
      const b = await recordB;
      assert.equal(b.turn, 1);
      assert.ok(b.reuse > 0.5, `the new session reused the shared head (${b.reuse})`);
      assert.equal(b.reusedFrom, rig.calls[0]!.session);
      assert.match(formatExplainLine(b), /\(the system prompt and tools, from session \S+\)/);

      // A title call takes the one slot; the warm-up re-sends session B; the next turn of B is then no eviction.
      assert.equal((await post(rig.url, titleRequest(), SESSION_B)).status, 200);
      const done = new Promise<WarmUpRecord>((resolve) => rig.host.warmer.on('warm-up', (r) => r.outcome !== 'running' && resolve(r)));
      rig.clock.advance(DEFAULT_WARM_LIMITS.quietMs);
      assert.equal((await done).outcome, 'done');
      const next = rig.nextCall();
      const turn2 = [firstUserMessage('Summarise the README'), { role: 'assistant' as const, content: [{ type: 'text' as const, text: 'Hello world' }] }, firstUserMessage('And the tests?')];
      assert.equal((await post(rig.url, fullRequest({ sessionId: SESSION_B, call: 2, messages: turn2 }), SESSION_B)).status, 200);
      const c = await next;
      assert.equal(c.bust, null, `after the warm-up nothing was evicted (${c.bust?.cause})`);
      assert.ok(c.reuse > 0.9, `the warm-up's prompt is in the slot (${c.reuse})`);
    } finally {
      await rig.close();
      await standin.close();
    }
  });
});

describe('a starting client as a warm trigger, through the host and the proxy over real HTTP', () => {
  const post = (url: string, body: unknown) => send(url, { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(body) });
  const hello = (url: string) => send(url, { method: 'HEAD', path: '/api/hello' });
  const messagesTo = (standin: OllamaStandin) => standin.requests.filter((r) => r.url === '/v1/messages').length;

  test('the model\'s keep-alive ran out: nothing is loaded while idle, but Claude Code\'s HEAD /api/hello loads and warms it', async () => {
    const standin = await startOllamaStandin({ models: [{ name: MAIN_MODEL }], loaded: [MAIN_MODEL], timing: { prefillMs: 5, tokenDelayMs: 1, tokens: 2 } });
    const rig = await startBackendRig(standin.url, { warm: 'idle', model: MAIN_MODEL });
    try {
      const main = fullRequest();
      assert.equal((await post(rig.url, main)).status, 200);
      // The backend unloads the model; the monitor's next look sees it gone.
      standin.loaded.clear();
      await rig.watch.monitor.refresh();
      rig.clock.advance(DEFAULT_WARM_LIMITS.quietMs);
      await new Promise((res) => setTimeout(res, 50));
      const before = messagesTo(standin);
      assert.equal(before, 1, '`idle` loads no model on its own');

      const done = new Promise<WarmUpRecord>((resolve) => rig.host.warmer.on('warm-up', (r) => r.outcome !== 'running' && resolve(r)));
      assert.equal((await hello(rig.url)).status, 404, 'the backend\'s own answer reaches the client');
      const record = await done;
      assert.equal(record.outcome, 'done');
      assert.equal(record.trigger, 'client-start');
      assert.equal(record.kind, 'conversation');
      assert.equal(messagesTo(standin), 2);
      assert.ok(standin.loaded.has(MAIN_MODEL), 'the warm-up loaded the model');
    } finally {
      await rig.close();
      await standin.close();
    }
  });

  test('while the backend holds the conversation, a starting client costs nothing', async () => {
    const standin = await startOllamaStandin({ models: [{ name: MAIN_MODEL }], loaded: [MAIN_MODEL], timing: { prefillMs: 5, tokenDelayMs: 1, tokens: 2 } });
    const rig = await startBackendRig(standin.url, { warm: 'idle', model: MAIN_MODEL });
    try {
      assert.equal((await post(rig.url, fullRequest())).status, 200);
      await hello(rig.url);
      rig.clock.advance(DEFAULT_WARM_LIMITS.quietMs + DEFAULT_WARM_LIMITS.minGapMs);
      await new Promise((res) => setTimeout(res, 50));
      assert.equal(messagesTo(standin), 1);
      assert.equal(rig.host.warmer.status().count, 0);
    } finally {
      await rig.close();
      await standin.close();
    }
  });
});
