// What the SSE tap costs each event on its way to the client: a text delta
// (passed as it came) and a message_delta (its usage rewritten).
import { SseUsageTap } from '../main/core/proxy/sse-usage-tap.js';
import { cacheUsageRewriter } from '../main/core/proxy/usage.js';
import { timePerCall } from './stats.js';

const START = Buffer.from('event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"qwen3-coder:30b","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":9500,"output_tokens":0}}}\n\n');
const DELTA = Buffer.from('event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" world"}}\n\n');
const USAGE = Buffer.from('event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":9500,"output_tokens":16}}\n\n');

export function measureSseTap(): { deltaMs: number; usageMs: number } {
  const tap = new SseUsageTap({ observed: { inputTokens: null, outputTokens: null }, rewriteUsage: cacheUsageRewriter(() => 0.98), onFirstContent: () => undefined });
  tap.write(START);
  return { deltaMs: timePerCall(() => tap.write(DELTA)), usageMs: timePerCall(() => tap.write(USAGE)) };
}
