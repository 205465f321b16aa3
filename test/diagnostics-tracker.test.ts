import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BILLING_REMEDIES, CacheTracker, EXCERPT_CHARS, REMEDIES, renderPrompt,
} from '../main/core/diagnostics/index.js';
import type { Observation } from '../main/core/diagnostics/index.js';
import type { Bust, BustCause } from '../main/core/wire/types.js';
import type { RewriteMode } from '../main/core/rewrite/types.js';
import {
  DEFAULT_PROMPT, DEFAULT_SESSION_ID, contextReminder, conversation, fullRequest,
} from './support/claude-code-bodies.js';
import type { Message, MessagesRequest } from './support/claude-code-bodies.js';
import { BUST_SCENARIOS, forwarded, withTokensReminder } from './support/bust-scenarios.js';
import { CheckpointRing, GO_ENGINE_CHECKPOINTS, OLLAMA_CHECKPOINTS } from '../main/core/diagnostics/checkpoints.js';
import { agentConversationKey, type AgentRef } from '../main/core/diagnostics/conversation-key.js';

const OTHER_SESSION = '9b1e44d0-2c7a-4f3e-8d5b-0a6c1e9f7b23';

function observe(tracker: CacheTracker, body: unknown, key = DEFAULT_SESSION_ID, rewriteMode: RewriteMode = 'drop'): Observation {
  return tracker.observe({ key, rendered: renderPrompt(body), rewriteMode });
}


/** Turn 1 then turn 2 of one conversation; returns turn 2's bust, checked for shape. */
function bustBetween(first: unknown, second: unknown, rewriteMode: RewriteMode = 'drop'): Bust {
  const tracker = new CacheTracker();
  assert.equal(observe(tracker, first, DEFAULT_SESSION_ID, rewriteMode).bust, null, 'turn 1 is never a miss');
  const observation = observe(tracker, second, DEFAULT_SESSION_ID, rewriteMode);
  assert.equal(observation.turn, 2);
  const bust = observation.bust;
  assert.ok(bust !== null, 'turn 2 is a miss');
  assertCompact(bust);
  return bust;
}

function assertCompact(bust: Bust): void {
  assert.ok(bust.before.length <= EXCERPT_CHARS, `before is ${bust.before.length} chars`);
  assert.ok(bust.after.length <= EXCERPT_CHARS, `after is ${bust.after.length} chars`);
  assert.ok((bust.lead ?? '').length <= 24);
  assert.notEqual(bust.before, bust.after);
}

function assertCause(bust: Bust, cause: BustCause, path: string | RegExp): void {
  assert.equal(bust.cause, cause);
  if (typeof path === 'string') assert.equal(bust.path, path);
  else assert.match(bust.path, path);
  if (cause !== 'billing-header' && cause !== 'slot-evicted') assert.equal(bust.remedy, REMEDIES[cause]);
}

describe('CacheTracker: turns that keep their prefix', () => {
  test('a growing conversation is never a miss and its reuse is what the backend held', () => {
    const tracker = new CacheTracker();
    let previousChars = 0;
    for (let turns = 0; turns < 4; turns++) {
      const observation = observe(tracker, forwarded(conversation(turns)));
      assert.equal(observation.turn, turns + 1);
      assert.equal(observation.bust, null);
      assert.equal(observation.session, DEFAULT_SESSION_ID.slice(0, 6));
      assert.equal(observation.reusedChars, previousChars);
      assert.equal(observation.reuse, previousChars / observation.promptChars);
      assert.equal(observation.conversationReuse, turns === 0 ? null : 1);
      assert.equal(observation.conversationChars, turns === 0 ? null : previousChars);
      previousChars = observation.promptChars;
    }
  });

  test('string and block-array forms of the same message are the same prefix', () => {
    const tracker = new CacheTracker();
    const first: Message[] = [{ role: 'user', content: [{ type: 'text', text: contextReminder() }, { type: 'text', text: DEFAULT_PROMPT }] }];
    observe(tracker, forwarded(first));
    const resumed: Message[] = [
      { role: 'user', content: contextReminder() + DEFAULT_PROMPT },
      { role: 'assistant', content: 'The rewrite keeps the prefix stable.' },
      { role: 'user', content: 'Thanks.' },
    ];
    const second = observe(tracker, forwarded(resumed));
    assert.equal(second.bust, null);
    assert.equal(second.conversationReuse, 1);
  });
});

