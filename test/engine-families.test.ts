// The engine's Ollama rules that need no llama.cpp: each family's renderer
// (what it does with inline system messages and with reasoning), the
// converter's thinking switch, the hybrid checkpoint rule, Ollama's
// truncation, and what a perfect stabiliser could reuse per family.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CheckpointRing, QWEN35_CHECKPOINTS } from '../main/core/diagnostics/checkpoints.js';
import { convertRequest, estimateInputTokens } from '../bench/engine/convert.js';
import { FAMILIES, family, libraryFamily, perfectCalls, perfectPrompt, perfectReuses } from '../bench/engine/families.js';
import { renderQwen35, renderQwen3Coder } from '../bench/engine/render-qwen.js';
import { cutMiddle, fitMessages } from '../bench/engine/truncate.js';

const READ_TOOL = {
  name: 'Read',
  description: 'Reads a file',
  input_schema: {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: { file_path: { type: 'string', description: 'The path' }, limit: { type: 'number', default: 10 } },
    required: ['file_path'],
    additionalProperties: false,
  },
};

/** A Claude Code 2.1.332 turn: system, first prompt, the `# Environment` system message, a tool loop. */
function session(extra: readonly object[] = []): Parameters<typeof convertRequest>[0] {
  return {
    system: [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.332.461; cc_entrypoint=sdk-cli;' }, { type: 'text', text: 'You are Claude Code.' }],
    tools: [READ_TOOL],
    thinking: { type: 'adaptive' },
    output_config: { effort: 'high' },
    messages: [
      { role: 'user', content: 'read notes.md' },
      { role: 'system', content: '# Environment\nYou have been invoked in /p' },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'I should read it.', signature: '' }, { type: 'tool_use', id: 't1', name: 'Read', input: { file_path: '/p/notes.md', limit: 5 } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'notes body' }] },
      ...extra,
    ],
  };
}

describe('qwen3-coder renderer (model/renderers/qwen3coder.go)', () => {
  const prompt = renderQwen3Coder(convertRequest(session()));

  it('keeps the first system message and drops every later one', () => {
    assert.ok(prompt.startsWith('<|im_start|>system\nx-anthropic-billing-header: cc_version=2.1.332.461; cc_entrypoint=sdk-cli;You are Claude Code.\n\n# Tools'));
    assert.ok(!prompt.includes('# Environment'));
  });

  it("lists tools through Ollama's structs (unknown schema keys gone) and never prints reasoning", () => {
    assert.ok(prompt.includes('<function>\n<name>Read</name>\n<description>Reads a file</description>\n<parameters>\n<parameter>\n<name>file_path</name>\n<type>string</type>\n<description>The path</description>\n</parameter>\n<parameter>\n<name>limit</name>\n<type>number</type>\n</parameter>\n<required>["file_path"]</required>\n</parameters>\n</function>'));
    assert.ok(!prompt.includes('default') && !prompt.includes('$schema') && !prompt.includes('additionalProperties'));
    assert.ok(!prompt.includes('I should read it.'));
    assert.ok(prompt.endsWith('<|im_start|>assistant\n\n<tool_call>\n<function=Read>\n<parameter=file_path>\n/p/notes.md\n</parameter>\n<parameter=limit>\n5\n</parameter>\n</function>\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\nnotes body\n</tool_response><|im_end|>\n<|im_start|>assistant\n'));
  });
});

