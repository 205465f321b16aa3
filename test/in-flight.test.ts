// Calls in flight over real HTTP: a stand-in backend holds the first byte for
// seconds (a long prefill), and /_proxy/status and /_proxy/events must show
// the call waiting, then streaming, then gone, with the wait predicted from
// the prefill rate measured on an earlier uncached call of the same model.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CallRecord, InFlightCall, ProxyStatus } from '../main/core/wire/types.js';
import type { BackendModelInfo } from '../main/core/proxy/types.js';
import { bareBody, conversation, DEFAULT_SESSION_ID } from './support/claude-code-bodies.js';
import { followEvents, send, type SendResult } from './support/http-client.js';
import { startHarness, type Harness } from './support/proxy-harness.js';
import { prefillRate } from '../main/core/wait/prefill-rate.js';
import { predictPrefillMs } from '../main/core/wait/predict.js';

const HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-claude-code-session-id': DEFAULT_SESSION_ID };
/** The stand-in's prefill: long enough to watch the wait from outside. */
const HOLD_MS = 2500;

let h: Harness;
let backend: BackendModelInfo = { loaded: true, contextTokens: 32_768, contextCost: null };

before(async () => {
  h = await startHarness({ backendInfo: () => backend }, { timing: { prefillMs: HOLD_MS, tokenDelayMs: 150, tokens: 6 } });
});
after(() => h.close());

async function status(): Promise<ProxyStatus> {
  return (await fetch(`${h.url}/_proxy/status`)).json() as Promise<ProxyStatus>;
}