describe('CacheTracker: every miss is named', () => {
  for (const scenario of BUST_SCENARIOS) {
    test(`${scenario.cause}: ${scenario.name}`, () => {
      assertCause(bustBetween(scenario.first, scenario.second, scenario.rewriteMode), scenario.cause, scenario.path);
    });
  }

  test('billing-header with rewrite off: the remedy says to turn it on, the lead shows the changing key', () => {
    const bust = bustBetween(fullRequest({ call: 0 }), fullRequest({ call: 1, messages: conversation(1) }), 'off');
    assertCause(bust, 'billing-header', 'system[0].text');
    assert.equal(bust.remedy, BILLING_REMEDIES.rewriteOff);
    assert.equal(bust.lead, 'cc_version=2.1.139.');
  });

  test('billing-header under drop: a variant the rewriter did not recognise', () => {
    const line = (n: number): { line: string } => ({ line: `x-anthropic-billing-header: cc_version=3.0.0.a1b; cc_entrypoint=sdk-cli; cc_nonce=${n};` });
    const bust = bustBetween(fullRequest({ billing: line(1) }), fullRequest({ billing: line(2), messages: conversation(1) }), 'drop');
    assertCause(bust, 'billing-header', 'system[0].text');
    assert.equal(bust.remedy, BILLING_REMEDIES.unknownVariant);
  });

  test('billing-header: the line disappears when the rewrite is turned on', () => {
    const bust = bustBetween(fullRequest({ call: 0 }), forwarded(conversation(1)), 'drop');
    assertCause(bust, 'billing-header', 'system[0].text');
    assert.equal(bust.remedy, BILLING_REMEDIES.lineRemoved);
  });

  test('billing-header in a plain-string system prompt', () => {
    const bust = bustBetween(fullRequest({ system: 'string', call: 0 }), fullRequest({ system: 'string', call: 1, messages: conversation(1) }), 'off');
    assertCause(bust, 'billing-header', 'system');
  });

  test('date-changed: the excerpts show the day that changed', () => {
    const bust = bustBetween(forwarded(conversation(1)), forwarded(conversation(2), { date: '2025-11-05' }));
    assertCause(bust, 'date-changed', 'system[1].text');
    assert.equal(bust.lead, '2025-11-0');
    assert.equal(bust.before.slice(0, 2), '4.');
    assert.equal(bust.after.slice(0, 2), '5.');
  });

  test('system-reminder: a "tokens left" reminder is dropped from an earlier turn', () => {
    const first = forwarded(withTokensReminder(conversation(3), 2));
    const bust = bustBetween(first, forwarded(withTokensReminder(conversation(4), 8)));
    assertCause(bust, 'system-reminder', /^messages\[\d\]/);
    assert.match(bust.before, /<system-reminder>/);
  });

  test('system-reminder: the "tokens left" count is rewritten in place', () => {
    const first = forwarded(withTokensReminder(conversation(3), 2, '<system-reminder>\n120,000 tokens left\n</system-reminder>'));
    const second = forwarded(withTokensReminder(conversation(4), 2, '<system-reminder>\n112,500 tokens left\n</system-reminder>'));
    assertCause(bustBetween(first, second), 'system-reminder', 'messages[2].content[2].text');
  });

});

