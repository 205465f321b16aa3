// The proxy's own work on a call waits for the backend: over real HTTP, with a
// backend in this same process (as the tests' stand-ins and the engine bench's
// are), the backend must hold the whole recorded Claude Code body before the
// diagnostics begin on it, however slow they are, and the call in flight must
// still carry its prediction before the backend's first token.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createProxy } from '../main/core/proxy/server.js';
import { backendView } from '../main/core/backends/backend-info.js';
import type { InFlightEvent } from '../main/core/wire/types.js';
import { loadRecording } from './support/recordings.js';
import { send } from './support/http-client.js';

/** How long the backend takes to its first token, and how long the injected diagnostics work takes. */
const PREFILL_MS = 600;
const SLOW_MS = 250;

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* the diagnostics at work */ }
}

/** A backend that notes when each request's body has fully arrived, then streams a short answer after PREFILL_MS. */
async function timedBackend(): Promise<{ url: string; arrivals: number[]; close(): Promise<void> }> {
  const arrivals: number[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      arrivals.push(performance.now());
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const event = (type: string, data: object): boolean => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
      setTimeout(() => {
        event('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'qwen3-coder:30b', content: [], usage: { input_tokens: 25_000, output_tokens: 0 } } });
        event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
        event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } });
        event('content_block_stop', { index: 0 });
        event('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 1 } });
        event('message_stop', {});
        res.end();
      }, PREFILL_MS);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test('the backend holds the whole body before the diagnostics start on it, and the prediction still comes before the first token', async () => {
  const backend = await timedBackend();
  // The injected slow diagnostics: the analysis reads the backend's restart count for every call, the prediction asks for the model's state.
  let armed = false;
  const analysedAt: number[] = [];
  const predictedAt: number[] = [];
  const restarts = (): number => {
    if (armed) {
      analysedAt.push(performance.now());
      busy(SLOW_MS);
    }
    return 0;
  };
  const view = backendView({ state: { status: 'up', models: [], loaded: [], lastCheckedAt: null }, profile: null }, { configuredSlots: 1, model: null }, restarts);
  const proxy = createProxy({
    host: '127.0.0.1', port: 0, target: backend.url, rewrite: 'drop', maxBodyBytes: 8 * 1024 * 1024, backend: view,
    backendInfo: () => {
      predictedAt.push(performance.now());
      busy(SLOW_MS);
      return { loaded: true, contextTokens: 65_536, contextCost: null };
    },
  });
  const events: { event: InFlightEvent; at: number }[] = [];
  proxy.on('in-flight', (event) => events.push({ event, at: performance.now() }));
  const { port } = await proxy.start();
  armed = true;
  try {
    // A resumed turn of a real session: about 100 KB.
    const call = loadRecording('cc-2.1.139-full-resume').calls[1]!;
    assert.ok(call.body.length > 90_000, `a full Claude Code body, ${call.body.length} bytes`);
    const answer = await send(`http://127.0.0.1:${port}`, { method: 'POST', path: call.path, headers: { ...call.headers, 'content-type': 'application/json' }, body: Buffer.from(call.body, 'utf8') });
    assert.equal(answer.status, 200);
    assert.equal(backend.arrivals.length, 1);
    assert.equal(analysedAt.length, 1, 'the analysis ran once');
    assert.equal(predictedAt.length, 1, 'the prediction ran once');
    const arrived = backend.arrivals[0]!;
    assert.ok(arrived < analysedAt[0]!, `the backend had the body ${(arrived - analysedAt[0]!).toFixed(1)} ms after the analysis began: it waited for the diagnostics`);
    assert.ok(arrived < predictedAt[0]!, `the backend had the body ${(arrived - predictedAt[0]!).toFixed(1)} ms after the prediction began`);
    const start = events.find((e) => e.event.type === 'call-start');
    const first = events.find((e) => e.event.type === 'first-token');
    assert.ok(start && first, `the feed told ${events.map((e) => e.event.type).join(', ')}`);
    assert.ok(start.event.call.promptTokens !== null && start.event.call.promptTokens > 10_000, 'the call in flight carries its predicted size');
    assert.equal(start.event.call.contextTokens, 65_536, 'and what the backend said of its model');
    assert.ok(start.at < first.at, 'the prediction is told before the first token');
  } finally {
    await proxy.stop(100);
    await backend.close();
  }
});
