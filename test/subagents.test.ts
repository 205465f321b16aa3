// Subagents: the recorded 2.1.332 sessions that delegate, replayed
// through the proxy over real HTTP. Each agent is a conversation of its own,
// keyed by Claude Code's agent headers (or, for clients older than 2.1.268,
// recognised by its prompt); a main-agent call whose slot a subagent took is
// `slot-evicted`, naming the subagent and both fixes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from './support/proxy-harness.js';
import { send } from './support/http-client.js';
import { loadRecording, type RecordedCall, type RecordingName } from './support/recordings.js';
import type { CallRecord } from '../main/core/wire/types.js';
import type { InlineSystemMode } from '../main/core/rewrite/index.js';

const AGENT_HEADERS = /^x-claude-code-(parent-)?agent-id$/;

interface Replay {
  readonly records: CallRecord[];
  readonly calls: readonly RecordedCall[];
}

async function replay(name: RecordingName, slots: number, options: { agentHeaders?: boolean; inlineSystem?: InlineSystemMode } = {}): Promise<Replay> {
  const { calls } = loadRecording(name);
  const harness = await startHarness({ slots, inlineSystem: options.inlineSystem ?? 'fold' }, { timing: { prefillMs: 0, tokenDelayMs: 0, tokens: 2 } });
  try {
    for (const call of calls) {
      const headers = Object.fromEntries(Object.entries(call.headers).filter(([name]) => options.agentHeaders !== false || !AGENT_HEADERS.test(name)));
      const result = await send(harness.url, { method: call.method, path: call.path, headers, body: Buffer.from(call.body) });
      assert.equal(result.status, 200, result.text);
    }
    return { records: [...harness.proxy.status().recent], calls };
  } finally {
    await harness.close();
  }
}

function causes(records: readonly CallRecord[]): (string | null)[] {
  return records.map((r) => r.bust?.cause ?? null);
}

function assertNoWrongCause(records: readonly CallRecord[]): void {
  for (const record of records) {
    assert.ok(!['system-changed', 'tools-changed'].includes(record.bust?.cause ?? ''), `call ${record.id} is named ${record.bust?.cause}`);
  }
}

describe('a 2.1.332 session that delegates once (main, one subagent with a tool call, main)', () => {
  test('one slot: the subagent starts its own conversation; the main agent\'s return is slot-evicted, naming the subagent and both fixes', async () => {
    const { records, calls } = await replay('cc-2.1.332-subagent', 1);
    assert.deepEqual(calls.map((c) => c.role), ['main', 'subagent', 'subagent', 'main']);
    assertNoWrongCause(records);
    const [main1, sub1, sub2, main2] = records;
    const session = main1!.session;
    const subSession = `${session}/a2e12c9e`;
    assert.deepEqual([main1, sub1, sub2, main2].map((r) => [r!.session, r!.call]), [[session, 1], [subSession, 1], [subSession, 2], [session, 2]]);
    assert.equal(main1!.agent, null);
    assert.deepEqual(sub1!.agent, { id: 'a2e12c9e', parent: null, inferred: false });
    assert.deepEqual(causes(records), [null, null, null, 'slot-evicted']);
    assert.equal(main2!.bust!.evictedBy, `subagent a2e12c9e of session ${session}`);
    assert.equal(main2!.slotsNeeded, 2);
    assert.equal(main2!.bust!.remedy,
      `subagent a2e12c9e of session ${session} took this conversation's cache slot. Fix: more slots `
      + '(OLLAMA_NUM_PARALLEL=2 with --slots 2; this agent tree needs 2, as the backend picks slots; each slot is another context\'s worth '
      + 'of KV memory: Ollama allocates num_ctx × OLLAMA_NUM_PARALLEL), or run subagents on a model with a '
      + 'different weights file: Ollama keys its runners (and caches) by weights file, so an `ollama cp` alias shares the main model\'s '
      + 'cache, and a second file costs its memory (Settings › Subagent model, or `llm-cache-proxy snippet --subagent-model M` for CLAUDE_CODE_SUBAGENT_MODEL)');
  });

  test('two slots: nothing is a miss, and the main agent reuses its whole previous prompt', async () => {
    const { records } = await replay('cc-2.1.332-subagent', 2);
    assert.deepEqual(causes(records), [null, null, null, null]);
    const main2 = records[3]!;
    assert.equal(main2.conversationReuse, 1);
    assert.ok(main2.reuse > 0.95, `reused ${main2.reuse}`);
  });

  test('a client without agent headers (before 2.1.268): the subagent is recognised by its prompt', async () => {
    const { records } = await replay('cc-2.1.332-subagent', 1, { agentHeaders: false });
    assertNoWrongCause(records);
    const [main1, sub1, sub2, main2] = records;
    assert.equal(sub1!.session, `${main1!.session}/2`);
    assert.deepEqual([sub1!.call, sub2!.call, main2!.call], [1, 2, 2]);
    assert.deepEqual(sub1!.agent, { id: `${main1!.session}/2`, parent: null, inferred: true });
    assert.deepEqual(causes(records), [null, null, null, 'slot-evicted']);
    assert.equal(main2!.bust!.evictedBy, `conversation ${main1!.session}/2 (a subagent, by its prompt)`);
    assert.match(main2!.bust!.remedy, /--subagent-model/);
  });

  test('agent headers keep the tree even with inline system messages kept (the subagent\'s first call has two messages)', async () => {
    const { records } = await replay('cc-2.1.332-subagent', 1, { inlineSystem: 'keep' });
    assertNoWrongCause(records);
    assert.deepEqual(records.map((r) => r.call), [1, 1, 2, 2]);
  });
});

