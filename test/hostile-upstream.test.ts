// Hostile input, part 5: broken backends. Whatever the backend does (an HTML
// 500 page, a 429, an empty 529, resetting the connection, never answering,
// not listening at all), Claude Code gets an error in the Anthropic API's
// shape, with the backend's own status and a message that says what happened.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { send } from './support/http-client.js';
import { bareBody } from './support/claude-code-bodies.js';
import { scriptedBackend, type ScriptedBackend } from './support/hostile.js';
import { createProxy, type ProxyServer } from '../main/core/proxy/server.js';
import { freePort } from './support/free-port.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

interface AnthropicError {
  type: string;
  error: { type: string; message: string };
}

function parseError(text: string): AnthropicError {
  const parsed = JSON.parse(text) as AnthropicError;
  assert.equal(parsed.type, 'error');
  return parsed;
}

describe('a backend that answers with an error', () => {
  let backend: ScriptedBackend;
  let proxy: ProxyServer;
  let url: string;
  let reply: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
  before(async () => {
    backend = await scriptedBackend((req, res) => reply(req, res));
    proxy = createProxy({ host: '127.0.0.1', port: 0, target: backend.url, rewrite: 'drop', maxBodyBytes: 1 << 20, upstreamTimeoutMs: 400 });
    url = `http://127.0.0.1:${(await proxy.start()).port}`;
  });
  after(async () => {
    await proxy.stop(0);
    await backend.close();
  });
  const call = () => send(url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: bareBody() });

  test('a 500 HTML page becomes an api_error that quotes its text, status kept', async () => {
    reply = (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end('<html><head><style>b{}</style></head><body><h1>Internal Server Error</h1><p>model runner crashed</p></body></html>');
    };
    const res = await call();
    assert.equal(res.status, 500);
    assert.match(String(res.headers['content-type']), /application\/json/);
    const err = parseError(res.text);
    assert.equal(err.error.type, 'api_error');
    assert.match(err.error.message, /HTTP 500\): Internal Server Error model runner crashed$/);
  });

  test('a 429 is a rate_limit_error, its Retry-After kept', async () => {
    reply = (_req, res) => {
      res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '7' });
      res.end('slow down');
    };
    const res = await call();
    assert.equal(res.status, 429);
    assert.equal(res.headers['retry-after'], '7');
    assert.equal(parseError(res.text).error.type, 'rate_limit_error');
  });

  test('an empty 529 is an overloaded_error that says so', async () => {
    reply = (_req, res) => {
      res.writeHead(529);
      res.end();
    };
    const res = await call();
    assert.equal(res.status, 529);
    const err = parseError(res.text);
    assert.equal(err.error.type, 'overloaded_error');
    assert.match(err.error.message, /overloaded \(HTTP 529\)/);
  });

  test("an OpenAI-shaped error (llama-server's) keeps its message", async () => {
    reply = (_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":{"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error"}}');
    };
    const err = parseError((await call()).text);
    assert.equal(err.error.type, 'invalid_request_error');
    assert.match(err.error.message, /exceeds the available context size/);
  });

  test('an error already in the Anthropic shape passes untouched', async () => {
    const body = '{"type":"error","error":{"type":"not_found_error","message":"model \\"x\\" not found"}}';
    reply = (_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(body);
    };
    const res = await call();
    assert.equal(res.status, 404);
    assert.equal(res.text, body);
  });

  test('a backend that resets the connection: a 502 that says it closed the connection', async () => {
    reply = (req) => req.socket.destroy();
    const res = await call();
    assert.equal(res.status, 502);
    assert.match(parseError(res.text).error.message, /closed the connection before answering \(ECONNRESET\)/);
  });

  test('a backend that never answers: a 504 timeout_error after --upstream-timeout, in seconds', async () => {
    reply = () => undefined;
    const res = await call();
    assert.equal(res.status, 504);
    const err = parseError(res.text);
    assert.equal(err.error.type, 'timeout_error');
    assert.match(err.error.message, /did not answer within 0\.4 s \(--upstream-timeout\)/);
  });
});

describe('a backend that is not there', () => {
  test('nothing listening: connection refused, and how to start Ollama', async () => {
    const port = await freePort();
    const proxy = createProxy({ host: '127.0.0.1', port: 0, target: `http://127.0.0.1:${port}`, rewrite: 'drop', maxBodyBytes: 1 << 20 });
    const url = `http://127.0.0.1:${(await proxy.start()).port}`;
    try {
      const res = await send(url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: bareBody() });
      assert.equal(res.status, 502);
      assert.match(parseError(res.text).error.message, /connection refused \(ECONNREFUSED\).*ollama serve/);
    } finally {
      await proxy.stop(0);
    }
  });
});
