// One giant event through the SSE tap: a backend's message_start of N MB in
// 64 KB chunks, as a hostile or broken backend could send it. The work must
// grow linearly with the event and no chunk may hold the event loop long,
// since every other client waits while it does. Prints the total time and the
// slowest chunk for 4, 16 and 40 MB.
//   npm run build && node dist/bench/sse-giant-event.js
import { SseUsageTap } from '../main/core/proxy/sse-usage-tap.js';
import { cacheUsageRewriter } from '../main/core/proxy/usage.js';

const HEAD = Buffer.from('event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":5},"pad":"');
const TAIL = Buffer.from('"}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n');
const CHUNK = Buffer.alloc(64 * 1024, 'x');

function giantEvent(megabytes: number): { totalMs: number; worstChunkMs: number } {
  const tap = new SseUsageTap({ observed: { inputTokens: null, outputTokens: null }, rewriteUsage: cacheUsageRewriter(() => 0.98), onFirstContent: () => undefined });
  const started = performance.now();
  let worstChunkMs = 0;
  tap.write(HEAD);
  for (let i = 0; i < megabytes * 16; i++) {
    const before = performance.now();
    tap.write(CHUNK);
    worstChunkMs = Math.max(worstChunkMs, performance.now() - before);
  }
  tap.write(TAIL);
  tap.end();
  return { totalMs: performance.now() - started, worstChunkMs };
}

for (const megabytes of [4, 16, 40]) {
  const { totalMs, worstChunkMs } = giantEvent(megabytes);
  console.log(`${megabytes} MB message_start: ${totalMs.toFixed(0)} ms in all, slowest 64 KB chunk ${worstChunkMs.toFixed(1)} ms`);
}