describe('CacheTracker: backend slots', () => {
  function interleave(slots: number): Observation[] {
    const tracker = new CacheTracker({ slots });
    return [
      observe(tracker, forwarded(conversation(1)), DEFAULT_SESSION_ID),
      observe(tracker, forwarded(conversation(1, 6000, 'Summarise the rewrite module.')), OTHER_SESSION),
      observe(tracker, forwarded(conversation(2)), DEFAULT_SESSION_ID),
      observe(tracker, forwarded(conversation(2, 6000, 'Summarise the rewrite module.')), OTHER_SESSION),
    ];
  }

  test('two conversations on one slot evict each other: slot-evicted', () => {
    const [, other, again, otherAgain] = interleave(1);
    assert.equal(other.turn, 1);
    assert.equal(other.bust, null, 'a first turn is never a miss');
    assert.ok(other.reuse > 0.8, 'system and tools are shared');
    for (const [observation, evictor] of [[again, OTHER_SESSION], [otherAgain, DEFAULT_SESSION_ID]] as const) {
      assert.equal(observation.turn, 2);
      assert.equal(observation.conversationReuse, 1);
      assert.ok(observation.bust !== null);
      assertCompact(observation.bust);
      assertCause(observation.bust, 'slot-evicted', /^messages\[0\]\.content\[1\]\.text$/);
      assert.equal(observation.bust.evictedBy, `session ${evictor.slice(0, 6)}`);
      // They share system and tools, far more than a tenth of each prompt: with any number of slots the backend
      // gives the other one this slot, so more slots are no fix.
      assert.equal(observation.slotsNeeded, null);
      assert.equal(observation.bust.remedy, `session ${evictor.slice(0, 6)} took this conversation's cache slot. No number of slots up to 8 keeps it, `
        + 'as the backend picks slots (a prompt sharing over a tenth of itself with a slot takes that slot, not an empty one). '
        + 'Fix: send the other conversation to a model with a different weights file (a second file costs its memory)');
      assert.ok(observation.reusedChars < (observation.conversationChars ?? 0));
    }
  });

  test('on two slots, a conversation sharing system and tools with a slot lands in it, as llama-server picks, and evicts it', () => {
    // llama-server takes the slot whose shared prefix is the largest share of the prompt above a tenth, even
    // when all it holds does not begin this prompt; an empty slot is never picked for its likeness.
    const [first, other, again, otherAgain] = interleave(2);
    assert.ok(other.reuse > 0.1, 'system and tools are more than a tenth of the prompt');
    assert.equal(other.slot, first.slot);
    assert.equal(again.slot, first.slot);
    assert.equal(again.bust?.cause, 'slot-evicted');
    assert.equal(otherAgain.bust?.cause, 'slot-evicted');
  });

  test('on two slots, a conversation sharing at most a tenth takes the least recently used slot and each keeps its own', () => {
    const tracker = new CacheTracker({ slots: 2 });
    const body = (system: string, turns: number): MessagesRequest => ({ ...forwarded(conversation(turns, 6000, `${system}: what does it do?`)), system, tools: [] });
    const first = observe(tracker, body('You review TypeScript modules', 1), DEFAULT_SESSION_ID);
    const other = observe(tracker, body('Answer questions on Go code', 1), OTHER_SESSION);
    assert.ok(other.reuse <= 0.1);
    assert.notEqual(other.slot, first.slot);
    const again = observe(tracker, body('You review TypeScript modules', 2), DEFAULT_SESSION_ID);
    const otherAgain = observe(tracker, body('Answer questions on Go code', 2), OTHER_SESSION);
    for (const [observation, slot] of [[again, first.slot], [otherAgain, other.slot]] as const) {
      assert.equal(observation.slot, slot);
      assert.equal(observation.bust, null);
      assert.equal(observation.reusedChars, observation.conversationChars);
    }
  });

  test('a subagent under the same session is a conversation of its own', () => {
    for (const slots of [1, 2]) {
      const tracker = new CacheTracker({ slots });
      observe(tracker, forwarded(conversation(1)));
      observe(tracker, forwarded(conversation(2)));
      const subagent = observe(tracker, forwarded(conversation(0, 6000, 'Find every caller of rewriteBody and list them.')));
      assert.equal(subagent.session, `${DEFAULT_SESSION_ID.slice(0, 6)}/2`);
      assert.equal(subagent.turn, 1);
      assert.equal(subagent.bust, null);
      const subagentAgain = observe(tracker, forwarded(conversation(1, 6000, 'Find every caller of rewriteBody and list them.')));
      assert.equal(subagentAgain.turn, 2);
      const main = observe(tracker, forwarded(conversation(3)));
      assert.equal(main.session, DEFAULT_SESSION_ID.slice(0, 6));
      assert.equal(main.turn, 3);
      assert.equal(main.conversationReuse, 1);
      // On two slots too: it shares system and tools with the main conversation's slot, which llama-server gives it.
      assert.equal(main.bust?.cause, 'slot-evicted');
      assert.deepEqual(subagent.agent, { id: `${DEFAULT_SESSION_ID.slice(0, 6)}/2`, parent: null, inferred: true });
      assert.equal(main.agent, null);
      // Whatever the number of slots, the subagent takes the main conversation's: only another weights file helps.
      assert.equal(main.slotsNeeded, null);
      if (slots === 1) {
        assert.equal(main.bust?.evictedBy, `conversation ${DEFAULT_SESSION_ID.slice(0, 6)}/2 (a subagent, by its prompt)`);
        assert.match(main.bust?.remedy ?? '', /No number of slots up to 8 keeps it, .*Fix: run subagents on a model with a different weights file/);
      }
    }
  });

  test('each model has slots of its own', () => {
    const tracker = new CacheTracker();
    observe(tracker, forwarded(conversation(1)));
    observe(tracker, forwarded(conversation(0), { model: 'qwen3:4b' }), OTHER_SESSION);
    assert.equal(observe(tracker, forwarded(conversation(2))).bust, null);
  });

  test('clearBackend forgets what the slots held: a cold backend reuses nothing but evicted nobody', () => {
    const tracker = new CacheTracker();
    observe(tracker, forwarded(conversation(1)));
    tracker.clearBackend();
    const next = observe(tracker, forwarded(conversation(2)));
    assert.equal(next.reusedChars, 0);
    assert.equal(next.conversationReuse, 1);
    assert.equal(next.bust, null);
  });

  test('counts the slots as the backend chooses them: two subagents alike share one slot, so the tree needs two, not three', () => {
    // Counting conversations by key (the main agent's calls span three) would ask for three slots. The backend
    // gives the second subagent the first one's slot, which shares most of its prompt, so two keep the main prefix.
    const tracker = new CacheTracker({ slots: 1 });
    const body = (system: string, task: string, turns: number): MessagesRequest => ({ ...forwarded(conversation(turns, 6000, `${system}: ${task}`)), system, tools: [] });
    const call = (agent: AgentRef | null, system: string, task: string, turns: number): Observation =>
      tracker.observe({ key: agentConversationKey(DEFAULT_SESSION_ID, agent), rendered: renderPrompt(body(system, task, turns)), rewriteMode: 'drop', agent });
    const main = 'You review TypeScript modules';
    const searcher = 'You are a file search specialist. Find files and report their paths';
    const first = { id: 'a1111111', parent: null };
    const second = { id: 'a2222222', parent: null };
    call(null, main, 'what does it do?', 1);
    call(first, searcher, 'find the rewrite module', 0);
    call(first, searcher, 'find the rewrite module', 1);
    call(second, searcher, 'find the tests of the tracker', 0);
    call(second, searcher, 'find the tests of the tracker', 1);
    const again = call(null, main, 'what does it do?', 2);
    assert.equal(again.bust?.cause, 'slot-evicted', 'one slot is not enough');
    assert.equal(again.slotsNeeded, 2);
    assert.match(again.bust?.remedy ?? '', /OLLAMA_NUM_PARALLEL=2 with --slots 2; this agent tree needs 2, as the backend picks slots; each slot is another context's worth of KV memory/);
  });

  test('counts a side call that takes an idle slot: two agents and a title call between them need three slots', () => {
    // Conversations alone span two, but the side call shares nothing and takes the least recently used slot: the main one's.
    const tracker = new CacheTracker({ slots: 1 });
    const body = (system: string, turns: number): MessagesRequest => ({ ...forwarded(conversation(turns, 6000, `${system}: what does it do?`)), system, tools: [] });
    const sub = { id: 'a3333333', parent: null };
    const call = (agent: AgentRef | null, system: string, turns: number, side = false): Observation =>
      tracker.observe({ key: agentConversationKey(DEFAULT_SESSION_ID, agent), rendered: renderPrompt(body(system, turns)), rewriteMode: 'drop', agent, side });
    call(null, 'You review TypeScript modules', 1);
    call(sub, 'You are a file search specialist', 0);
    call(null, 'Write a five word title for this conversation', 0, true);
    call(sub, 'You are a file search specialist', 1);
    const again = call(null, 'You review TypeScript modules', 2);
    assert.equal(again.slotsNeeded, 3);
  });

  test('with more conversations than slots, each sharing at most a tenth, the remedy asks for one more and says what it costs', () => {
    const tracker = new CacheTracker({ slots: 2 });
    const body = (system: string, turns: number): MessagesRequest => ({ ...forwarded(conversation(turns, 6000, `${system}: what does it do?`)), system, tools: [] });
    const systems = ['You review TypeScript modules', 'Answer questions on Go code', 'Summarise Rust crates'];
    systems.forEach((system, i) => observe(tracker, body(system, 1), `${i}0000000-0000-4000-8000-000000000000`));
    const again = observe(tracker, body(systems[0]!, 2), '00000000-0000-4000-8000-000000000000');
    assert.equal(again.bust?.cause, 'slot-evicted');
    assert.equal(again.slotsNeeded, 3);
    assert.match(again.bust?.remedy ?? '', /set OLLAMA_NUM_PARALLEL=3 with --slots 3 \(or more\) so each conversation keeps its prefix \(each slot is another context's worth of KV memory: Ollama allocates num_ctx × OLLAMA_NUM_PARALLEL\)$/);
  });

  test('with conversations that share system and tools, the remedy says no slot count keeps them', () => {
    const tracker = new CacheTracker({ slots: 2 });
    const prompts = ['First question?', 'Second question?', 'Third question?'];
    prompts.forEach((prompt, i) => observe(tracker, forwarded(conversation(1, 6000, prompt)), `${i}0000000-0000-4000-8000-000000000000`));
    const again = observe(tracker, forwarded(conversation(2, 6000, prompts[0])), '00000000-0000-4000-8000-000000000000');
    assert.equal(again.bust?.cause, 'slot-evicted');
    assert.equal(again.slotsNeeded, null);
    assert.match(again.bust?.remedy ?? '', /No number of slots up to 8 keeps it/);
  });
});

for (const rule of [GO_ENGINE_CHECKPOINTS, OLLAMA_CHECKPOINTS]) describe(`CacheTracker: a hybrid model resumes from its checkpoints (${rule.kind})`, () => {
  // One character a token, so the rule's positions read as characters.
  const hybrid = (): CacheTracker => new CacheTracker({ hybrid: () => ({ rule, charsPerToken: 1 }) });
  /** The same conversation with its last tool result edited: the prompt parts from the previous one near its end. */
  function edited(turns: number): MessagesRequest {
    const messages = conversation(turns, 20_000);
    const last = messages[messages.length - 1]!;
    if (!Array.isArray(last.content)) throw new Error('expected blocks');
    const block = last.content[0] as { type: string; content?: unknown };
    block.content = 'the file changed on disk';
    return forwarded(messages);
  }

  test('a prompt that parts from its slot keeps only up to the last checkpoint before the divergence', () => {
    const tracker = hybrid();
    const first = renderPrompt(forwarded(conversation(3, 20_000)));
    observe(tracker, forwarded(conversation(3, 20_000)));
    const next = observe(tracker, edited(3));
    const common = next.conversationChars ?? 0;
    assert.ok(common < first.text.length, 'the prompt parts from the previous one');
    const ring = new CheckpointRing(rule);
    ring.evaluate(0, first.text.length);
    const kept = ring.restore(Number.POSITIVE_INFINITY, common);
    if (rule.kind === 'go-engine') assert.ok(kept > 0 && kept < common - 100, `a checkpoint before ${common}: ${kept}`);
    // llama-server's two lie within 512 tokens of the prompt's end, past the edited tool result: from scratch.
    else assert.equal(kept, 0);
    assert.equal(next.reusedChars, kept);
    // A dense model keeps the whole shared prefix.
    const dense = new CacheTracker();
    observe(dense, forwarded(conversation(3, 20_000)));
    assert.equal(observe(dense, edited(3)).reusedChars, common);
  });

  test('a prompt that extends its slot keeps all of it, and the checkpoints go on from where it left off', () => {
    const tracker = hybrid();
    let previous = 0;
    for (let turns = 0; turns < 4; turns++) {
      const observation = observe(tracker, forwarded(conversation(turns, 20_000)));
      assert.equal(observation.reusedChars, previous);
      previous = observation.promptChars;
    }
    // The edit parts from turn 3's prompt inside what turn 3 evaluated: it resumes from one of the checkpoints
    // before it (llama-server: turn 2's N − 512, which thinning kept as more than 8,192 past the one before).
    const next = observe(tracker, edited(3));
    assert.ok(next.reusedChars < (next.conversationChars ?? 0) && next.reusedChars > 0);
  });

  test('no rule for the model: the tracker keeps what the slot shares', () => {
    const tracker = new CacheTracker({ hybrid: () => null });
    observe(tracker, forwarded(conversation(3, 20_000)));
    const next = observe(tracker, edited(3));
    assert.equal(next.reusedChars, next.conversationChars);
  });
});

describe('CacheTracker: bounded memory', () => {
  test('keeps at most maxConversations conversations, least recently used out', () => {
    const tracker = new CacheTracker({ maxConversations: 64 });
    const session = (i: number): string => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
    const template = forwarded([]);
    const body = (i: number, turns: number): MessagesRequest => ({ ...template, messages: conversation(turns, 500, `Question number ${i}: what does module ${i} do?`) });
    let at100 = tracker.stats();
    for (let i = 0; i < 1000; i++) {
      observe(tracker, body(i, 0), session(i));
      observe(tracker, body(i, 1), session(i));
      if (i === 0) observe(tracker, body(0, 2), session(0));
      if (i === 99) at100 = tracker.stats();
    }
    const at1000 = tracker.stats();
    assert.equal(at100.conversations, 64);
    assert.equal(at1000.conversations, 64);
    assert.equal(at1000.models, 1);
    assert.ok(at1000.prompts <= 64 + tracker.slots);
    assert.ok(Math.abs(at1000.chars - at100.chars) <= at100.chars * 0.1, `${at100.chars} → ${at1000.chars} chars`);
    assert.ok(Math.abs(at1000.chunks - at100.chunks) <= at100.chunks * 0.1, `${at100.chunks} → ${at1000.chunks} chunks`);
    // Shared system + tools are held once, not once per conversation.
    const onePrompt = renderPrompt(body(999, 1)).text.length;
    assert.ok(at1000.chars < onePrompt * 8, `${at1000.chars} chars held for 64 conversations of ${onePrompt}`);
    // The first conversation was evicted: it starts over.
    assert.equal(observe(tracker, body(0, 3), session(0)).turn, 1);
  });

  test('keeps the conversations within maxHeldChars, least recently used out, the latest always', () => {
    const session = (i: number): string => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
    const template = forwarded([]);
    const body = (i: number): MessagesRequest => ({ ...template, messages: conversation(1, 20_000, `Question number ${i}: what does module ${i} do?`) });
    const promptChars = renderPrompt(body(0)).text.length;
    const tracker = new CacheTracker({ maxHeldChars: promptChars * 5 + 100 });
    for (let i = 0; i < 20; i++) observe(tracker, body(i), session(i));
    assert.equal(tracker.stats().conversations, 5);
    // The five latest are the ones kept: the sixth latest starts over, the latest goes on.
    assert.equal(observe(tracker, { ...body(14), messages: conversation(2, 20_000, 'Question number 14: what does module 14 do?') }, session(14)).turn, 1);
    assert.equal(observe(tracker, { ...body(19), messages: conversation(2, 20_000, 'Question number 19: what does module 19 do?') }, session(19)).turn, 2);
    const tiny = new CacheTracker({ maxHeldChars: 10 });
    assert.equal(observe(tiny, body(1), session(1)).turn, 1);
    assert.equal(tiny.stats().conversations, 1, 'the latest stays even when alone it is over the bound');
  });

  test('stores at most maxPromptChars of a prompt and still tracks long conversations', () => {
    const tracker = new CacheTracker({ maxPromptChars: 20_000 });
    for (let turns = 0; turns < 4; turns++) {
      const observation = observe(tracker, forwarded(conversation(turns)));
      assert.equal(observation.bust, null);
    }
    assert.ok(tracker.stats().chars <= 20_000);
  });

  test('rejects nonsensical options', () => {
    assert.throws(() => new CacheTracker({ slots: 0 }), RangeError);
    assert.throws(() => new CacheTracker({ maxConversations: 1.5 }), RangeError);
  });
});
