// One request, one exchange: the time a call arrived is taken once, when the
// proxy admits its request, so a body that takes its time to arrive does not
// move the call's time, and its in-flight entry and its record name the same
// moment.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { CallRecord } from '../main/core/wire/types.js';
import { bareBody, DEFAULT_SESSION_ID } from './support/claude-code-bodies.js';
import { followEvents } from './support/http-client.js';
import { startHarness, type Harness } from './support/proxy-harness.js';

/** How long the client pauses in the middle of its body. */
const BODY_PAUSE_MS = 1500;

let h: Harness;

before(async () => {
  h = await startHarness({}, { timing: { prefillMs: 10, tokenDelayMs: 1, tokens: 2 } });
});
after(() => h.close());

/** Sends a body in two halves, BODY_PAUSE_MS apart, and waits for the whole answer. */
function sendSlowly(body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${h.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length, 'x-claude-code-session-id': DEFAULT_SESSION_ID },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    const half = Math.floor(body.length / 2);
    req.flushHeaders();
    req.write(body.subarray(0, half));
    setTimeout(() => req.end(body.subarray(half)), BODY_PAUSE_MS);
  });
}

describe('one exchange per request', () => {
  test('a call\'s time is when its request arrived, not when its body was whole, in the feed and in the record alike', async () => {
    const started: string[] = [];
    const records: CallRecord[] = [];
    const feed = followEvents(`${h.url}/_proxy/events`, (e) => {
      if (e.event === 'call-start') started.push(e.data['time'] as string);
      if (e.event === 'call') records.push(e.data as unknown as CallRecord);
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const sentAt = Date.now();
      assert.equal(await sendSlowly(bareBody()), 200);
      const deadline = Date.now() + 5000;
      while (records.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      const record = records[0];
      assert.ok(record, 'the call was recorded');
      const arrivedAfter = Date.parse(record.time) - sentAt;
      assert.ok(arrivedAfter < BODY_PAUSE_MS / 2, `the record's time is ${arrivedAfter} ms after the request went out; its body took ${BODY_PAUSE_MS} ms more`);
      assert.deepEqual(started, [record.time], 'the in-flight entry named the same arrival');
      assert.ok(record.durationMs >= BODY_PAUSE_MS - 50, `the duration (${record.durationMs} ms) counts from that arrival too`);
    } finally {
      feed.stop();
    }
  });
});