describe('a subagent that starts a subagent of its own', () => {
  test('the nested one names its parent; with one slot the main agent\'s return is slot-evicted, and the tree needs two slots, not one per agent', async () => {
    const { records, calls } = await replay('cc-2.1.332-nested-subagent', 1);
    assert.deepEqual(calls.map((c) => c.role), ['main', 'subagent', 'subagent', 'subagent', 'subagent', 'main']);
    assertNoWrongCause(records);
    const [, outer, inner] = records;
    assert.deepEqual(outer!.agent, { id: 'aa9af4b8', parent: null, inferred: false });
    assert.deepEqual(inner!.agent, { id: 'aee0f9e1', parent: 'aa9af4b8', inferred: false });
    assert.deepEqual(records.map((r) => r.call), [1, 1, 1, 2, 2, 2]);
    // The outer subagent's return finds the inner one's prompt in the slot, which begins with all but a few
    // characters of its own: the two share system, tools and (folded into the system) their opening context.
    assert.deepEqual(causes(records), [null, null, null, null, null, 'slot-evicted']);
    assert.ok(records[4]!.estimatedReuse > 0.9);
    assert.match(records[5]!.bust!.evictedBy!, /^subagent aa9af4b8 /);
    // Three agents, but the backend gives the inner subagent its parent's slot (below): two slots keep every
    // prefix, as the replay on two slots shows, and a third would be a context's worth of memory for nothing.
    assert.equal(records[5]!.slotsNeeded, 2);
    assert.match(records[5]!.bust!.remedy, /OLLAMA_NUM_PARALLEL=2 with --slots 2; this agent tree needs 2, as the backend picks slots/);
  });

  test('on two slots the inner subagent lands in its parent\'s slot, as llama-server picks, and the main agent keeps its own', async () => {
    // The inner one shares far more than a tenth of its prompt with the outer one's slot, and little with the
    // main agent's: llama-server gives it the outer one's slot, not the idle one, so two slots keep the main prefix.
    const two = await replay('cc-2.1.332-nested-subagent', 2);
    assert.deepEqual(causes(two.records), [null, null, null, null, null, null]);
    assert.ok(two.records[5]!.estimatedReuse > 0.9);
    const three = await replay('cc-2.1.332-nested-subagent', 3);
    assert.deepEqual(causes(three.records), [null, null, null, null, null, null]);
  });
});
