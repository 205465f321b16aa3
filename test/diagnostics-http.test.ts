// Cache diagnostics end to end: real HTTP through the proxy to the stand-in,
// read back from /_proxy/status and /_proxy/events, and the usage figures
// Claude Code receives.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { withQuickHarness, type Harness } from './support/proxy-harness.js';
import { send, sseEvents } from './support/http-client.js';
import { estimateInputTokens, prefixReuse } from './support/ollama-standin.js';
import { BUST_SCENARIOS, forwarded } from './support/bust-scenarios.js';
import { conversation, encodeBody, fullRequest, type MessagesRequest } from './support/claude-code-bodies.js';
import type { CallRecord, ProxyStatus } from '../main/core/wire/types.js';
import type { RequestLogEntry } from '../main/core/proxy/types.js';
import { once } from 'node:events';
import { startsUserTurn } from '../main/core/diagnostics/turns.js';
import { renderPrompt } from '../main/core/diagnostics/render.js';

const HEADERS = { 'content-type': 'application/json' };
const SESSION_A = '3f9c2a71-5d4e-4b8a-9c1f-7e2d6a0b8c45';
const SESSION_B = '9b1e44d0-2c7a-4f3e-8d5b-0a6c1e9f7b23';

const withProxy = withQuickHarness;

function post(h: Harness, body: unknown, session = SESSION_A, path = '/v1/messages?beta=true') {
  return send(h.url, { method: 'POST', path, headers: { ...HEADERS, 'x-claude-code-session-id': session }, body: encodeBody(body as never) });
}

async function status(h: Harness): Promise<ProxyStatus> {
  const res = await send(h.url, { path: '/_proxy/status' });
  assert.equal(res.status, 200);
  return JSON.parse(res.text) as ProxyStatus;
}

describe('every cause, named over HTTP', () => {
  for (const scenario of BUST_SCENARIOS) {
    test(`${scenario.cause}: ${scenario.name}`, () => withProxy({ rewrite: scenario.rewriteMode }, async (h) => {
      await post(h, scenario.first);
      await post(h, scenario.second);
      const [first, second] = (await status(h)).recent;
      assert.equal(first?.bust, null, 'turn 1 is never a miss');
      assert.deepEqual([second?.turn, second?.call], startsUserTurn(scenario.second) ? [2, 1] : [1, 2]);
      assert.equal(second?.bust?.cause, scenario.cause);
      if (typeof scenario.path === 'string') assert.equal(second?.bust?.path, scenario.path);
      else assert.match(second?.bust?.path ?? '', scenario.path);
      assert.ok((second?.bust?.remedy ?? '').length > 10, 'a remedy comes with the cause');
      assert.ok((second?.bust?.before.length ?? 99) <= 40 && (second?.bust?.after.length ?? 99) <= 40, 'excerpts stay short');
    }));
  }

  test('two prompts that part inside a multi-byte character show whole characters', () => withProxy({ promptExcerpts: true }, async (h) => {
    await post(h, forwarded(conversation(1, 500, 'Привет, 世界! Check ✓ twice')));
    await post(h, forwarded(conversation(2, 500, 'Привет, 世界! Check ✗ twice')));
    const bust = (await status(h)).recent[1]!.bust!;
    assert.equal(bust.cause, 'history-rewritten');
    assert.match(bust.before, /^✓ twice/);
    assert.match(bust.after, /^✗ twice/);
  }));

  // Two slots do not part conversations that share Claude Code's system prompt and tools (more than a tenth of the
  // prompt): llama-server, under Ollama 0.30+, gives the second one the first one's slot. With little in common they part.
  const shared = (turns: number, prompt?: string): MessagesRequest => forwarded(conversation(turns, 6000, prompt));
  const apart = (turns: number, prompt?: string): MessagesRequest => ({ ...shared(turns, prompt), system: prompt === undefined ? 'You review modules' : 'You summarise', tools: [] });
  for (const [slots, body, expected] of [[1, shared, 'slot-evicted'], [2, shared, 'slot-evicted'], [2, apart, null]] as const) {
    test(`two conversations interleaved on ${slots} slot(s), ${body === shared ? 'sharing system and tools' : 'sharing little'} → ${expected ?? 'no miss'}`, () => withProxy({ slots }, async (h) => {
      await post(h, body(1), SESSION_A);
      await post(h, body(1, 'Summarise the rewrite module.'), SESSION_B);
      await post(h, body(2), SESSION_A);
      const third = (await status(h)).recent[2]!;
      assert.equal(third.conversationReuse, 1, 'the conversation itself kept its prefix');
      assert.equal(third.bust?.cause ?? null, expected);
      // Sharing that much, the other conversation takes this one's slot however many there are: more slots are no fix.
      if (expected) {
        assert.equal(third.slotsNeeded, null);
        assert.match(third.bust!.remedy, /No number of slots up to 8 keeps it.*a model with a different weights file/);
      }
      // Its slot held all of its first prompt: what that is of the second.
      else assert.ok(Math.abs(third.reuse - renderPrompt(body(1)).text.length / renderPrompt(body(2)).text.length) < 0.01, `reuse ${third.reuse}`);
    }));
  }
});