describe('qwen3.5 renderer (model/renderers/qwen35.go)', () => {
  it('renders a later system message where it stands', () => {
    const prompt = renderQwen35(convertRequest(session()));
    assert.ok(prompt.includes('<|im_start|>user\nread notes.md<|im_end|>\n<|im_start|>system\n# Environment\nYou have been invoked in /p<|im_end|>\n<|im_start|>assistant\n'));
    assert.ok(prompt.includes('\n\nx-anthropic-billing-header: cc_version=2.1.332.461; cc_entrypoint=sdk-cli;You are Claude Code.<|im_end|>\n'), 'the top system prompt follows the tools');
    assert.ok(prompt.includes('<tools>\n{"type": "function", "function": {"name": "Read", "description": "Reads a file", "parameters": {"type": "object", "required": ["file_path"], "properties": {"file_path": {"type": "string", "description": "The path"}, "limit": {"type": "number"}}}}}\n</tools>'));
  });

  it('prints reasoning only after the last user query, so the next prompt strips it from the previous turn', () => {
    const inTurn = renderQwen35(convertRequest(session()));
    assert.ok(inTurn.includes('<|im_start|>assistant\n<think>\nI should read it.\n</think>\n\n<tool_call>\n<function=Read>\n<parameter=file_path>\n/p/notes.md\n</parameter>\n<parameter=limit>\n5\n</parameter>\n</function>\n</tool_call><|im_end|>\n'));
    assert.ok(inTurn.endsWith('<|im_start|>user\n<tool_response>\nnotes body\n</tool_response><|im_end|>\n<|im_start|>assistant\n<think>\n'));
    const next = renderQwen35(convertRequest(session([{ role: 'assistant', content: [{ type: 'thinking', thinking: 'done' }, { type: 'text', text: 'It says hi.' }] }, { role: 'user', content: 'thanks' }])));
    assert.ok(!next.includes('I should read it.') && !next.includes('done'));
    assert.ok(next.includes('<|im_start|>assistant\n<tool_call>'));
    // The two prompts part at the previous turn's first assistant message.
    let common = 0;
    while (inTurn[common] === next[common]) common++;
    assert.equal(common, inTurn.indexOf('<|im_start|>assistant\n<think>') + '<|im_start|>assistant\n<t'.length);
  });

  it('treats a user message holding only tool results as no new query', () => {
    // Ollama's converter makes a tool_result-only user message a `tool` message: the query stays the first prompt.
    const prompt = renderQwen35(convertRequest(session([{ role: 'assistant', content: [{ type: 'thinking', thinking: 'second' }, { type: 'text', text: 'ok' }] }])));
    assert.ok(prompt.includes('<think>\nI should read it.\n</think>') && prompt.includes('<think>\nsecond\n</think>\n\nok'));
  });

  it('turns thinking off when the client disables it, with an empty think block to answer in', () => {
    const off = { ...session(), thinking: { type: 'disabled' } };
    const prompt = renderQwen35(convertRequest(off));
    assert.ok(!prompt.includes('I should read it.'));
    assert.ok(prompt.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'));
  });
});

describe("Ollama's converter: thinking and the estimated input", () => {
  it('maps thinking and effort as anthropic.go does', () => {
    const think = (body: object): unknown => convertRequest({ messages: [], ...body }).think;
    assert.equal(think({ thinking: { type: 'adaptive' }, output_config: { effort: 'high' } }), 'high');
    assert.equal(think({ output_config: { effort: 'xhigh' } }), 'high');
    assert.equal(think({ thinking: { type: 'enabled' }, output_config: { effort: 'low' } }), true);
    assert.equal(think({ thinking: { type: 'disabled' }, output_config: { effort: 'high' } }), false);
    assert.equal(think({ thinking: { type: 'adaptive' } }), null);
  });

  it('estimates message_start input tokens as a quarter of the characters', () => {
    assert.equal(estimateInputTokens({ system: 'abcd', messages: [{ role: 'user', content: 'efghijkl' }] }), 4);
    assert.equal(estimateInputTokens({ messages: [{ role: 'user', content: '' }] }), 1);
  });
});

describe('model families', () => {
  it('names the families Ollama picks for the models people run, and what /api/show reports', () => {
    assert.equal(libraryFamily('qwen3.6:35b-a3b'), 'qwen3.5');
    assert.equal(libraryFamily('qwen3.5:27b'), 'qwen3.5');
    assert.equal(libraryFamily('qwen3-coder:30b'), 'qwen3-coder');
    assert.equal(libraryFamily('qwen2.5-coder:32b'), 'template');
    assert.deepEqual(FAMILIES.map((f) => [f.name, f.renderer, f.inlineSystem]), [['template', '', 'hoisted'], ['qwen3-coder', 'qwen3-coder', 'dropped'], ['qwen3.5', 'qwen3.5', 'in place']]);
  });

  it("renders a perfect stabiliser's prompt per family: billing gone, inline system text delivered", () => {
    const raw = JSON.stringify(session());
    for (const f of FAMILIES) {
      const prompt = perfectPrompt(f, raw);
      assert.ok(!prompt.includes('x-anthropic-billing-header'), f.name);
      assert.ok(prompt.includes('# Environment'), `${f.name}: the model reads the environment`);
    }
    assert.ok(perfectPrompt(family('qwen3.5'), raw).includes('<|im_start|>system\n# Environment'), 'qwen3.5 keeps it in place as sent');
    assert.ok(perfectPrompt(family('qwen3-coder'), raw).includes('<|im_start|>user\nread notes.md<|im_end|>\n<|im_start|>user\n# Environment'));
  });
});

describe('hybrid checkpoints (model/models/qwen35/checkpoints.go)', () => {
  it('checkpoints at batch ends at least 1,280 apart, and resumes after the last one before a divergence', () => {
    const ring = new CheckpointRing(QWEN35_CHECKPOINTS);
    assert.deepEqual(ring.evaluate(0, 3000), [511, 2047], 'the positions to take, for a real hybrid model');
    assert.deepEqual(ring.positions, [511, 2047]);
    assert.equal(ring.clone().restore(3000, 3000), 3000, 'a prompt that extends the cache keeps it all');
    assert.equal(ring.clone().restore(3000, 2048), 2048);
    assert.equal(ring.clone().restore(3000, 2000), 512);
    assert.equal(ring.clone().restore(3000, 400), 0);
    const pruned = ring.clone();
    assert.equal(pruned.restore(3000, 1000), 512);
    assert.deepEqual(pruned.positions, [511], 'checkpoints past the restore point go');
  });

  it('makes none before position 16 and keeps a ring of 32', () => {
    const short = new CheckpointRing(QWEN35_CHECKPOINTS);
    assert.deepEqual(short.evaluate(0, 10), []);
    assert.deepEqual(short.positions, []);
    const long = new CheckpointRing({ ...QWEN35_CHECKPOINTS, interval: 1, batch: 1 });
    long.evaluate(0, 100);
    assert.equal(long.positions.length, 32);
    assert.equal(Math.min(...long.positions), 68);
  });

  it("bounds a perfect stabiliser's reuse on the hybrid family by the earlier call's checkpoints", () => {
    const base = Array.from({ length: 3000 }, (_, i) => 1000 + i);
    const diverged = [...base.slice(0, 2000), 7, 8, 9];
    const extended = [...base, 5, 6];
    assert.deepEqual(perfectReuses(family('template'), [base, diverged, extended]), [0, 2000, 3000]);
    assert.deepEqual(perfectReuses(family('qwen3.5'), [base, diverged, extended]), [0, 512, 3000]);
  });
});

describe("Ollama's truncation (server/prompt.go, llm/llama_server.go)", () => {
  const m = (role: string, n: number): { role: string; n: number } => ({ role, n });
  const count = (kept: readonly { n: number }[]): number[] => Array.from({ length: kept.reduce((s, x) => s + x.n, 0) }, (_, i) => i);

  it('drops whole messages from the front, keeping their system messages, until the prompt fits', () => {
    const fitted = fitMessages([m('system', 10), m('user', 50), m('system', 5), m('assistant', 50), m('user', 20)], count, 40);
    assert.deepEqual(fitted.messages.map((x) => `${x.role}${x.n}`), ['system10', 'system5', 'user20']);
    assert.equal(fitted.dropped, 4);
    assert.equal(fitted.tokens.length, 35);
    const fits = fitMessages([m('user', 5)], count, 40);
    assert.equal(fits.dropped, 0);
  });

  it('then cuts the middle of a prompt still too long, keeping num_keep tokens', () => {
    const prompt = Array.from({ length: 150 }, (_, i) => i);
    const cut = cutMiddle(prompt, 100);
    assert.equal(cut.length, 52);
    assert.deepEqual(cut.slice(0, 5), [0, 1, 2, 3, 102]);
    assert.equal(cutMiddle(prompt.slice(0, 99), 100).length, 99);
  });
});

describe("a perfect stabiliser's best way per family", () => {
  // Characters stand in for tokens: the sums below are what each way leaves to evaluate.
  const chars = (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0));
  const base = session();
  const env = { role: 'system', content: `# Environment\n${'working directory words '.repeat(20)}` };
  const first = { ...base, messages: [{ role: 'user', content: `read notes.md ${'please '.repeat(40)}` }, env] };
  const edited = { ...base, messages: [{ role: 'user', content: [{ type: 'text', text: `read notes.md ${'please '.repeat(40)}\n` }, { type: 'text', text: '<system-reminder>Output token limit hit</system-reminder>' }] }, env] };
  const reminded = { ...base, messages: [...first.messages, { role: 'assistant', content: 'ok' }, { role: 'system', content: '<total_tokens>5 left</total_tokens>' }, { role: 'user', content: 'go on' }] };

  it('leaves a hoisted system message hoisted when the client edits an earlier message (the max-output recovery)', () => {
    const [, second] = perfectCalls(family('template'), chars, [JSON.stringify(first), JSON.stringify(edited)]);
    assert.equal(second!.onBackend.strategy, 'as sent');
  });

  it('folds a system message that arrives later (the countdown reminder)', () => {
    const [, second] = perfectCalls(family('template'), chars, [JSON.stringify(first), JSON.stringify(reminded)]);
    assert.equal(second!.onBackend.strategy, 'folded');
    assert.ok(second!.onBackend.reused >= chars(perfectPrompt(family('template'), JSON.stringify(first))).length - 1);
  });

  it('never sends a qwen3-coder body as it is, which would drop the system messages', () => {
    assert.deepEqual(family('qwen3-coder').strategies.map((s) => s.name), ['folded', 'hoisted']);
    const hoisted = perfectPrompt(family('qwen3-coder'), JSON.stringify(first), family('qwen3-coder').strategies[1]);
    assert.ok(hoisted.startsWith('<|im_start|>system\nYou are Claude Code.\n\n# Environment'));
  });
});
