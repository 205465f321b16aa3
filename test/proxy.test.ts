// The proxy over real HTTP against the Ollama stand-in: what the backend
// receives, what the client gets back, and that nothing that goes wrong on
// either side stops it from serving the next call.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { startHarness, type Harness } from './support/proxy-harness.js';
import { send, sseEvents } from './support/http-client.js';
import { bareBody, fullBody, bareRequest, encodeBody } from './support/claude-code-bodies.js';
import { createProxy } from '../main/core/proxy/server.js';
import type { RequestLogEntry } from '../main/core/proxy/types.js';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A real request, captured from `claude -p --bare "hi"` (this file runs from dist/test/). */
const CAPTURE = fileURLToPath(new URL('../../test/fixtures/claude-code-2.1.139-bare.json', import.meta.url));

const JSON_HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };

function lastUpstreamBody(h: Harness): Buffer {
  const rec = h.standin.requests.at(-1);
  assert.ok(rec, 'the stand-in received a request');
  return rec.body;
}

async function assertStillServing(h: Harness): Promise<void> {
  const res = await send(h.url, { method: 'POST', path: '/v1/messages?beta=true', headers: JSON_HEADERS, body: bareBody() });
  assert.equal(res.status, 200, 'the proxy keeps serving');
  assert.equal(sseEvents(res.text).at(-1)?.event, 'message_stop');
}

