// No 502 from a stale connection: a request that meets a pooled
// keep-alive connection the backend has just closed goes out once more on a
// fresh connection, and the error code is kept in the log line and in
// /_proxy/status. Real sockets on both sides.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createProxy, type ProxyServer } from '../main/core/proxy/server.js';
import type { RequestLogEntry } from '../main/core/proxy/types.js';
import type { ProxyStatus } from '../main/core/wire/types.js';
import { send } from './support/http-client.js';
import { startIdleClosingBackend, type IdleClosingBackend } from './support/idle-closing-backend.js';

const IDLE_TIMEOUT_MS = 60;
const BODY = Buffer.from(JSON.stringify({ model: 'qwen3:test', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }));

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('a stale keep-alive connection to the backend', () => {
  let backend: IdleClosingBackend;
  let proxy: ProxyServer;
  let url: string;
  const entries: RequestLogEntry[] = [];

  before(async () => {
    backend = await startIdleClosingBackend(IDLE_TIMEOUT_MS);
    proxy = createProxy({ host: '127.0.0.1', port: 0, target: backend.url, rewrite: 'drop', maxBodyBytes: 1024 * 1024 });
    proxy.on('request', (entry) => entries.push(entry));
    url = `http://127.0.0.1:${(await proxy.start()).port}`;
  });
  after(async () => {
    await proxy.stop(100);
    await backend.close();
  });

  const post = () => send(url, { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json' }, body: BODY });
  const upstreamErrors = () => (proxy.status() as ProxyStatus).upstreamErrors ?? [];

  test('a message call that meets it is sent again on a fresh connection, and answered', async () => {
    assert.equal((await post()).status, 200);
    const connections = backend.connections;
    await sleep(IDLE_TIMEOUT_MS * 2);
    const second = await post();
    assert.equal(second.status, 200, second.text);
    assert.equal(backend.discarded, 1, 'the pooled connection was reset unread');
    assert.equal(backend.answered, 2);
    assert.equal(backend.connections, connections + 1, 'the retry opened a new connection');
    assert.deepEqual(upstreamErrors().map(({ code, retried, path }) => ({ code, retried, path })), [{ code: 'ECONNRESET', retried: true, path: '/v1/messages' }]);
    const entry = entries.at(-1)!;
    assert.equal(entry.status, 200);
    assert.deepEqual(entry.upstreamErrors?.map((e) => e.code), ['ECONNRESET'], 'the log line names the code');
  });

  test('so is a GET, which has no body to lose', async () => {
    assert.equal((await send(url, { path: '/api/version' })).status, 200);
    await sleep(IDLE_TIMEOUT_MS * 2);
    const discarded = backend.discarded;
    assert.equal((await send(url, { path: '/api/version' })).status, 200);
    assert.equal(backend.discarded, discarded + 1);
  });

  test('only once: when the fresh connection fails too, the client gets the 502 with the code', async () => {
    assert.equal((await post()).status, 200);
    await sleep(IDLE_TIMEOUT_MS * 2);
    backend.resetAll = true;
    const answered = backend.answered;
    const discarded = backend.discarded;
    try {
      const failed = await post();
      assert.equal(failed.status, 502);
      assert.match(failed.text, /ECONNRESET/);
    } finally {
      backend.resetAll = false;
    }
    assert.equal(backend.discarded, discarded + 2, 'one try on the pooled connection, one on a fresh one, no more');
    assert.equal(backend.answered, answered);
    assert.deepEqual(upstreamErrors().slice(-2).map(({ code, retried }) => ({ code, retried })), [{ code: 'ECONNRESET', retried: true }, { code: 'ECONNRESET', retried: false }]);
  });

  test('a reset on a fresh connection is not retried: the backend saw a new connection and failed it', async () => {
    await proxy.stop(100);
    url = `http://127.0.0.1:${(await proxy.start()).port}`;
    backend.resetAll = true;
    const discarded = backend.discarded;
    try {
      assert.equal((await post()).status, 502);
    } finally {
      backend.resetAll = false;
    }
    assert.equal(backend.discarded, discarded + 1);
    assert.deepEqual(upstreamErrors().at(-1)?.retried, false);
  });
});
