// Hostile input, part 4: who may ask what. Hostile pages and local processes
// against the guard (DNS rebinding, foreign Origins, CORS, tokens), and the
// proxy's own paths: nothing under /_proxy may reach the backend, and the
// live feed must answer HEAD instead of hanging.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, type Harness } from './support/proxy-harness.js';
import { send } from './support/http-client.js';
import { bareBody } from './support/claude-code-bodies.js';
import { rawExchange } from './support/hostile.js';
import { runCli } from './support/cli-process.js';
import { startOllamaStandin } from './support/ollama-standin.js';

const TOKEN = 'guard-token-1234';

describe('the guard', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ token: TOKEN }, { timing: { prefillMs: 0, tokenDelayMs: 0, tokens: 3 } }); });
  after(() => h.close());
  const auth = { authorization: `Bearer ${TOKEN}` };

  for (const host of ['evil.example', 'evil.example:11435', '127.0.0.1.evil.example', 'localhost.', '[::2]', '']) {
    test(`Host "${host}" (DNS rebinding) is refused and never forwarded`, async () => {
      const before = h.standin.requests.length;
      const reply = await rawExchange(h.port, [`GET /api/tags HTTP/1.1\r\n${host === '' ? '' : `Host: ${host}\r\n`}Authorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`]);
      assert.match(reply.text, /^HTTP\/1\.1 (403|400) /);
      assert.equal(h.standin.requests.length, before);
    });
  }

  test('a foreign Origin is refused, with no CORS headers, preflight included', async () => {
    for (const method of ['POST', 'OPTIONS']) {
      const res = await send(h.url, { method, path: '/v1/messages', headers: { ...auth, origin: 'https://evil.example', 'access-control-request-method': 'POST' }, body: method === 'POST' ? bareBody() : undefined });
      assert.equal(res.status, 403);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    }
    const own = await send(h.url, { path: '/_proxy/status', headers: { ...auth, origin: `http://127.0.0.1:${h.port}` } });
    assert.equal(own.status, 200);
    assert.equal(own.headers['access-control-allow-origin'], undefined, 'no CORS even for its own page');
  });

  test('a missing, wrong or almost-right token is a 401; the right one in either header passes and is stripped', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${TOKEN}x` }, { 'x-api-key': TOKEN.slice(0, -1) }, { authorization: TOKEN }]) {
      assert.equal((await send(h.url, { path: '/api/tags', headers })).status, 401, JSON.stringify(headers));
    }
    for (const headers of [auth, { 'x-api-key': TOKEN }]) {
      assert.equal((await send(h.url, { path: '/api/tags', headers })).status, 200);
      const upstream = h.standin.requests.at(-1)!;
      assert.equal(upstream.headers.authorization, undefined);
      assert.equal(upstream.headers['x-api-key'], undefined);
    }
  });

  test('the status API is guarded too', async () => {
    assert.equal((await send(h.url, { path: '/_proxy/status' })).status, 401);
  });
});

describe("the proxy's own paths", () => {
  let h: Harness;
  before(async () => { h = await startHarness({}, { timing: { prefillMs: 0, tokenDelayMs: 0, tokens: 3 } }); });
  after(() => h.close());

  test('an unknown /_proxy path is a 404 of the proxy, not forwarded', async () => {
    for (const path of ['/_proxy/nothing', '/_proxy/', '/_proxy/status/x', '/_proxyfoo']) {
      const before = h.standin.requests.length;
      const res = await send(h.url, { path });
      assert.equal(res.status, 404, path);
      assert.equal(res.headers['x-llm-cache-proxy'], 'error');
      assert.equal(h.standin.requests.length, before, `${path} never reached the backend`);
    }
  });

  test('another method on /_proxy/status or /_proxy/events is a 405, not forwarded', async () => {
    for (const [method, path] of [['POST', '/_proxy/status'], ['DELETE', '/_proxy/status'], ['PUT', '/_proxy/events'], ['OPTIONS', '/_proxy/status']] as const) {
      const before = h.standin.requests.length;
      const res = await send(h.url, { method, path, headers: { 'content-type': 'application/json', 'content-length': method === 'POST' || method === 'PUT' ? 2 : 0 }, body: method === 'POST' || method === 'PUT' ? '{}' : undefined });
      // OPTIONS is answered by the router itself, with what is allowed.
      assert.equal(res.status, method === 'OPTIONS' ? 200 : 405, `${method} ${path}`);
      assert.match(String(res.headers.allow), /^GET, HEAD/);
      assert.equal(h.standin.requests.length, before);
    }
  });

  test('HEAD /_proxy/events answers with the headers and ends', async () => {
    const res = await send(h.url, { method: 'HEAD', path: '/_proxy/events', abortAfterMs: 2000 });
    assert.equal(res.aborted, false, 'the response ended by itself');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /text\/event-stream/);
  });

  test('the status API and the feed say nosniff', async () => {
    assert.equal((await send(h.url, { path: '/_proxy/status' })).headers['x-content-type-options'], 'nosniff');
    assert.equal((await send(h.url, { method: 'HEAD', path: '/_proxy/events' })).headers['x-content-type-options'], 'nosniff');
    assert.equal((await send(h.url, { path: '/_proxy/nothing' })).headers['x-content-type-options'], 'nosniff');
  });
});

describe('the token without the command line', () => {
  test('LLM_CACHE_PROXY_TOKEN sets the token, so it is not in the process arguments', { timeout: 20_000 }, async () => {
    const standin = await startOllamaStandin({ timing: { prefillMs: 0, tokenDelayMs: 0, tokens: 2 } });
    const cli = runCli(['--port', '0', '--host', '0.0.0.0', '--target', standin.url, '--log-level', 'warn'], {
      ...process.env, LLM_CACHE_PROXY_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'hostile-token-')), LLM_CACHE_PROXY_TOKEN: TOKEN,
    });
    try {
      const port = Number((await cli.waitFor(/listening on http:\/\/[^:]+:(\d+)/))[1]);
      const url = `http://127.0.0.1:${port}`;
      assert.equal((await send(url, { path: '/api/tags' })).status, 401);
      assert.equal((await send(url, { path: '/api/tags', headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
      assert.ok(!cli.child.spawnargs.join(' ').includes(TOKEN), 'not on the command line');
    } finally {
      cli.child.kill('SIGKILL');
      await standin.close();
    }
  });
});