describe('forwarding', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(() => h.close());

  test('HEAD / passes through like Claude Code\'s connectivity check', async () => {
    const res = await send(h.url, { method: 'HEAD', path: '/' });
    assert.equal(res.status, 200);
    assert.equal(h.standin.requests.at(-1)?.method, 'HEAD');
  });

  test('GET /api/* comes back with the backend\'s status, headers and bytes', async () => {
    const direct = await send(h.standin.url, { path: '/api/tags' });
    const proxied = await send(h.url, { path: '/api/tags' });
    assert.equal(proxied.status, direct.status);
    assert.deepEqual(proxied.body, direct.body);
    for (const name of ['content-type', 'content-length']) assert.equal(proxied.headers[name], direct.headers[name], name);
    assert.equal(proxied.headers['x-powered-by'], undefined);
  });

  test('unknown paths and their status pass through, query string included', async () => {
    const res = await send(h.url, { method: 'POST', path: '/api/nothing?x=1&y=%20', headers: JSON_HEADERS, body: '{}' });
    assert.equal(res.status, 404);
    assert.equal(h.standin.requests.at(-1)?.url, '/api/nothing?x=1&y=%20');
  });

  test('the billing block is dropped before the backend sees the body, with a correct Content-Length', async () => {
    const body = bareBody({ billing: 'cch' });
    const res = await send(h.url, { method: 'POST', path: '/v1/messages?beta=true', headers: JSON_HEADERS, body });
    assert.equal(res.status, 200);
    const rec = h.standin.requests.at(-1)!;
    assert.equal(rec.url, '/v1/messages?beta=true');
    const upstream = JSON.parse(rec.body.toString()) as { system: Array<{ text: string }> };
    assert.ok(!rec.body.includes('x-anthropic-billing-header'));
    assert.equal(upstream.system.length, bareRequest().system!.length - 1);
    assert.equal(Number(rec.headers['content-length']), rec.body.length);
    assert.equal(rec.headers['transfer-encoding'], undefined);
  });

  test('a request captured from Claude Code 2.1.139 --bare loses its billing block and nothing else', async () => {
    const captured = JSON.parse(readFileSync(CAPTURE, 'utf8')) as { url: string; headers: Record<string, string>; body: { system: Array<{ text: string }> } };
    const body = Buffer.from(JSON.stringify(captured.body));
    const res = await send(h.url, { method: 'POST', path: captured.url, headers: captured.headers, body });
    assert.equal(res.status, 200);
    const forwarded = h.standin.requests.at(-1)!.body;
    const expected = { ...captured.body, system: captured.body.system.slice(1) };
    assert.match(captured.body.system[0]!.text, /^x-anthropic-billing-header: cc_version=2\.1\.139\.\w+; cc_entrypoint=sdk-cli; cch=\w+;$/);
    assert.ok(forwarded.equals(Buffer.from(JSON.stringify(expected))), 'the same bytes as the body without its first system block');
  });

  test('a body with nothing to rewrite reaches the backend byte for byte', async () => {
    const body = fullBody({ billing: null });
    await send(h.url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body });
    assert.ok(lastUpstreamBody(h).equals(body));
  });

  test('count_tokens is rewritten too', async () => {
    await send(h.url, { method: 'POST', path: '/v1/messages/count_tokens', headers: JSON_HEADERS, body: bareBody() });
    assert.ok(!lastUpstreamBody(h).includes('x-anthropic-billing-header'));
  });

  test('a chunked upload is read whole, rewritten, and sent on with a length', async () => {
    const body = bareBody();
    const parts = [body.subarray(0, 100), body.subarray(100, 1000), body.subarray(1000)];
    const res = await send(h.url, { method: 'POST', path: '/v1/messages', headers: { ...JSON_HEADERS, 'transfer-encoding': 'chunked' }, body: parts });
    assert.equal(res.status, 200);
    const rec = h.standin.requests.at(-1)!;
    assert.equal(rec.headers['transfer-encoding'], undefined);
    assert.equal(Number(rec.headers['content-length']), rec.body.length);
    assert.ok(!rec.body.includes('x-anthropic-billing-header'));
  });

  for (const [encoding, compress] of [['gzip', gzipSync], ['br', brotliCompressSync]] as const) {
    test(`a ${encoding} request body is decoded, rewritten and sent on decoded`, async () => {
      const body = bareBody();
      const res = await send(h.url, { method: 'POST', path: '/v1/messages', headers: { ...JSON_HEADERS, 'content-encoding': encoding }, body: compress(body) });
      assert.equal(res.status, 200);
      const rec = h.standin.requests.at(-1)!;
      assert.equal(rec.headers['content-encoding'], undefined);
      assert.ok(rec.body.toString().startsWith('{"model"'));
      assert.ok(!rec.body.includes('x-anthropic-billing-header'));
    });
  }

  test('malformed JSON is forwarded untouched, so the backend gives its own error', async () => {
    const body = Buffer.from('{"model":"qwen3","system":[{"type":"text","text":"x-anthropic-billing-header: cch=1;"}');
    const res = await send(h.url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body });
    assert.equal(res.status, 400);
    assert.equal((JSON.parse(res.text) as { error: { type: string } }).error.type, 'invalid_request_error');
    assert.ok(lastUpstreamBody(h).equals(body));
    await assertStillServing(h);
  });

  test('backend errors come back with their status and Anthropic-shaped body', async () => {
    h.standin.failWith = { status: 529, type: 'overloaded_error', message: 'busy' };
    try {
      const res = await send(h.url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: bareBody() });
      assert.equal(res.status, 529);
      assert.deepEqual(JSON.parse(res.text), { type: 'error', error: { type: 'overloaded_error', message: 'busy' } });
    } finally {
      h.standin.failWith = null;
    }
  });
});