describe('cache figures handed back to Claude Code', () => {
  test('streaming: message_start and message_delta carry cache_read_input_tokens, and the sum is what the backend processed', () => withProxy({}, async (h) => {
    await post(h, forwarded(conversation(1)));
    const second = forwarded(conversation(2));
    const res = await post(h, second);
    const backendInput = estimateInputTokens(JSON.parse(h.standin.requests.at(-1)!.body.toString()));
    const events = sseEvents(res.text);
    const start = (events[0]!.data.message as { usage: Record<string, number> }).usage;
    const delta = (events.find((e) => e.event === 'message_delta')!.data.usage as Record<string, number>);
    for (const usage of [start, delta]) {
      assert.ok(usage.cache_read_input_tokens! > 0);
      assert.equal(usage.cache_creation_input_tokens, 0);
      assert.equal(usage.input_tokens! + usage.cache_read_input_tokens! + usage.cache_creation_input_tokens!, backendInput);
    }
    const record = (await status(h)).recent[1]!;
    assert.equal(record.inputTokens, backendInput);
    assert.equal(record.cacheReadTokens, start.cache_read_input_tokens);
    // Against the stand-in's own reckoning of what its cache could reuse, not the proxy's.
    const [firstSent, secondSent] = h.standin.requests.slice(-2).map((r) => JSON.parse(r.body.toString()) as unknown);
    const expected = backendInput * prefixReuse(firstSent, secondSent);
    assert.ok(Math.abs(record.cacheReadTokens! - expected) / backendInput < 0.01, `proxy ${record.cacheReadTokens} vs stand-in ${Math.round(expected)} of ${backendInput} tokens`);
  }));

  test('JSON: a non-streaming answer gets the same usage, with a correct Content-Length', () => withProxy({}, async (h) => {
    await post(h, { ...forwarded(conversation(1)), stream: false });
    const res = await post(h, { ...forwarded(conversation(2)), stream: false });
    assert.equal(Number(res.headers['content-length']), res.body.length);
    const usage = (JSON.parse(res.text) as { usage: Record<string, number> }).usage;
    const backendInput = estimateInputTokens(JSON.parse(h.standin.requests.at(-1)!.body.toString()));
    assert.ok(usage.cache_read_input_tokens! > 0);
    assert.equal(usage.input_tokens! + usage.cache_read_input_tokens!, backendInput);
  }));

  test('--no-cache-usage leaves the stream byte for byte as the backend sent it', () => withProxy({ cacheUsage: false }, async (h) => {
    await post(h, forwarded(conversation(1)));
    const res = await post(h, forwarded(conversation(2)));
    assert.doesNotMatch(res.text, /cache_read_input_tokens/);
    const record = (await status(h)).recent[1]!;
    assert.ok(record.reuse > 0.5, 'the diagnostics still run');
    assert.ok(record.inputTokens! > 0);
  }));

  test('count_tokens, which Ollama does not serve, is answered with an estimate calibrated on real calls', () => withProxy({}, async (h) => {
    const body = forwarded(conversation(1));
    const logged = once(h.proxy, 'request') as Promise<[RequestLogEntry]>;
    const cold = await post(h, body, SESSION_A, '/v1/messages/count_tokens');
    assert.equal(cold.status, 200);
    assert.equal((await logged)[0].bytesOut, cold.body.length, 'the request log counts the estimate the proxy sent');
    assert.ok((JSON.parse(cold.text) as { input_tokens: number }).input_tokens > 1000);
    await post(h, body);
    const backendInput = estimateInputTokens(body);
    const warm = await post(h, body, SESSION_A, '/v1/messages/count_tokens');
    const estimate = (JSON.parse(warm.text) as { input_tokens: number }).input_tokens;
    assert.ok(Math.abs(estimate - backendInput) / backendInput < 0.02, `estimate ${estimate} vs ${backendInput}`);
    assert.equal((await status(h)).recent.length, 1, 'count_tokens is not a turn');
  }));
});

