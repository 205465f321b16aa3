// A warm-up's request may wait minutes for its answer's headers: the backend
// reads the whole prompt before it writes one byte. Node's fetch (undici)
// gives up after five minutes of that, so the connection the warmer uses must
// not be Node's fetch. Five minutes cannot be waited for in a test; what can be
// seen is which client sent the request: undici marks every request it sends
// with fetch's `sec-fetch-mode`, node:http sends only what it is given.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { backendFromSettings } from '../main/core/backends/upstream.js';
import { watchBackend } from '../main/core/backends/watch.js';

describe("the connection a warm-up's request goes through", () => {
  it('sends with node:http, not with fetch, whose five-minute header deadline would cut a long prefill short', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"usage":{"input_tokens":3}}'));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const watch = watchBackend({ proxy: { target }, backend: backendFromSettings('ollama', null), fetch: globalThis.fetch });
      const { connection } = watch;
      const answer = await connection.fetch(`${connection.target}/v1/messages`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"max_tokens":1}',
      });
      assert.equal(answer.status, 200);
      assert.deepEqual(await answer.json(), { usage: { input_tokens: 3 } });
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!['sec-fetch-mode'], undefined, 'the request was sent by fetch');
      assert.equal(seen[0]!['content-type'], 'application/json');
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});
