// The engine's host-memory prompt cache (llama-server's `--cache-ram`, on in
// Ollama 0.30+), over real HTTP on the real llama.cpp engine: a foreign chat
// that takes the one slot saves the conversation to RAM, and the
// conversation's next call loads it back; with the cache off (`--cache-ram 0`,
// Ollama before 0.30) the conversation is lost. And the architectures Ollama
// forces to one slot get one, whatever the configured parallelism.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { engineUnavailable } from '../bench/engine/llama.js';
import { startEngine, type RunningEngine } from '../bench/engine/open.js';
import { replay, type ReplayResult } from '../bench/engine/replay.js';
import type { EngineCall } from '../bench/engine/server.js';
import { needsEngine } from './support/requirements.js';

const skip = needsEngine(engineUnavailable());

const ask = (engine: RunningEngine, model: string, messages: object[]): Promise<ReplayResult> =>
  replay(engine.url, { path: '/v1/messages', headers: {}, body: JSON.stringify({ model, max_tokens: 2, messages }) });

/**
 * A conversation of about 3,000 tokens, then its next call in the same tool
 * loop (the answer rendered back as generated, so the next prompt extends the
 * previous one on every family); and a foreign chat sharing next to nothing with it.
 */
const history = Array.from({ length: 180 }, (_, i) => `fact ${i}: the conversation keeps its words`).join('\n');
const first = [{ role: 'user', content: history }];
const next = [
  ...first,
  { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: '/a' } }] },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'the file' }] },
];
// Long enough that the chat template's opening tokens, which it shares, stay under a tenth of it.
const foreign = [{ role: 'user', content: `Quick unrelated question from another editor: ${'what is a monad, and why would anyone want one? '.repeat(6)}` }];

async function conversationAfterForeign(engine: RunningEngine, model: string): Promise<{ first: EngineCall; foreign: EngineCall; next: EngineCall }> {
  for (const messages of [first, foreign, next]) assert.equal((await ask(engine, model, messages)).status, 200);
  const [a, b, c] = engine.calls.slice(-3) as [EngineCall, EngineCall, EngineCall];
  return { first: a, foreign: b, next: c };
}

for (const [model, hybrid] of [['dense', false], ['qwen3.6:35b-a3b', false], ['qwen3.6:35b-a3b', true]] as const) {
  describe(`llama.cpp engine: the prompt cache keeps a conversation a foreign chat pushed out of the one slot (${model}${hybrid ? ', generated hybrid model' : ''})`, { skip }, () => {
    let on: RunningEngine;
    let off: RunningEngine;
    before(async () => {
      const options = { size: 'test' as const, slots: 1, contextSize: 4096, hybrid, models: { dense: { family: 'template' as const } } };
      on = await startEngine(options);
      off = await startEngine({ ...options, cacheRamMib: 0 });
    });
    after(async () => { await on.close(); await off.close(); });

    it('saves the conversation when the foreign chat takes the slot, and loads it back for its next call', async () => {
      const r = await conversationAfterForeign(on, model);
      assert.ok(r.first.promptTokens > 1000, `${r.first.promptTokens} tokens`);
      assert.equal(r.foreign.slot, 0);
      assert.ok(r.foreign.savedTokens >= r.first.promptTokens, `saved ${r.foreign.savedTokens} of ${r.first.promptTokens}`);
      assert.equal(r.foreign.restoredTokens, 0);
      assert.ok(r.next.savedTokens > 0 && r.next.savedTokens < 300, `the foreign chat saved in turn: ${r.next.savedTokens}`);
      assert.ok(r.next.restoredTokens >= r.first.promptTokens, `restored ${r.next.restoredTokens}`);
      // The whole previous prompt, as if the foreign chat had never come.
      assert.ok(r.next.reused >= r.first.promptTokens - 1 && r.next.reused <= r.first.promptTokens + 2, `reused ${r.next.reused} of ${r.first.promptTokens}`);
    });

    it('with --cache-ram 0 (Ollama before 0.30) the conversation is lost', async () => {
      const r = await conversationAfterForeign(off, model);
      assert.equal(r.foreign.savedTokens, 0);
      assert.equal(r.next.restoredTokens, 0);
      assert.ok(r.next.reused < 50, `reused ${r.next.reused}`);
    });
  });
}