describe('status and events APIs', () => {
  test('/_proxy/status reports target, rewrite, uptime, totals and the recent calls with every field', () => withProxy({}, async (h) => {
    await send(h.url, { method: 'HEAD', path: '/' });
    await post(h, fullRequest({ messages: conversation(0) }));
    const s = await status(h);
    assert.equal(s.target, h.standin.url);
    assert.equal(s.rewrite, 'drop');
    assert.ok(s.uptimeMs >= 0);
    assert.equal(s.totals.requests, 2);
    assert.equal(s.totals.rewritten, 1);
    assert.equal(s.totals.errors, 0);
    const call = s.recent[0]!;
    for (const key of ['session', 'turn', 'path', 'status', 'model', 'promptChars', 'reuse', 'conversationReuse', 'bust', 'ttftMs', 'durationMs', 'inputTokens', 'outputTokens', 'cacheReadTokens'] as const) {
      assert.ok(key in call, `recent[0].${key}`);
    }
    assert.equal(call.session, SESSION_A.slice(0, 6));
    assert.equal(call.status, 200);
    assert.equal(call.model, 'qwen3-coder:30b');
    assert.equal(call.outputTokens, 3);
    assert.ok(call.ttftMs !== null && call.ttftMs <= call.durationMs);
  }));

  test('/_proxy/status keeps the last 200 calls, oldest first', () => withProxy({}, async (h) => {
    const body = encodeBody(forwarded(conversation(0)));
    for (let i = 0; i < 205; i++) await send(h.url, { method: 'POST', path: '/v1/messages', headers: HEADERS, body });
    const recent = (await status(h)).recent;
    assert.equal(recent.length, 200);
    assert.equal(recent[0]!.turn, 6);
    assert.equal(recent[199]!.turn, 205);
  }));

  test('/_proxy/events streams each call as it completes', () => withProxy({}, async (h) => {
    const received: CallRecord[] = [];
    const feed = http.get(`${h.url}/_proxy/events`);
    const gotTwo = new Promise<void>((resolve) => {
      feed.on('response', (res) => {
        assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
        let buffer = '';
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          for (const e of sseEvents(buffer.slice(0, buffer.lastIndexOf('\n\n') + 2))) if (e.event === 'call' && !received.some((r) => r.id === (e.data as unknown as CallRecord).id)) received.push(e.data as unknown as CallRecord);
          if (received.length >= 2) resolve();
        });
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await post(h, forwarded(conversation(0)));
    await post(h, forwarded(conversation(1)));
    await gotTwo;
    feed.destroy();
    assert.deepEqual(received.map((r) => [r.turn, r.call]), [[1, 1], [1, 2]], 'a tool result is the second call of the same user turn');
    assert.equal(received[1]!.conversationReuse, 1);
  }));

  test('the status API has the same Host and Origin checks', () => withProxy({}, async (h) => {
    assert.equal((await send(h.url, { path: '/_proxy/status', headers: { host: 'attacker.example' } })).status, 403);
    assert.equal((await send(h.url, { path: '/_proxy/events', headers: { origin: 'https://attacker.example' } })).status, 403);
  }));
});
