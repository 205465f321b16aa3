// Hostile input, part 1: nesting and giant events. A 30 KB body nested 5,000
// levels deep once overflowed the stack in the diagnostics (outside any
// try/catch) and ended the process, every stream in flight with it; a
// backend could do the same with its message_start; and one 40 MB event made
// the SSE tap rescan its growing tail on every chunk. These tests run the
// proxy in the test's own process: a crash fails the run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { send, sseEvents } from './support/http-client.js';
import { bareBody, bareRequest, conversation } from './support/claude-code-bodies.js';
import { longestStall, nested, scriptedBackend, type ScriptedBackend } from './support/hostile.js';
import { createProxy, type ProxyServer } from '../main/core/proxy/server.js';
import type { CallRecord, ProxyStatus } from '../main/core/wire/types.js';
import type { RequestLogEntry } from '../main/core/proxy/types.js';
import { MAX_ANALYSED_DEPTH } from '../main/core/proxy/json-depth.js';
import { MAX_HELD_CHARS } from '../main/core/proxy/sse-usage-tap.js';

const JSON_HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };

/** A Claude Code body whose last tool call's input (or first tool's schema) nests `depth` levels. */
function deepBody(depth: number, where: 'tool_use.input' | 'tools.input_schema'): Buffer {
  const request = bareRequest({ messages: conversation(1, 200) });
  const marker = '"__DEEP__"';
  if (where === 'tool_use.input') {
    const assistant = request.messages.findLast((m) => m.role === 'assistant')!;
    const block = (assistant.content as unknown as Array<Record<string, unknown>>).find((b) => b.type === 'tool_use')!;
    block.input = '__DEEP__';
  } else {
    (request.tools![0] as unknown as Record<string, unknown>).input_schema = '__DEEP__';
  }
  return Buffer.from(JSON.stringify(request).replace(marker, nested(depth)));
}

async function nextEntry(proxy: ProxyServer, path: string): Promise<RequestLogEntry> {
  for (;;) {
    const [entry] = (await once(proxy, 'request')) as [RequestLogEntry];
    if (entry.path === path) return entry;
  }
}

/** A short, well-formed answer, whatever the prompt (the Ollama stand-in itself renders prompts recursively). */
function answerBriefly(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end('event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":5,"output_tokens":0}}}\n\n'
    + 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ok"}}\n\n'
    + 'event: message_stop\ndata: {"type":"message_stop"}\n\n');
}

describe('deeply nested request bodies', () => {
  let backend: ScriptedBackend;
  let proxy: ProxyServer;
  let url: string;
  before(async () => {
    backend = await scriptedBackend((_req, res) => answerBriefly(res));
    // The affinity header makes the analysis run inside http-proxy's proxyReq event, before the body leaves.
    proxy = createProxy({ host: '127.0.0.1', port: 0, target: backend.url, rewrite: 'off', maxBodyBytes: 1 << 20, affinityHeaders: ['x-dynamo-session-id'] });
    url = `http://127.0.0.1:${(await proxy.start()).port}`;
  });
  after(async () => {
    await proxy.stop(0);
    await backend.close();
  });

  for (const where of ['tool_use.input', 'tools.input_schema'] as const) {
    test(`5,000 levels in ${where}: forwarded untouched, not analysed, and the log says so; the process lives`, async () => {
      const body = deepBody(5000, where);
      assert.ok(body.length < 100_000, 'a small body');
      const logged = nextEntry(proxy, '/v1/messages');
      const res = await send(url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body });
      assert.equal(res.status, 200);
      assert.equal(sseEvents(res.text).at(-1)?.event, 'message_stop');
      assert.deepEqual(backend.requests.at(-1)!.body, body, 'the backend got the body as sent');
      const entry = await logged;
      assert.match(entry.note ?? '', new RegExp(`not analysed: the body nests deeper than ${MAX_ANALYSED_DEPTH} levels`));
      // The diagnostics' analysis runs a tick after the body left: give it that tick, then serve again.
      await new Promise((resolve) => setImmediate(resolve));
      const next = await send(url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: bareBody() });
      assert.equal(next.status, 200, 'the proxy still serves');
    });
  }

  test(`a body within ${MAX_ANALYSED_DEPTH} levels is analysed as usual`, async () => {
    const recorded = once(proxy, 'call') as Promise<[CallRecord]>;
    // The tool input sits 6 levels down in the body: the nesting inside it makes up the rest.
    const res = await send(url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: deepBody(MAX_ANALYSED_DEPTH - 6, 'tool_use.input') });
    assert.equal(res.status, 200);
    const [record] = await recorded;
    assert.ok(record.promptChars > 0);
  });
});