describe('llama.cpp engine: what a loaded state can restore on a hybrid model', { skip }, () => {
  // node-llama-cpp saves a sequence's state without its checkpoints (saveStateToFile: "TODO: save checkpoints to
  // disk"), so on the generated hybrid model a loaded state goes back to no earlier position, while the stand-in
  // carries its ring with the state as llama-server carries its checkpoints.
  // It parts a few dozen tokens before the first prompt's end: after llama-server's N − 512 checkpoint, before N − 4.
  const diverging = [{ role: 'user', content: `${history.slice(0, history.length - 80)} CHANGED` }];
  for (const hybrid of [false, true]) {
    it(hybrid ? 'generated hybrid model: a prompt parting inside the loaded state re-reads from 0' : 'stand-in: a prompt parting inside the loaded state resumes from the ring\'s last checkpoint before it', async () => {
      const engine = await startEngine({ size: 'test', slots: 1, contextSize: 4096, hybrid });
      try {
        for (const messages of [first, foreign, diverging]) assert.equal((await ask(engine, 'qwen3.6:35b-a3b', messages)).status, 200);
        const [a, , c] = engine.calls.slice(-3) as [EngineCall, EngineCall, EngineCall];
        assert.ok(c.restoredTokens >= a.promptTokens, `the conversation was loaded: ${c.restoredTokens}`);
        if (hybrid) assert.equal(c.reused, 0);
        else assert.equal(c.reused, a.promptTokens - 512, 'the checkpoint at N − 512 travelled with the state');
      } finally {
        await engine.close();
      }
    });
  }
});

describe('llama.cpp engine: a foreign prompt sharing most of the conversation cuts it in place, with no copy saved', { skip }, () => {
  let engine: RunningEngine;
  before(async () => { engine = await startEngine({ size: 'test', slots: 1, contextSize: 4096, models: { dense: { family: 'template' } } }); });
  after(async () => { await engine.close(); });

  it('keeps the shared head in the slot and saves nothing: the next call re-reads the tail (what a warm-up would repair)', async () => {
    // Another client sends the same long head with a tail of its own: it shares over a tenth of itself with the
    // slot and keeps at least half of it, so llama-server truncates the slot in place (prompt-cache.ts savesSlot).
    const tail = Array.from({ length: 40 }, (_, i) => `detail ${i} of this conversation only`).join('\n');
    const ours = [{ role: 'user', content: `${history}\n${tail}` }];
    const theirs = [{ role: 'user', content: `${history}\nAnother tool's question.` }];
    for (const messages of [ours, theirs, [...ours, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'next' }]]) {
      assert.equal((await ask(engine, 'dense', messages)).status, 200);
    }
    const [a, other, next] = engine.calls.slice(-3) as [EngineCall, EngineCall, EngineCall];
    assert.ok(other.reused > 0.5 * a.promptTokens, `the other prompt kept ${other.reused} of ${a.promptTokens}`);
    assert.equal(other.savedTokens, 0, 'cut in place, not saved');
    assert.equal(next.restoredTokens, 0);
    assert.ok(next.reused <= other.reused + 2 && next.reused < a.promptTokens - 300, `reused ${next.reused}: the head only, the tail re-read`);
  });
});

describe('llama.cpp engine: architectures Ollama forces to one slot', { skip }, () => {
  let engine: RunningEngine;
  before(async () => { engine = await startEngine({ size: 'test', slots: 2, contextSize: 4096, cacheRamMib: 0, models: { dense: { family: 'template' } } }); });
  after(async () => { await engine.close(); });

  it('gets one slot on the qwen3.5 family (qwen35) and the configured two elsewhere', async () => {
    const slotsUsed = async (model: string): Promise<number[]> => {
      const a = await ask(engine, model, first);
      const b = await ask(engine, model, foreign);
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      return engine.calls.slice(-2).map((c) => c.slot);
    };
    const dense = await slotsUsed('dense');
    assert.notEqual(dense[0], dense[1], 'two slots: the foreign chat takes the empty one');
    assert.deepEqual(await slotsUsed('qwen3.6:35b-a3b'), [0, 0], 'one slot, as Ollama forces for qwen35');
  });
});
