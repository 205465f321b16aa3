// Hostile input, part 3: connections that hold on. With no time limit on
// what a client owes, idle and half-sent connections stayed open for good,
// and after a 401 the server kept reading a body that never ended: 64 such
// connections used up a descriptor limit of 80. The proxy's own limits (here
// shortened) close them; a streaming answer, which may pause for as long as a
// prefill takes, is never cut by them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './support/proxy-harness.js';
import { send, sseEvents } from './support/http-client.js';
import { bareBody } from './support/claude-code-bodies.js';
import { rawExchange } from './support/hostile.js';

const LIMITS = { headersMs: 300, bodyIdleMs: 300 };
const TOKEN = 'connections-token';

describe('time limits on what a client owes', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ clientTimeLimits: LIMITS, token: TOKEN }, { timing: { prefillMs: 1200, tokenDelayMs: 400, tokens: 3 } });
  });
  after(() => h.close());

  test('a connection that sends nothing is closed after the headers limit', async () => {
    const reply = await rawExchange(h.port, [], { waitMs: 3000 });
    assert.ok(reply.closed, 'closed by the proxy');
    assert.ok(reply.ms < 2500, `after ${Math.round(reply.ms)} ms`);
  });

  test('headers sent a byte at a time, never finished, are cut off', async () => {
    const slow = 'GET /_proxy/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '.split('');
    const reply = await rawExchange(h.port, slow, { waitMs: 3000, gapMs: 20 });
    assert.ok(reply.closed);
    assert.ok(reply.ms < 2500, `after ${Math.round(reply.ms)} ms`);
  });

  test('after a 401, a chunked body that never ends does not keep the connection', async () => {
    const reply = await rawExchange(h.port, ['POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n'], { waitMs: 3000 });
    assert.match(reply.text, /^HTTP\/1\.1 401 /);
    assert.match(reply.text, /connection: close/i);
    assert.ok(reply.closed, 'the proxy closed it');
  });

  test('an admitted body that stops arriving gets a 408 and the connection ends', async () => {
    const reply = await rawExchange(h.port, [`POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 1000\r\n\r\n{"model":`], { waitMs: 4000 });
    assert.match(reply.text, /^HTTP\/1\.1 408 /);
    assert.match(reply.text, /stopped arriving/);
    assert.ok(reply.closed);
  });

  test('a body that keeps coming, slower than the limit as a whole but never idle that long, is read', async () => {
    const body = bareBody();
    const pieces: Buffer[] = [];
    for (let i = 0; i < body.length; i += Math.ceil(body.length / 8)) pieces.push(body.subarray(i, i + Math.ceil(body.length / 8)));
    const res = await send(h.url, { method: 'POST', path: '/v1/messages', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: pieces });
    assert.equal(res.status, 200);
  });

  test('a streaming answer that pauses longer than every client limit is not cut', async () => {
    // The stand-in waits 1.2 s before message_start and 0.4 s between tokens: four times the limits.
    const res = await send(h.url, { method: 'POST', path: '/v1/messages', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: bareBody() });
    assert.equal(res.status, 200);
    assert.equal(sseEvents(res.text).at(-1)?.event, 'message_stop');
  });

  test('64 idle connections are all closed, and an authenticated call is then served', async () => {
    const idle = await Promise.all(Array.from({ length: 64 }, () => rawExchange(h.port, [], { waitMs: 4000 })));
    assert.ok(idle.every((r) => r.closed), 'every idle connection was closed');
    const res = await send(h.url, { path: '/_proxy/status', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
  });

  test('a keep-alive connection may wait for its next request within the keep-alive time', async () => {
    const reply = await rawExchange(h.port, [`GET /_proxy/status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`], { waitMs: 1000 });
    assert.match(reply.text, /^HTTP\/1\.1 200 /);
    assert.ok(!reply.closed, 'still open a second later, past the headers limit');
  });
});