describe('streaming', () => {
  let h: Harness;
  before(async () => { h = await startHarness({}, { timing: { prefillMs: 0, tokenDelayMs: 150, tokens: 4 } }); });
  after(() => h.close());

  test('the first SSE bytes reach the client while the backend is still pausing', async () => {
    let firstChunkWhileUpstreamOpen: boolean | null = null;
    let firstChunk = '';
    const res = await send(h.url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: bareBody() }, (chunk) => {
      if (firstChunkWhileUpstreamOpen === null) {
        firstChunkWhileUpstreamOpen = h.standin.inFlight.size === 1;
        firstChunk = chunk.toString();
      }
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream');
    assert.equal(res.headers['content-encoding'], undefined);
    assert.equal(firstChunkWhileUpstreamOpen, true, 'first bytes arrived before the backend finished');
    assert.match(firstChunk, /^event: message_start/);
    assert.deepEqual(sseEvents(res.text).map((e) => e.event), [
      'message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_delta',
      'content_block_stop', 'message_delta', 'message_stop',
    ]);
  });

  test('a client that disconnects mid-stream cancels the upstream request', async () => {
    const aborted = h.standin.waitForAbort(2000);
    const res = await send(h.url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: fullBody(), abortAfterBytes: 1 });
    assert.equal(res.aborted, true);
    const rec = await aborted;
    assert.equal(rec.url, '/v1/messages');
    await assertStillServing(h);
  });

  test('a client that gives up during prefill cancels the upstream request at once', async () => {
    // The gap in http-proxy: with the body already read, its 'aborted' hook never fires.
    h.standin.timing = { prefillMs: 5000, tokenDelayMs: 5, tokens: 2 };
    const aborted = h.standin.waitForAbort(1500);
    const res = await send(h.url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: fullBody(), abortAfterMs: 100 });
    assert.equal(res.aborted, true);
    await aborted;
  });

  test('a backend that crashes mid-stream cuts the client\'s stream too, instead of ending it cleanly', { timeout: 5000 }, async () => {
    h.standin.timing = { prefillMs: 0, tokenDelayMs: 5, tokens: 4 };
    h.standin.crashMidStream = true;
    try {
      const outcome = await send(h.url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: bareBody() }).then(
        (res) => ({ cut: false, events: sseEvents(res.text).map((e) => e.event) }),
        () => ({ cut: true, events: [] as string[] }),
      );
      assert.ok(outcome.cut, `the client saw a clean end: ${outcome.events.join(',')}`);
    } finally {
      h.standin.crashMidStream = false;
    }
    await assertStillServing(h);
  });

  test('64 concurrent streams all complete intact', async () => {
    h.standin.timing = { prefillMs: 10, tokenDelayMs: 5, tokens: 5 };
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) =>
      send(h.url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: bareBody({ sessionId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }) })));
    for (const res of results) {
      assert.equal(res.status, 200);
      const events = sseEvents(res.text);
      assert.equal(events.length, 10);
      assert.equal(events.at(-1)?.event, 'message_stop');
    }
  });

  test('stop() lets a stream in flight finish', async () => {
    h.standin.timing = { prefillMs: 0, tokenDelayMs: 40, tokens: 5 };
    const pending = send(h.url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: bareBody() });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await h.proxy.stop(5000);
    const res = await pending;
    assert.equal(sseEvents(res.text).at(-1)?.event, 'message_stop');
    await h.proxy.start().then((addr) => assert.ok(addr.port > 0));
  });
});

describe('errors', () => {
  test('an unreachable backend gives an Anthropic-shaped 502 that names it and says how to start Ollama', async () => {
    const proxy = createProxy({ host: '127.0.0.1', port: 0, target: 'http://127.0.0.1:9', rewrite: 'drop', maxBodyBytes: 1e6 });
    const { port } = await proxy.start();
    try {
      for (const [method, path] of [['HEAD', '/'], ['POST', '/v1/messages'], ['GET', '/api/version']]) {
        const logged = once(proxy, 'request') as Promise<[RequestLogEntry]>;
        const res = await send(`http://127.0.0.1:${port}`, { method, path, headers: JSON_HEADERS, body: method === 'POST' ? bareBody() : undefined });
        assert.equal(res.status, 502, `${method} ${path}`);
        if (method === 'HEAD') continue;
        const [entry] = await logged;
        assert.equal(entry.bytesOut, Buffer.byteLength(res.text), `the request log counts the error body of ${method} ${path}`);
        const err = JSON.parse(res.text) as { type: string; error: { type: string; message: string } };
        assert.equal(err.type, 'error');
        assert.equal(err.error.type, 'api_error');
        assert.match(err.error.message, /http:\/\/127\.0\.0\.1:9/);
        assert.match(err.error.message, /ollama serve/);
      }
    } finally {
      await proxy.stop(0);
    }
  });

  test('a body over the limit gets an Anthropic-shaped 413, and the proxy carries on', async () => {
    const h = await startHarness({ maxBodyBytes: 2048 });
    try {
      const res = await send(h.url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: encodeBody(bareRequest()) });
      assert.equal(res.status, 413);
      const err = JSON.parse(res.text) as { error: { type: string; message: string } };
      assert.equal(err.error.type, 'request_too_large');
      assert.match(err.error.message, /--max-body/);
      const small = await send(h.url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: '{"model":"m","messages":[],"stream":true}' });
      assert.equal(small.status, 200);
    } finally {
      await h.close();
    }
  });
});

