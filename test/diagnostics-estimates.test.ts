import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_CHARS_PER_TOKEN, TokenCalibrator, conversationKey, estimateCacheRead, formatExplainLine, shortSessionId,
} from '../main/core/diagnostics/index.js';
import type { Bust, CallRecord } from '../main/core/wire/types.js';
import type { InFlightCall } from '../main/core/wire/types.js';
import { firstTokenLine } from '../main/core/wait/wait-view.js';
import { DEFAULT_SESSION_ID, bareRequest } from './support/claude-code-bodies.js';

function record(overrides: Partial<CallRecord>): CallRecord {
  return {
    id: 1, time: '2025-11-04T10:00:00.000Z', session: 'a1b2c3', turn: 4, call: 1, sideCall: false, path: '/v1/messages', status: 200,
    model: 'qwen3-coder:30b', promptChars: 38_090, reuse: 0.9983, reuseSource: 'estimate', estimatedReuse: 0.9983, answered: true, conversationReuse: 1, bust: null,
    ttftMs: 912, durationMs: 4000, inputTokens: 10_000, outputTokens: 200, cacheReadTokens: 9_983, rewritten: true, agent: null, slotsNeeded: 1,
    ...overrides,
  };
}

describe('formatExplainLine', () => {
  test('a hit: reuse, size and time to first token', () => {
    assert.equal(formatExplainLine(record({})), 'a1b2c3 turn 4 · call 1: reused 99.8% of 38,090 chars (estimate), first token 0.9 s');
    assert.equal(formatExplainLine(record({ reuse: 1, ttftMs: null })), 'a1b2c3 turn 4 · call 1: reused 100% of 38,090 chars (estimate)');
    assert.equal(formatExplainLine(record({ reuse: 0.99999 })), 'a1b2c3 turn 4 · call 1: reused 99.9% of 38,090 chars (estimate), first token 0.9 s', 'never rounds up to 100%');
    assert.match(formatExplainLine(record({ status: 500 })), /\[HTTP 500\]$/);
  });

  test('tells user turns from the model calls of a tool loop, and side calls from both', () => {
    assert.match(formatExplainLine(record({ turn: 3, call: 2 })), /^a1b2c3 turn 3 · call 2: /);
    assert.match(formatExplainLine(record({ turn: 0, call: 0, sideCall: true })), /^a1b2c3 side call: /);
  });

  test("says whose figure the reuse is: the backend's own or the estimate", () => {
    assert.equal(
      formatExplainLine(record({ reuseSource: 'backend', reuse: 0.75, inputTokens: 12_000, cacheReadTokens: 9_000, ttftMs: null })),
      "a1b2c3 turn 4 · call 1: reused 75% of 12,000 tokens (backend's figure)",
    );
  });

  test('a call the backend never answered reused nothing, whatever the estimate was', () => {
    assert.equal(
      formatExplainLine(record({ answered: false, reuse: 0, status: 502, ttftMs: null, inputTokens: null, cacheReadTokens: null })),
      'a1b2c3 turn 4 · call 1: no answer from the backend, reused nothing [HTTP 502]',
    );
  });

  test('a miss: where, the short differing fragment, the cause and its remedy', () => {
    const bust: Bust = {
      cause: 'billing-header', path: 'system[0].text',
      before: '74e44; cc_entrypoint=sdk-cli;You are Cla', after: 'd1ab3; cc_entrypoint=sdk-cli;You are Cla',
      lead: 'cch=', remedy: 'rewrite is off; use --rewrite drop',
    };
    assert.equal(
      formatExplainLine(record({ turn: 2, bust })),
      'a1b2c3 turn 2 · call 1: CACHE MISS at system[0].text: cch=74e44 → cch=d1ab3 (billing-header: rewrite is off; use --rewrite drop)',
    );
  });

  test('stays on one line and shows where a prompt ended', () => {
    const bust: Bust = {
      cause: 'system-reminder', path: 'messages[4]', before: '\n<|user|>\n<system-reminder>\n118,204 tok', after: '',
      remedy: 'set CLAUDE_CODE_TOTAL_TOKENS_REMINDER=off',
    };
    const line = formatExplainLine(record({ bust }));
    assert.doesNotMatch(line, /[\n\r]/);
    assert.match(line, /CACHE MISS at messages\[4\]: \\n → \(end\) \(system-reminder: /);
  });

  test('cuts a long fragment', () => {
    const bust: Bust = { cause: 'history-rewritten', path: 'messages[0].content', before: 'x'.repeat(40), after: 'y'.repeat(40), remedy: 'r' };
    assert.match(formatExplainLine(record({ bust })), / x{24}… → y{24}… /);
  });
});

describe('estimateCacheRead', () => {
  test('moves the reused share of input tokens to cache reads, keeping the sum', () => {
    assert.deepEqual(estimateCacheRead(10_000, 0.9983), { cacheRead: 9_983, input: 17 });
    for (const [tokens, reuse] of [[1, 0.5], [7, 1 / 3], [12_345, 0.123456], [999, 0], [999, 1]] as const) {
      const { cacheRead, input } = estimateCacheRead(tokens, reuse);
      assert.equal(cacheRead + input, tokens);
      assert.equal(cacheRead, Math.round(tokens * reuse));
      assert.ok(input >= 0 && cacheRead >= 0);
    }
  });

  test('clamps nonsense', () => {
    assert.deepEqual(estimateCacheRead(100, 1.5), { cacheRead: 100, input: 0 });
    assert.deepEqual(estimateCacheRead(100, -1), { cacheRead: 0, input: 100 });
    assert.deepEqual(estimateCacheRead(100, Number.NaN), { cacheRead: 0, input: 100 });
    assert.deepEqual(estimateCacheRead(-5, 0.5), { cacheRead: 0, input: 0 });
  });
});

describe('TokenCalibrator', () => {
  test('uses a sane default before any call is seen', () => {
    const calibrator = new TokenCalibrator();
    assert.ok(DEFAULT_CHARS_PER_TOKEN >= 3.5 && DEFAULT_CHARS_PER_TOKEN <= 4);
    assert.equal(calibrator.estimate('m', 35_000), Math.ceil(35_000 / DEFAULT_CHARS_PER_TOKEN));
    assert.equal(calibrator.estimate('m', 0), 0);
  });

  test('learns each model\'s ratio from recent calls', () => {
    const calibrator = new TokenCalibrator();
    calibrator.record('qwen', 40_000, 10_000);
    calibrator.record('qwen', 80_000, 20_000);
    calibrator.record('llama', 30_000, 10_000);
    assert.equal(calibrator.charsPerToken('qwen'), 4);
    assert.equal(calibrator.estimate('qwen', 4_000), 1_000);
    assert.equal(calibrator.estimate('llama', 3_000), 1_000);
    // An unseen model borrows what all models showed.
    assert.equal(calibrator.charsPerToken('other'), 150_000 / 40_000);
  });

  test('forgets old calls and ignores impossible ones', () => {
    const calibrator = new TokenCalibrator({ samplesPerModel: 2 });
    calibrator.record('m', 10_000, 10_000);
    calibrator.record('m', 20_000, 5_000);
    calibrator.record('m', 20_000, 5_000);
    assert.equal(calibrator.charsPerToken('m'), 4);
    calibrator.record('m', 1_000, 0);
    calibrator.record('m', 100, 1_000);
    calibrator.record('m', Number.NaN, 10);
    assert.equal(calibrator.charsPerToken('m'), 4);
  });
});

describe('conversationKey', () => {
  const body = bareRequest();

  test('prefers the session header, then metadata.user_id, then client and model', () => {
    assert.equal(conversationKey({ 'x-claude-code-session-id': 'c0ffee00-1111-4222-8333-444455556666' }, body, '127.0.0.1'), 'c0ffee00-1111-4222-8333-444455556666');
    assert.equal(conversationKey({ 'x-claude-code-session-id': ['c0ffee00-aaaa', 'other'] }, body, '127.0.0.1'), 'c0ffee00-aaaa');
    assert.equal(conversationKey({}, body, '127.0.0.1'), DEFAULT_SESSION_ID);
    const legacy = { ...body, metadata: { user_id: 'user_4f1e2d_account__session_8e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b' } };
    assert.equal(conversationKey({}, legacy, '127.0.0.1'), '8e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b');
    const anonymous = { model: 'qwen3', messages: [] };
    assert.equal(conversationKey({}, anonymous, '127.0.0.1'), '127.0.0.1|qwen3');
    assert.equal(conversationKey({}, { ...anonymous, metadata: { user_id: '{not json' } }, '::1'), '::1|qwen3');
    assert.equal(conversationKey({ 'x-claude-code-session-id': '  ' }, 'junk', 'c'), 'c|');
  });

  test('the display id is a short uuid prefix or a hash, never client text', () => {
    assert.equal(shortSessionId(DEFAULT_SESSION_ID), DEFAULT_SESSION_ID.slice(0, 6));
    const hashed = shortSessionId('127.0.0.1|qwen3');
    assert.match(hashed, /^[0-9a-f]{6}$/);
    assert.equal(shortSessionId('127.0.0.1|qwen3'), hashed);
    assert.notEqual(shortSessionId('127.0.0.1|llama'), hashed);
  });
});

describe('firstTokenLine names the call like --explain does', () => {
  const waiting: InFlightCall = {
    id: 3, time: '2026-11-29T20:00:00.000Z', session: 'a1b2c3', turn: 2, call: 3, model: 'qwen3-coder:30b', promptTokens: 9000, reusedTokens: 0,
    expectedPrefillMs: null, elapsedMs: 4200, phase: 'streaming', cause: null, loadingModel: false, contextTokens: null,
  };
  test('turn · call for the conversation, "side call" for a side call', () => {
    assert.match(firstTokenLine(waiting), /^a1b2c3 turn 2 · call 3: first token after 4\.2 s/);
    assert.match(firstTokenLine({ ...waiting, turn: 0, call: 0 }), /^a1b2c3 side call: first token after 4\.2 s/);
  });
});
