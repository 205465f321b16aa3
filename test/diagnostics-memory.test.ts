// The tracker's heap use must not grow with the number of conversations seen:
// measured after full garbage collections, once at 100 conversations and
// again at 1,000, it must stay within 10%.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { CacheTracker, renderPrompt } from '../main/core/diagnostics/index.js';
import { detach } from '../main/core/diagnostics/stored-prompt.js';
import { agentConversationKey } from '../main/core/diagnostics/conversation-key.js';
import { conversation, fullRequest } from './support/claude-code-bodies.js';
import type { MessagesRequest } from './support/claude-code-bodies.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Heap in use once garbage is gone: the least of a few collections, to shed noise. */
function settledHeap(): number {
  let least = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 4; i++) {
    gc();
    least = Math.min(least, process.memoryUsage().heapUsed);
  }
  return least;
}

const template = fullRequest({ billing: null });

/** Conversation `i`: its own first question, then two tool round trips with results of its own. */
function turns(i: number): MessagesRequest[] {
  const question = `Conversation ${i}: ${'what does this module do, and why? '.repeat(40)}`;
  return [0, 1, 2].map((round) => ({ ...template, messages: conversation(round, 6000, question) }));
}

function feed(tracker: CacheTracker, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const key = `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
    for (const body of turns(i)) tracker.observe({ key, rendered: renderPrompt(body), rewriteMode: 'drop' });
  }
}

type Feed = (tracker: CacheTracker, from: number, to: number) => void;

/**
 * Compiles the code paths and builds V8's lazily made structures before the
 * baseline. In a function of its own: a frame that held this tracker in an
 * interpreter register would keep it alive through the measurements.
 */
function warmUp(feedOne: Feed): void {
  feedOne(new CacheTracker(), 0, 300);
}

/** Tracker heap after feeding 100, then 1,000 (conversations or subagents), and the tracker. */
function heapAt100And1000(feedOne: Feed): { at100: number; at1000: number; tracker: CacheTracker } {
  warmUp(feedOne);
  const baseline = settledHeap();
  const tracker = new CacheTracker({ maxConversations: 64 });
  feedOne(tracker, 0, 100);
  const at100 = settledHeap() - baseline;
  feedOne(tracker, 100, 1000);
  return { at100, at1000: settledHeap() - baseline, tracker };
}

function assertFlat(at100: number, at1000: number, tracker: CacheTracker, what: string): void {
  assert.equal(tracker.stats().conversations, 64);
  assert.ok(at100 > 64 * 2000, `the measure sees what is held (${at100} bytes)`);
  assert.ok(Math.abs(at1000 - at100) <= at100 * 0.1, `${at100} bytes at 100 ${what}, ${at1000} at 1,000`);
}

test('heap stays flat from 100 to 1,000 conversations, far below holding every prompt whole', (t) => {
  const { at100, at1000, tracker } = heapAt100And1000(feed);
  const promptBytes = renderPrompt(turns(0)[2]).text.length * 2;
  t.diagnostic(`tracker heap: ${at100} bytes at 100 conversations, ${at1000} at 1,000 (one prompt: ${promptBytes} bytes)`);
  assertFlat(at100, at1000, tracker, 'conversations');
  assert.ok(at1000 < 64 * promptBytes * 0.5, `${at1000} bytes held for 64 prompts of ${promptBytes} bytes each`);
});

const SESSION = '3f9c2a71-5d4e-4b8a-9c1f-7e2d6a0b8c45';

/** Subagents `from`..`to` of one session, each a conversation of its own by its agent headers, the main agent returning after every tenth. */
function feedSubagents(tracker: CacheTracker, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const agent = { id: `a${i.toString(16).padStart(16, '0')}`, parent: i % 3 === 0 ? null : `a${(i - 1).toString(16).padStart(16, '0')}` };
    const key = agentConversationKey(SESSION, agent);
    for (const body of turns(i)) tracker.observe({ key, agent, rendered: renderPrompt(body), rewriteMode: 'drop' });
    if (i % 10 === 9) tracker.observe({ key: SESSION, rendered: renderPrompt(turns(0)[i % 3]!), rewriteMode: 'drop' });
  }
}

test('heap stays flat as one session\'s agent tree grows from 100 to 1,000 subagents', (t) => {
  const { at100, at1000, tracker } = heapAt100And1000(feedSubagents);
  t.diagnostic(`tracker heap: ${at100} bytes at 100 subagents, ${at1000} at 1,000`);
  assertFlat(at100, at1000, tracker, 'subagents');
});

test('a detached copy holds only itself: one byte a character for ASCII, on the heap, the prompt it came from freed', () => {
  // Tails over a million characters, where Node decodes text into external two-byte strings; prompts twice as long,
  // so that a slice pinning its prompt would show as two bytes a character as well.
  const TAIL = 1_100_000;
  const prompt = (i: number): string => String.fromCharCode(97 + i).repeat(2 * TAIL);
  detach(prompt(9).slice(10, 500));
  const heapBefore = settledHeap();
  const externalBefore = process.memoryUsage().external;
  const kept: string[] = [];
  for (let i = 0; i < 4; i++) kept.push(detach(prompt(i).slice(1000, 1000 + TAIL)));
  const perChar = (settledHeap() - heapBefore) / (4 * TAIL);
  const external = process.memoryUsage().external - externalBefore;
  assert.ok(perChar < 1.6, `${perChar.toFixed(2)} bytes on the heap a character`);
  assert.ok(external < 1_000_000, `${external} bytes outside the heap`);
  assert.deepEqual(kept.map((k) => [k.length, k[0], k.at(-1)]), [0, 1, 2, 3].map((i) => [TAIL, String.fromCharCode(97 + i), String.fromCharCode(97 + i)]));
});
