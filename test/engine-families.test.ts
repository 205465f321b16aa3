// The engine's Ollama rules that need no llama.cpp: each family's renderer
// (what it does with inline system messages and with reasoning), the
// converter's thinking switch, the hybrid checkpoint rule, Ollama's
// truncation, and what a perfect stabiliser could reuse per family.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkpointRuleFor, CheckpointRing, GO_ENGINE_CHECKPOINTS, LLAMA_SERVER_CHECKPOINTS, OLLAMA_CHECKPOINTS, parseVersion } from '../main/core/diagnostics/checkpoints.js';
import { convertRequest, estimateInputTokens } from '../bench/engine/convert.js';
import { FAMILIES, family, libraryFamily, perfectCalls, perfectPrompt, perfectReuses, withCheckpoints } from '../bench/engine/families.js';
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

describe("hybrid checkpoints: llama-server b10488's rule (Ollama 0.30 and later)", () => {
  it('takes two per request, before the batches that read the last B and the last 4 tokens, and restores exactly to one', () => {
    const ring = new CheckpointRing(OLLAMA_CHECKPOINTS);
    // Batches of 512 from 0, broken at 3000 − 512 and 3000 − 4, so that the last two read [2488, 2996) and [2996, 3000).
    assert.deepEqual(ring.plan(0, 3000).ends, [512, 1024, 1536, 2048, 2488, 2996, 3000]);
    assert.deepEqual(ring.evaluate(0, 3000), [2488, 2996], 'N − B and N − 4');
    assert.deepEqual(ring.positions, [2488, 2996]);
    assert.equal(ring.clone().restore(3000, 3000), 3000, 'a prompt that extends the slot keeps it all');
    assert.equal(ring.clone().restore(3000, 2999), 2996, 'one token short of the slot: back to N − 4');
    assert.equal(ring.clone().restore(3000, 2996), 2996, 'a checkpoint at the divergence itself serves');
    assert.equal(ring.clone().restore(3000, 2995), 2488);
    const pruned = ring.clone();
    assert.equal(pruned.restore(3000, 2990), 2488);
    assert.deepEqual(pruned.positions, [2488], 'checkpoints past the restore point go');
    const none = ring.clone();
    assert.equal(none.restore(3000, 2000), 0, 'no checkpoint at or before the divergence: from 0');
    assert.deepEqual(none.positions, []);
  });

  it('an entirely cached prompt goes back to N − 4, reads its last 4 tokens, and takes N − 4 again', () => {
    const ring = new CheckpointRing(OLLAMA_CHECKPOINTS);
    ring.evaluate(0, 3000);
    // The same 3,000 tokens again: at most 2,999 may be kept (the last is read for its logits).
    assert.equal(ring.restore(3000, 2999), 2996);
    assert.deepEqual(ring.plan(2996, 3000).ends, [3000]);
    assert.deepEqual(ring.evaluate(2996, 3000), [2996], 'b10488 does not replace one at the same place');
    assert.deepEqual(ring.positions, [2488, 2996], "the previous request's N − 4 is within 8,192 of 2,488: thinned");
  });

  it('takes N − B only when the request reads B tokens or more, and none on an empty state', () => {
    const short = new CheckpointRing(OLLAMA_CHECKPOINTS);
    short.evaluate(0, 3000);
    short.restore(3000, 3000);
    assert.deepEqual(short.evaluate(3000, 3200), [3196], '200 new tokens: N − 4 only');
    assert.deepEqual(new CheckpointRing(OLLAMA_CHECKPOINTS).evaluate(0, 400), [396]);
    assert.deepEqual(new CheckpointRing(OLLAMA_CHECKPOINTS).evaluate(0, 512), [508], 'N − B = 0 holds nothing');
    assert.deepEqual(new CheckpointRing(OLLAMA_CHECKPOINTS).plan(0, 400).ends, [396, 400]);
  });

  it("llama-server's own defaults (-b 2048 -ub 512): N − 516 and N − 4", () => {
    const ring = new CheckpointRing(LLAMA_SERVER_CHECKPOINTS);
    assert.deepEqual(ring.plan(0, 3000).ends, [2048, 2484, 2996, 3000]);
    assert.deepEqual(ring.evaluate(0, 3000), [2484, 2996]);
  });

  it('a cancelled request keeps the checkpoints taken before it stopped, and makes none while generating', () => {
    assert.deepEqual(new CheckpointRing(OLLAMA_CHECKPOINTS).evaluate(0, 3000, 2488), [], 'N − B is taken as the batch at 2,488 starts');
    assert.deepEqual(new CheckpointRing(OLLAMA_CHECKPOINTS).evaluate(0, 3000, 2996), [2488]);
    assert.deepEqual(new CheckpointRing(OLLAMA_CHECKPOINTS).generated(3000, 9000), []);
  });

  it("thins older requests' checkpoints to 8,192 apart from the oldest, keeping the current request's two", () => {
    const ring = new CheckpointRing(OLLAMA_CHECKPOINTS);
    let held = 0;
    for (const length of [3000, 6000, 12000, 20000]) {
      ring.evaluate(ring.restore(held, held), length);
      held = length;
    }
    // 3000: [2488, 2996]; 6000: 2996 ≤ 2488 + 8192 goes → [2488, 5488, 5996]; 12000: 5488 and 5996 go →
    // [2488, 11488, 11996]; 20000: 11488 > 10680 stays, 11996 ≤ 19680 goes.
    assert.deepEqual(ring.positions, [2488, 11488, 19488, 19996]);
  });

  it('keeps at most 32, the oldest out', () => {
    const ring = new CheckpointRing({ ...OLLAMA_CHECKPOINTS, minStep: 0 });
    for (let i = 1; i <= 20; i++) ring.evaluate(ring.restore((i - 1) * 1000, (i - 1) * 1000), i * 1000);
    // Two a request, 40 in all: requests 1 to 4's go.
    assert.equal(ring.positions.length, 32);
    assert.equal(ring.positions[0], 4488);
    const copy = ring.clone();
    copy.restore(20000, 10000);
    assert.equal(ring.positions.length, 32, 'a clone is independent');
  });
});