describe('a hostile backend', () => {
  let backend: ScriptedBackend;
  let proxy: ProxyServer;
  let url: string;
  let reply: (res: ServerResponse) => void = () => undefined;
  before(async () => {
    backend = await scriptedBackend((_req, res) => reply(res));
    proxy = createProxy({ host: '127.0.0.1', port: 0, target: backend.url, rewrite: 'drop', maxBodyBytes: 1 << 20 });
    url = `http://127.0.0.1:${(await proxy.start()).port}`;
  });
  after(async () => {
    await proxy.stop(0);
    await backend.close();
  });

  test('a message_start nested 5,000 levels deep passes through unread, and the process lives', async () => {
    const deep = `event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":5},"x":${nested(5000)}}}\n\n`;
    reply = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`${deep}event: message_stop\ndata: {"type":"message_stop"}\n\n`);
    };
    const res = await send(url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: bareBody() });
    assert.equal(res.status, 200);
    assert.ok(res.text.startsWith(deep), 'the event arrives as the backend sent it');
    assert.equal((await send(url, { path: '/_proxy/status' })).status, 200, 'the proxy still serves');
  });

  test('a 16 MB message_start streamed in 64 KB chunks: linear work, other clients keep being served, the event arrives whole', { timeout: 60_000 }, async (t) => {
    const size = 16 * 1024 * 1024;
    const head = Buffer.from('event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":5},"pad":"');
    const tail = Buffer.from('"}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n');
    const chunk = Buffer.alloc(64 * 1024, 'x');
    reply = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(head);
      let sent = 0;
      const more = (): void => {
        while (sent < size) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end(tail);
      };
      more();
    };
    let statusWorst = 0;
    let streaming = true;
    const { result: res, stallMs } = await longestStall(async () => {
      const polling = (async () => {
        while (streaming) {
          const started = performance.now();
          assert.equal((await send(url, { path: '/_proxy/status' })).status, 200);
          statusWorst = Math.max(statusWorst, performance.now() - started);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      let received = 0;
      const answer = await send(url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: bareBody() }, (c) => { received += c.length; });
      streaming = false;
      await polling;
      assert.equal(received, head.length + size + tail.length);
      return answer;
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.subarray(0, head.length).toString(), head.toString());
    assert.equal(res.body.subarray(-tail.length).toString(), tail.toString());
    t.diagnostic(`longest event-loop stall ${Math.round(stallMs)} ms; slowest status request ${Math.round(statusWorst)} ms`);
    // On a quiet machine both stay near 10 ms; the bound leaves room for a loaded one (the old tap took seconds).
    assert.ok(statusWorst < 1000, `a status request waited ${Math.round(statusWorst)} ms while the event streamed`);
    assert.ok(stallMs < 1000, `the event loop stalled ${Math.round(stallMs)} ms`);
    assert.ok(MAX_HELD_CHARS < size, 'the event is larger than what the tap holds');
    const status = (await send(url, { path: '/_proxy/status' })).text;
    assert.equal((JSON.parse(status) as ProxyStatus).inFlight.length, 0);
  });
});
