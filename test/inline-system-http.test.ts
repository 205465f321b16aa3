// The recorded 2.1.332 countdown session (a system message after every tool
// result) replayed through the proxy over real HTTP into a stand-in, and its
// forwarded prompts rendered the way Ollama renders them, which lifts system
// messages to the top.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './support/proxy-harness.js';
import { send } from './support/http-client.js';
import { loadRecording } from './support/recordings.js';
import { renderLikeOllama, reusedShare } from './support/ollama-template.js';
import type { InlineSystemMode } from '../main/core/rewrite/index.js';

const recording = loadRecording('cc-2.1.332-countdown');

interface Forwarded { messages: { role: string }[]; system?: unknown }

async function replay(inlineSystem: InlineSystemMode): Promise<{ harness: Harness; forwarded: Forwarded[] }> {
  const harness = await startHarness({ inlineSystem }, { timing: { prefillMs: 0, tokenDelayMs: 0, tokens: 2 } });
  for (const call of recording.calls) {
    const result = await send(harness.url, { method: call.method, path: call.path, headers: call.headers, body: Buffer.from(call.body) });
    assert.equal(result.status, 200, result.text);
  }
  const forwarded = harness.standin.requests.filter((r) => r.url.startsWith('/v1/messages')).map((r) => JSON.parse(r.body.toString('utf8')) as Forwarded);
  return { harness, forwarded };
}

/** Per call after the first: the share of the previous call's rendered prompt this one begins with. */
function reuseChain(bodies: readonly Forwarded[]): number[] {
  const prompts = bodies.map(renderLikeOllama);
  return prompts.slice(1).map((prompt, i) => reusedShare(prompts[i]!, prompt));
}

describe('2.1.332 countdown session, into a backend that lifts system messages', () => {
  let folded: { harness: Harness; forwarded: Forwarded[] };
  let kept: { harness: Harness; forwarded: Forwarded[] };

  before(async () => {
    folded = await replay('fold');
    kept = await replay('keep');
  });
  after(async () => {
    await folded.harness.close();
    await kept.harness.close();
  });

  test('the recording has what this is about: a tool loop of at least four calls with inline system messages', () => {
    assert.ok(recording.calls.length >= 5);
    const systemCounts = kept.forwarded.map((body) => body.messages.filter((m) => m.role === 'system').length);
    assert.deepEqual(systemCounts, recording.calls.map((_, i) => i + 1), 'the # Environment note, then one countdown per tool result');
  });

  test('folded: no system message reaches the backend, and every call begins with the whole previous prompt', () => {
    assert.equal(folded.forwarded.length, recording.calls.length);
    for (const body of folded.forwarded) assert.deepEqual(body.messages.filter((m) => m.role === 'system'), []);
    const chain = reuseChain(folded.forwarded);
    for (const [i, share] of chain.entries()) assert.ok(share >= 0.99, `call ${i + 2} reuses ${(share * 100).toFixed(1)}% of call ${i + 1}`);
  });

  test('kept: each new countdown lands in the system prompt, so the whole conversation is read again', () => {
    const prompts = kept.forwarded.map(renderLikeOllama);
    for (let i = 1; i < prompts.length; i++) {
      const conversationStart = prompts[i - 1]!.indexOf('<|im_start|>user');
      const shared = reusedShare(prompts[i - 1]!, prompts[i]!) * prompts[i - 1]!.length;
      assert.ok(shared < conversationStart, `call ${i + 1} diverges at ${shared}, after the system prompt (${conversationStart})`);
    }
  });

  test('/_proxy/status names no call of the folded run a miss', () => {
    const recent = folded.harness.proxy.status().recent;
    assert.equal(recent.length, recording.calls.length);
    assert.deepEqual(recent.map((r) => r.bust?.cause ?? null), recent.map(() => null));
  });
});