describe('who may connect', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ allowHosts: ['proxy.internal'], allowOrigins: ['https://allowed.example'] }); });
  after(() => h.close());

  const cases: Array<[string, Record<string, string>, number]> = [
    ['loopback Host', { host: '127.0.0.1' }, 200],
    ['localhost with port', { host: 'localhost:11435' }, 200],
    ['IPv6 loopback', { host: '[::1]:11435' }, 200],
    ['a configured name', { host: 'proxy.internal' }, 200],
    ['a rebinding name', { host: 'attacker.example:11435' }, 403],
    ['a name that merely starts with localhost', { host: 'localhost.attacker.example' }, 403],
    ['a browser Origin', { host: '127.0.0.1', origin: 'https://attacker.example' }, 403],
    ['the null Origin', { host: '127.0.0.1', origin: 'null' }, 403],
    ['an allowed Origin', { host: '127.0.0.1', origin: 'https://allowed.example' }, 200],
  ];
  for (const [name, headers, status] of cases) {
    test(`${name} → ${status}`, async () => {
      const before = h.standin.requests.length;
      const res = await send(h.url, { path: '/api/version', headers });
      assert.equal(res.status, status);
      assert.equal(res.headers['access-control-allow-origin'], undefined, 'no CORS headers, ever');
      if (status === 403) {
        assert.equal((JSON.parse(res.text) as { error: { type: string } }).error.type, 'permission_error');
        assert.equal(h.standin.requests.length, before, 'a refused request never reaches the backend');
      }
    });
  }

  test('the proxy\'s own origin is allowed (for its pages)', async () => {
    const res = await send(h.url, { path: '/api/version', headers: { origin: `http://127.0.0.1:${h.port}` } });
    assert.equal(res.status, 200);
  });
});

describe('token when bound wide', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ host: '0.0.0.0', token: 's3cret', allowHosts: ['127.0.0.1'] }); });
  after(() => h.close());

  test('without the token → 401', async () => {
    const res = await send(h.url, { path: '/api/version' });
    assert.equal(res.status, 401);
    assert.equal((JSON.parse(res.text) as { error: { type: string } }).error.type, 'authentication_error');
  });

  test('a wrong token → 401', async () => {
    const res = await send(h.url, { path: '/api/version', headers: { authorization: 'Bearer nope' } });
    assert.equal(res.status, 401);
  });

  for (const header of [{ authorization: 'Bearer s3cret' }, { 'x-api-key': 's3cret' }]) {
    test(`${Object.keys(header)[0]} lets the call in, and is not passed to the backend`, async () => {
      const res = await send(h.url, { method: 'POST', path: '/v1/messages', headers: { ...JSON_HEADERS, ...header }, body: bareBody() });
      assert.equal(res.status, 200);
      const rec = h.standin.requests.at(-1)!;
      assert.equal(rec.headers.authorization, undefined);
      assert.equal(rec.headers['x-api-key'], undefined);
    });
  }
});