/** Polls the status until `pick` finds something; fails after `ms` with what the status showed last. */
async function until<T>(pick: (s: ProxyStatus) => T | undefined | null | false, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await status();
    const found = pick(s);
    if (found) return found;
    if (Date.now() > deadline) assert.fail(`timed out; inFlight was ${JSON.stringify(s.inFlight)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function turn(n: number, model?: string): Promise<SendResult> {
  const body = bareBody({ messages: conversation(n - 1, 300) });
  const text = model ? body.toString('utf8').replace('"model":"qwen3-coder:30b"', `"model":"${model}"`) : body;
  return send(h.url, { method: 'POST', path: '/v1/messages?beta=true', headers: HEADERS, body: text });
}

/** Collects the live feed's events until stopped. */
function watchFeed(): { events: { event: string; data: Record<string, unknown> }[]; stop(): void } {
  const events: { event: string; data: Record<string, unknown> }[] = [];
  const feed = followEvents(`${h.url}/_proxy/events`, (e) => {
    if (e.event !== '') events.push(e);
  });
  return { events, stop: feed.stop };
}

describe('calls in flight', () => {
  test('a held call is listed waiting with a growing elapsedMs, then streaming, then gone', async () => {
    const feed = watchFeed();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const sent = turn(1);
    // Present as soon as it is asked for: the entry is made when the body has been read.
    const first = await until((s) => s.inFlight[0]);
    assert.equal(first.phase, 'waiting');
    const predicted = await until((s) => s.inFlight.find((c) => c.id === first.id && c.promptTokens !== null));
    assert.equal(predicted.session, first.session ?? predicted.session);
    assert.equal(predicted.turn, 1);
    assert.equal(predicted.model, 'qwen3-coder:30b');
    assert.ok(predicted.promptTokens! > 500, `a --bare prompt is about 1K tokens, got ${predicted.promptTokens}`);
    assert.equal(predicted.reusedTokens, 0, 'nothing is cached before the first turn');
    assert.equal(predicted.expectedPrefillMs, null, 'no uncached call of this model has been measured yet');
    assert.equal(predicted.contextTokens, 32_768);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const later = await until((s) => s.inFlight.find((c) => c.id === first.id));
    assert.equal(later.phase, 'waiting');
    assert.ok(later.elapsedMs > predicted.elapsedMs, `elapsed grows: ${predicted.elapsedMs} then ${later.elapsedMs}`);
    const streaming = await until((s) => s.inFlight.find((c) => c.id === first.id && c.phase === 'streaming'));
    assert.ok(streaming.elapsedMs >= HOLD_MS - 50, `the first token came after the hold, at ${streaming.elapsedMs} ms`);
    assert.equal((await sent).status, 200);
    const done = await until((s) => s.recent.find((r) => r.id === first.id));
    assert.deepEqual((await status()).inFlight, [], 'gone once the call completed');
    assert.equal(done.contextTokens, 32_768, 'the record carries the window it was sent against');
    feed.stop();
    const mine = feed.events.filter((e) => (e.data as { id?: number }).id === first.id).map((e) => e.event);
    assert.deepEqual(mine, ['call-start', 'first-token', 'call-end', 'call']);
    const start = feed.events.find((e) => e.event === 'call-start')!.data as unknown as InFlightCall;
    assert.equal(start.phase, 'waiting');
    assert.ok(start.promptTokens! > 500, 'call-start carries the prediction');
  });

  test('once an uncached call has set the rate, a miss predicts its prefill; another model has none yet', async () => {
    // Turn 1 above prefilled its whole prompt: its rate stands for this model.
    const rate = await status();
    const measured = rate.recent.at(-1)!;
    assert.ok(measured.ttftMs! >= HOLD_MS - 50);
    h.standin.timing = { prefillMs: 1200, tokenDelayMs: 1, tokens: 2 };
    // A new conversation on the same (single) slot: a miss of the whole prompt.
    const sent = send(h.url, { method: 'POST', path: '/v1/messages', headers: { ...HEADERS, 'x-claude-code-session-id': 'another-session' }, body: bareBody({ messages: conversation(0, 300, 'A different question entirely.') }) });
    const call = await until((s) => s.inFlight.find((c) => c.promptTokens !== null));
    assert.notEqual(call.expectedPrefillMs, null);
    const expected = (call.promptTokens! - call.reusedTokens!) / (measured.inputTokens! * (1 - measured.reuse) / measured.ttftMs!);
    assert.ok(Math.abs(call.expectedPrefillMs! - expected) <= 1, `${call.expectedPrefillMs} ms predicted, ${expected} by hand`);
    await sent;

    const other = turn(1, 'gpt-oss:20b');
    const unmeasured = await until((s) => s.inFlight.find((c) => c.model === 'gpt-oss:20b'));
    assert.equal(unmeasured.expectedPrefillMs, null);
    await other;
  });

  test("the backend's word on the model's shape makes a long miss dearer per token than the short calls measured", async () => {
    backend = { loaded: true, contextTokens: 32_768, contextCost: 2e-4 };
    h.standin.timing = { prefillMs: 300, tokenDelayMs: 1, tokens: 2 };
    const measured = (await status()).recent;
    const sent = send(h.url, { method: 'POST', path: '/v1/messages', headers: { ...HEADERS, 'x-claude-code-session-id': 'a-long-session' }, body: bareBody({ messages: conversation(12, 2000, 'A long one.') }) });
    const call = await until((s) => s.inFlight.find((c) => c.session !== null && c.promptTokens !== null && c.promptTokens > 5000));
    const flat = predictPrefillMs(call.promptTokens!, call.reusedTokens!, prefillRate(measured, 'qwen3-coder:30b'))!;
    const shaped = predictPrefillMs(call.promptTokens!, call.reusedTokens!, prefillRate(measured, 'qwen3-coder:30b', 2e-4))!;
    assert.equal(call.expectedPrefillMs, shaped);
    assert.ok(shaped > flat * 1.3, `${shaped} ms with the shape, ${flat} ms flat`);
    await sent;
    backend = { loaded: true, contextTokens: 32_768, contextCost: null };
  });

  test('a model the backend reports unloaded is marked as loading', async () => {
    backend = { loaded: false, contextTokens: null, contextCost: null };
    h.standin.timing = { prefillMs: 600, tokenDelayMs: 1, tokens: 2 };
    const sent = turn(2);
    const call = await until((s) => s.inFlight.find((c) => c.promptTokens !== null));
    assert.equal(call.loadingModel, true);
    assert.equal(call.contextTokens, null);
    await sent;
    const record: CallRecord = (await status()).recent.at(-1)!;
    assert.equal(record.contextTokens, null);
    backend = { loaded: true, contextTokens: 32_768, contextCost: null };
  });
});
