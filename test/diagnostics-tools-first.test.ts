// The Qwen 3.5 renderer (ollama/ollama model/renderers/qwen35.go) writes the
// tools first and the system prompt after them. A subagent's system prompt
// differs from its main agent's while their tools do not, so on that family
// a subagent's first call reuses the tools from the main agent's slot (up to
// a hybrid model's checkpoint), and so does the main agent when it comes back.
// Rendered system first, the estimate said nothing was reused there (46
// points below the engine on the recorded 2.1.332 subagent session).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CacheTracker } from '../main/core/diagnostics/tracker.js';
import type { Observation } from '../main/core/diagnostics/tracker-types.js';
import { CheckpointRing, GO_ENGINE_CHECKPOINTS, OLLAMA_CHECKPOINTS, type CheckpointRule } from '../main/core/diagnostics/checkpoints.js';
import { classifyDivergence } from '../main/core/diagnostics/bust.js';
import { storePrompt } from '../main/core/diagnostics/stored-prompt.js';
import { renderPrompt } from '../main/core/diagnostics/render.js';
import { startsUserTurn } from '../main/core/diagnostics/turns.js';
import { rewriteRequestBody } from '../main/core/rewrite/index.js';
import { parseBodyBytes } from '../main/core/rewrite/body-bytes.js';
import type { PromptFamily } from '../main/core/wire/types.js';
import { loadRecording } from './support/recordings.js';

const tool = (name: string) => ({
  name,
  description: `${name}: ${'does what its name says, at length. '.repeat(40)}`,
  input_schema: { type: 'object', properties: { path: { type: 'string', description: 'where' } }, required: ['path'] },
});
const TOOLS = ['Read', 'Write', 'Edit', 'Bash', 'Grep', 'Glob'].map(tool);

const request = (system: string, question: string) => ({
  model: 'qwen3.6:35b-a3b',
  system: [{ type: 'text', text: system }],
  tools: TOOLS,
  messages: [{ role: 'user', content: question }],
});
const MAIN = request('You are Claude Code, the main agent. '.repeat(30), 'Find the bug in the parser.');
const SUB = request('You are a search subagent: read, never write. '.repeat(30), 'List every file that parses JSON.');

/** One character a token, so the rule's positions read as characters. */
const hybrid = (rule: CheckpointRule): CacheTracker => new CacheTracker({ hybrid: () => ({ rule, charsPerToken: 1 }) });

/** The main agent's prompt, then the subagent's first, through a tracker under `rule`. */
function mainThenSub(rule: CheckpointRule): { main: ReturnType<typeof renderPrompt>; sub: Observation } {
  const tracker = hybrid(rule);
  const main = renderPrompt(MAIN, 'qwen3.5');
  tracker.observe({ key: 's', rendered: main, rewriteMode: 'drop' });
  return { main, sub: tracker.observe({ key: 's', rendered: renderPrompt(SUB, 'qwen3.5'), rewriteMode: 'drop' }) };
}

/** The recorded 2.1.332 subagent session through a tracker under `rule`. */
function subagentSession(rule: CheckpointRule): Observation[] {
  const tracker = hybrid(rule);
  return loadRecording('cc-2.1.332-subagent').calls.map((call) => {
    const body = parseBodyBytes(rewriteRequestBody(Buffer.from(call.body, 'utf8'), 'drop').body);
    return tracker.observe({ key: 'session', rendered: renderPrompt(body, 'qwen3.5'), rewriteMode: 'drop', userTurn: startsUserTurn(body) });
  });
}