describe("hybrid checkpoints: Ollama's Go engine (0.17.1 to 0.29, kvcache/recurrent.go)", () => {
  it('checkpoints at batch ends at least 1,664 apart, and resumes at the last one before a divergence', () => {
    const ring = new CheckpointRing(GO_ENGINE_CHECKPOINTS);
    assert.deepEqual(ring.evaluate(0, 3000), [512, 2560], 'after the first batch, then 2,560 ≥ 512 + 1,664');
    assert.equal(ring.clone().restore(3000, 3000), 3000);
    assert.equal(ring.clone().restore(3000, 2600), 2560);
    assert.equal(ring.clone().restore(3000, 2000), 512);
    assert.equal(ring.clone().restore(3000, 400), 0);
    assert.deepEqual(ring.generated(3000, 4300), [4224], 'and while generating: 2,560 + 1,664');
  });

  it('makes none before position 16 and keeps a ring of 24', () => {
    assert.deepEqual(new CheckpointRing(GO_ENGINE_CHECKPOINTS).evaluate(0, 10), []);
    const long = new CheckpointRing({ ...GO_ENGINE_CHECKPOINTS, interval: 1, batch: 1 });
    long.evaluate(0, 100);
    // One after each token from position 16 (17 tokens held) on: 84, of which the newest 24.
    assert.equal(long.positions.length, 24);
    assert.equal(long.positions[0], 77);
  });
});

describe('hybrid checkpoints: which rule the proxy applies', () => {
  it('parses versions, and takes Ollama before 0.30 for the Go engine, else llama-server', () => {
    assert.deepEqual(parseVersion('0.32.15'), [0, 32, 15]);
    assert.deepEqual(parseVersion('0.33.0-rc2'), [0, 33, 0]);
    assert.deepEqual(parseVersion('v0.29'), [0, 29, 0]);
    for (const junk of ['garbage', '', null, undefined, '0.0.0', '1.x', '0.3a']) assert.equal(parseVersion(junk), null, String(junk));
    assert.equal(checkpointRuleFor(true, 'ollama', '0.29.3'), GO_ENGINE_CHECKPOINTS);
    assert.equal(checkpointRuleFor(true, 'ollama', '0.17.1'), GO_ENGINE_CHECKPOINTS);
    assert.equal(checkpointRuleFor(true, 'ollama', '0.30.0-rc1'), OLLAMA_CHECKPOINTS);
    assert.equal(checkpointRuleFor(true, 'ollama', '0.32.15'), OLLAMA_CHECKPOINTS);
    assert.equal(checkpointRuleFor(true, 'ollama', '1.2.0'), OLLAMA_CHECKPOINTS);
    assert.equal(checkpointRuleFor(true, 'ollama', null), OLLAMA_CHECKPOINTS, 'unknown: every release since 0.30 runs llama-server');
    assert.equal(checkpointRuleFor(true, 'ollama', '0.0.0'), OLLAMA_CHECKPOINTS, 'a source build');
    assert.equal(checkpointRuleFor(true, 'ollama', '0.30.0-llama.cpp-engine'), OLLAMA_CHECKPOINTS, 'the dev engine');
    assert.equal(checkpointRuleFor(true, 'llama-server', '0.29.0'), LLAMA_SERVER_CHECKPOINTS);
    assert.equal(checkpointRuleFor(false, 'ollama', '0.29.0'), null);
    assert.equal(checkpointRuleFor(true, 'vllm', null), null);
  });

  it("bounds a perfect stabiliser's reuse on the hybrid family by the earlier call's checkpoints", () => {
    const base = Array.from({ length: 3000 }, (_, i) => 1000 + i);
    const diverged = [...base.slice(0, 2990), 7, 8, 9];
    const extended = [...base, 5, 6];
    assert.deepEqual(perfectReuses(family('template'), [base, diverged, extended]), [0, 2990, 3000]);
    assert.deepEqual(perfectReuses(family('qwen3.5'), [base, diverged, extended]), [0, 2488, 3000], 'N − 512 of the first');
    assert.deepEqual(perfectReuses(withCheckpoints(family('qwen3.5'), 'go-engine'), [base, diverged, extended]), [0, 2560, 3000]);
  });

  it('resumes a conversation from its newest call, not from an earlier state the newer call continued', () => {
    // A thinking turn: call 2 holds all of call 1 and goes on; call 3 drops call 2's reasoning, parting 2 tokens
    // before call 1's end. Call 1's N − 4 lies before that, but call 2 thinned it (8,192 apart): back to N − 512.
    const first = Array.from({ length: 3000 }, (_, i) => 1000 + i);
    const second = [...first, ...Array.from({ length: 170 }, (_, i) => 5000 + i)];
    const third = [...first.slice(0, 2998), ...Array.from({ length: 250 }, (_, i) => 9000 + i)];
    assert.deepEqual(perfectReuses(family('qwen3.5'), [first, second, third]), [0, 3000, 2488]);
    assert.deepEqual(perfectReuses(family('template'), [first, second, third]), [0, 3000, 2998], 'a dense slot keeps the prefix either way');
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
