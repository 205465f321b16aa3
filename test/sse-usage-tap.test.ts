// The SSE tap must give the same bytes however the upstream's stream is cut
// into chunks, and must only ever change the two events that carry usage.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SseUsageTap } from '../main/core/proxy/sse-usage-tap.js';
import { cacheUsageRewriter, type ObservedUsage } from '../main/core/proxy/usage.js';

const EVENTS = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"qwen3","content":[],"usage":{"input_tokens":1000,"output_tokens":0}}}\n\n',
  'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Grüße, 世界 ✓"}}\n\n',
  'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":1000,"output_tokens":7}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
];
const STREAM = Buffer.from(EVENTS.join(''));

function run(chunks: Buffer[], rewrite: boolean): { out: string; observed: ObservedUsage; firstContent: number } {
  const observed: ObservedUsage = { inputTokens: null, outputTokens: null };
  let firstContent = 0;
  const tap = new SseUsageTap({ observed, rewriteUsage: rewrite ? cacheUsageRewriter(() => 0.75) : null, onFirstContent: () => { firstContent++; } });
  const parts = chunks.map((c) => tap.write(c));
  parts.push(tap.end());
  return { out: Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))).toString(), observed, firstContent };
}

function usages(text: string): Array<Record<string, number>> {
  return text.split('\n\n').filter(Boolean).flatMap((event) => {
    const data = JSON.parse(/^data: (.*)$/m.exec(event)![1]!) as { type: string; usage?: Record<string, number>; message?: { usage: Record<string, number> } };
    const usage = data.type === 'message_start' ? data.message?.usage : data.usage;
    return usage ? [usage] : [];
  });
}

describe('SseUsageTap', () => {
  const whole = run([STREAM], true);

  test('adds the cache estimate to both usage events, keeping the sum', () => {
    assert.deepEqual(usages(whole.out), [
      { input_tokens: 250, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 750 },
      { input_tokens: 250, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 750 },
    ]);
    assert.deepEqual(whole.observed, { inputTokens: 1000, outputTokens: 7 });
    assert.equal(whole.firstContent, 1);
  });

  test('every other event passes byte for byte', () => {
    const untouched = (text: string) => text.split('\n\n').filter((e) => !/message_(start|delta)/.test(e));
    assert.deepEqual(untouched(whole.out), untouched(STREAM.toString()));
  });

  test('the output is the same wherever the stream is cut, even inside a character', () => {
    for (let at = 1; at < STREAM.length; at++) {
      const split = run([STREAM.subarray(0, at), STREAM.subarray(at)], true);
      assert.equal(split.out, whole.out, `cut at byte ${at}`);
      assert.equal(split.firstContent, 1);
    }
  });

  test('one byte at a time', () => {
    const bytes = [...STREAM].map((b) => Buffer.from([b]));
    assert.equal(run(bytes, true).out, whole.out);
  });

  test('observe-only mode forwards the exact bytes and still notes usage', () => {
    for (const at of [1, 57, 200, STREAM.length - 3]) {
      const r = run([STREAM.subarray(0, at), STREAM.subarray(at)], false);
      assert.equal(r.out, STREAM.toString());
      assert.deepEqual(r.observed, { inputTokens: 1000, outputTokens: 7 });
    }
  });

  test('CRLF-framed events are recognised too', () => {
    const crlf = Buffer.from(EVENTS.join('').replace(/\n/g, '\r\n'));
    const r = run([crlf.subarray(0, 100), crlf.subarray(100)], true);
    assert.equal(usages(r.out.replace(/\r\n/g, '\n'))[0]!.cache_read_input_tokens, 750);
  });
});