describe('qwen3.5 renders the tools before the system prompt', () => {
  test('the tools open the prompt, then a blank line and the system prompt, then the conversation', () => {
    const r = renderPrompt(MAIN, 'qwen3.5');
    assert.ok(r.text.startsWith('# Tools\n\nYou have access to the following functions:\n\n<tools>\n{"type": "function"'), r.text.slice(0, 80));
    assert.deepEqual([r.toolsStart, r.systemStart], [0, r.toolsEnd]);
    assert.equal(r.text.slice(r.systemStart, r.systemEnd), `\n\n${MAIN.system[0]!.text}`);
    assert.equal(r.messageStarts[0], r.systemEnd);
    assert.deepEqual(r.toolNames, TOOLS.map((t) => t.name));
    // Both Qwen renderers write the same tool list; qwen3.8 in the same place.
    assert.equal(renderPrompt(MAIN, 'qwen3.8').text.slice(0, r.toolsEnd), r.text.slice(0, r.toolsEnd));
  });

  test('qwen3-coder and the template path keep the system prompt first', () => {
    for (const family of ['qwen3-coder', 'template'] as PromptFamily[]) {
      const r = renderPrompt(MAIN, family);
      assert.ok(r.text.startsWith(MAIN.system[0]!.text), family);
      assert.deepEqual([r.systemStart, r.toolsStart], [0, r.systemEnd], family);
    }
  });

  test('with no system prompt there is no blank line after the tools', () => {
    const r = renderPrompt({ ...MAIN, system: [] }, 'qwen3.5');
    assert.equal(r.systemEnd, r.toolsEnd);
    assert.ok(r.text.slice(r.toolsEnd).startsWith('\n<|user|>'), JSON.stringify(r.text.slice(r.toolsEnd, r.toolsEnd + 12)));
  });

  test('a changed system prompt after the tools is still a system change, a changed tool a tools change', () => {
    const before = renderPrompt(MAIN, 'qwen3.5');
    const stored = storePrompt(before, null, 0, 1_000_000);
    const system = renderPrompt({ ...MAIN, system: [{ type: 'text', text: `${MAIN.system[0]!.text} Be brief.` }] }, 'qwen3.5');
    assert.equal(classifyDivergence(stored, system, before.systemEnd), 'system-changed');
    const tools = renderPrompt({ ...MAIN, tools: [...TOOLS.slice(0, 5), tool('WebFetch')] }, 'qwen3.5');
    const at = [...before.text].findIndex((c, i) => c !== tools.text[i]);
    assert.ok(at > 0 && at < before.toolsEnd);
    assert.equal(classifyDivergence(stored, tools, at), 'tools-changed');
  });
});

describe("a subagent on a hybrid qwen3.5 model under Ollama 0.29's Go engine reuses the tools from the main agent's slot", () => {
  test('its first call resumes from the last checkpoint inside the shared tools, as the engine does', () => {
    const { main, sub } = mainThenSub(GO_ENGINE_CHECKPOINTS);
    const ring = new CheckpointRing(GO_ENGINE_CHECKPOINTS);
    ring.evaluate(0, main.text.length);
    const shared = main.toolsEnd + 2 + 'You are '.length;
    const kept = ring.restore(Number.POSITIVE_INFINITY, shared);
    assert.ok(kept > 1000, `the tools hold a checkpoint: ${kept}`);
    assert.equal(sub.reusedChars, kept);
    assert.equal(sub.bust, null, 'a conversation of its own, not a rewrite of the main one');
  });

  test('the recorded 2.1.332 subagent session: no call of the subagent or the main agent after it is estimated at nothing', () => {
    const seen = subagentSession(GO_ENGINE_CHECKPOINTS);
    assert.equal(seen.length, 4);
    const [, sub, , back] = seen;
    // The interval ring keeps a checkpoint inside the tools, which the subagent shares.
    assert.ok(sub!.reuse > 0.3, `the subagent's first call: ${sub!.reuse}`);
    assert.ok(back!.reuse > 0.2, `the main agent back in its evicted slot: ${back!.reuse}`);
    assert.equal(back!.bust?.cause, 'slot-evicted');
  });
});

describe('the same on Ollama 0.30 and later (llama-server): its checkpoints lie near prompt ends, past the shared tools', () => {
  test("the subagent's first call keeps nothing: no checkpoint at or before the divergence", () => {
    const { main, sub } = mainThenSub(OLLAMA_CHECKPOINTS);
    // The main prompt's two checkpoints, N − 512 and N − 4, both past the tools' end.
    assert.ok(main.text.length - 512 > main.toolsEnd + 2);
    assert.equal(sub.reusedChars, 0);
    assert.equal(sub.bust, null);
  });

  test('the recorded 2.1.332 subagent session: the subagent and the main agent back in its slot start afresh', () => {
    const seen = subagentSession(OLLAMA_CHECKPOINTS);
    const [, sub, , back] = seen;
    assert.equal(sub!.reuse, 0);
    assert.equal(back!.reuse, 0);
    assert.equal(back!.bust?.cause, 'slot-evicted');
  });
});
