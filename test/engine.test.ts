// The real llama.cpp engine (bench/engine) behind the proxy, replaying a
// recorded real Claude Code session: tokens, not JSON text, decide what is
// reused. The prompt rendering that decides those tokens is checked first, on
// its own, against what Ollama's converter and template do.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { engineUnavailable } from '../bench/engine/llama.js';
import { startEngine, type RunningEngine } from '../bench/engine/open.js';
import { renderPrompt } from '../bench/engine/render.js';
import { clientBodies, fixSettings, replayRoute, routeName, routesFor, withModel, type CallMeasure, type SessionCall } from '../bench/engine/routes.js';
import { replay, type ReplayResult } from '../bench/engine/replay.js';
import { convertRequest, type MessagesBody } from '../bench/engine/convert.js';
import { family, perfectPrompt, perfectReuses, type FamilyName } from '../bench/engine/families.js';
import type { EngineCall } from '../bench/engine/server.js';
import { send, sseEvents } from './support/http-client.js';
import { loadRecording } from './support/recordings.js';
import { MODEL_SHAPES } from '../bench/engine/model.js';
import { contextCostFromModelInfo } from '../main/core/backends/model-shape.js';
import { needsEngine } from './support/requirements.js';

const skip = needsEngine(engineUnavailable());

describe('engine prompt rendering (Ollama anthropic.go + template.go collate)', () => {
  it('joins system blocks with no separator and gathers role:system messages at the top with blank lines', () => {
    const prompt = renderPrompt({
      system: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }],
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'system', content: '<total_tokens>5 tokens left</total_tokens>' },
        { role: 'user', content: 'next' },
      ],
    });
    assert.equal(prompt, '<|im_start|>system\nAB\n\n<total_tokens>5 tokens left</total_tokens><|im_end|>\n'
      + '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n<|im_start|>user\nnext<|im_end|>\n<|im_start|>assistant\n');
  });

  it('merges consecutive same-role messages with a blank line, renders a string and its text block alike', () => {
    const asString = renderPrompt({ messages: [{ role: 'user', content: 'one' }, { role: 'user', content: 'two' }] });
    const asBlocks = renderPrompt({ messages: [{ role: 'user', content: [{ type: 'text', text: 'one' }] }, { role: 'user', content: [{ type: 'text', text: 'two' }] }] });
    assert.equal(asString, '<|im_start|>user\none\n\ntwo<|im_end|>\n<|im_start|>assistant\n');
    assert.equal(asBlocks, asString);
  });

  it('drops thinking, renders tool calls and puts tool results before the user text', () => {
    const prompt = renderPrompt({
      tools: [{ name: 'Read', description: 'read a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } }],
      messages: [
        { role: 'user', content: 'read it' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'secret plan' }, { type: 'tool_use', id: 't1', name: 'Read', input: { file_path: '/a' } }] },
        { role: 'user', content: [{ type: 'text', text: 'thanks' }, { type: 'tool_result', tool_use_id: 't1', content: 'file body' }] },
      ],
    });
    assert.ok(!prompt.includes('secret plan'));
    assert.ok(prompt.includes('<tools>\n{"type": "function", "function": {"name":"Read","description":"read a file","parameters":{"properties":{"file_path":{"type":"string"}},"type":"object"}}}\n</tools>'));
    assert.ok(prompt.includes('<tool_call>\n{"name": "Read", "arguments": {"file_path":"/a"}}\n</tool_call><|im_end|>\n'));
    assert.ok(prompt.includes('<tool_response>\nfile body\n</tool_response><|im_end|>\n<|im_start|>user\nthanks<|im_end|>'));
  });
});

describe('perfect stabiliser reference', () => {
  it('drops only the billing block and keeps role:system messages in place', () => {
    const prompt = perfectPrompt(family('template'), JSON.stringify({
      system: [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.139.8cd; cch=f31a8;' }, { type: 'text', text: 'You are Claude.' }],
      messages: [{ role: 'user', content: 'hi' }, { role: 'system', content: 'reminder' }],
    }));
    assert.equal(prompt, '<|im_start|>system\nYou are Claude.<|im_end|>\n<|im_start|>user\nhi\n\nreminder<|im_end|>\n<|im_start|>assistant\n');
  });

  it('names the fixes for a recording by the kinds of call it holds, each measured without and through the proxy', () => {
    const roles = (...r: ('main' | 'side' | 'subagent')[]): { role: 'main' | 'side' | 'subagent' }[] => r.map((role) => ({ role }));
    assert.deepEqual(fixSettings(roles('main', 'main')), []);
    assert.deepEqual(fixSettings(roles('side', 'main')), ['side-model']);
    assert.deepEqual(fixSettings(roles('main', 'subagent', 'main')), ['slots-2', 'subagent-model']);
    assert.deepEqual(routesFor(roles('main', 'main')).map(routeName), ['direct', 'ideal', 'proxy']);
    assert.deepEqual(routesFor(roles('side', 'main'), true).map(routeName), ['direct', 'ideal', 'proxy', 'proxy-off', 'direct+side-model', 'proxy+side-model']);
  });

  it("sends the client's half of a fix on every path, and the proxy's half only through it", () => {
    const call = (role: 'main' | 'side' | 'subagent'): SessionCall => ({ t: 0, role, path: '/v1/messages', headers: {}, body: '{"model":"m","messages":[]}' });
    const model = (c: SessionCall): string => (JSON.parse(c.body) as { model: string }).model;
    const calls = [call('side'), call('main'), call('subagent')];
    // Straight in, side calls go to a second model as the client's own setting sends them; through the proxy, --side-model does it.
    assert.deepEqual(clientBodies(calls, { path: 'direct', setting: 'side-model' }).map(model), ['llm-cache-proxy-side:latest', 'm', 'm']);
    assert.deepEqual(clientBodies(calls, { path: 'proxy', setting: 'side-model' }).map(model), ['m', 'm', 'm']);
    assert.deepEqual(clientBodies(calls, { path: 'proxy', setting: 'subagent-model' }).map(model), ['m', 'm', 'llm-cache-proxy-side:latest']);
    assert.deepEqual(clientBodies(calls, { path: 'direct', setting: 'slots-2' }), calls);
  });

  it('sends a recorded call for another model with every other byte as recorded', () => {
    const body = '{"model":"qwen3:8b","messages":[{"role":"user","content":"caf\\u00e9 \\"model\\":\\"qwen3:8b\\""}]}';
    const changed = withModel(body, 'side:latest');
    assert.equal(changed, body.replace('"model":"qwen3:8b"', '"model":"side:latest"'));
    assert.equal((JSON.parse(changed) as { model: string }).model, 'side:latest');
    assert.throws(() => withModel('{"messages":[]}', 'x'));
  });

  it('takes the longest prefix shared with any earlier call, keeping one token to evaluate', () => {
    const reuse = (prompts: number[][]): number | undefined => perfectReuses(family('template'), prompts).at(-1);
    assert.equal(reuse([[1, 2, 3], [9, 9], [1, 2, 3, 4]]), 3);
    assert.equal(reuse([[1, 2, 3], [1, 2, 3]]), 2);
    assert.equal(reuse([[1, 2, 3], [5]]), 0);
    // Only a template header in common (under 10% of the prompt): a new conversation, nothing to reuse.
    assert.equal(reuse([[1, 2, 3], [1, ...Array.from({ length: 20 }, (_, k) => k + 10)]]), 0);
  });
});

describe('llama.cpp engine behind the proxy, replaying cc-2.1.139-bare-resume', { skip }, () => {
  const calls = loadRecording('cc-2.1.139-bare-resume').calls;
  const options = { engine: { size: 'test' as const, contextSize: 8192 } };
  let direct: CallMeasure[];
  let ideal: CallMeasure[];
  let proxied: CallMeasure[];
  let rewriteOff: CallMeasure[];
  let expired: CallMeasure[];
  const problems: string[] = [];

  before(async () => {
    const run = async (path: 'direct' | 'ideal' | 'proxy' | 'proxy-off', keepAliveMs?: number): Promise<CallMeasure[]> => {
      const r = await replayRoute(calls, { path, setting: null }, { ...options, ...(keepAliveMs === undefined ? {} : { keepAliveMs }) });
      problems.push(...r.problems);
      return r.measures;
    };
    direct = await run('direct');
    ideal = await run('ideal');
    proxied = await run('proxy');
    rewriteOff = await run('proxy-off');
    // The recording's second call came 2.1 s after its first, its third 1.2 s after that.
    expired = await run('proxy', 1500);
  });

  it('answers every call, and every call has its engine and proxy record', () => {
    assert.deepEqual(problems, []);
    for (const m of [...direct, ...ideal, ...proxied, ...rewriteOff]) assert.equal(m.status, 200, m.error ?? '');
  });

  it('through the proxy, and from the ideal client, every resumed turn reuses exactly the tokens a perfect stabiliser could', () => {
    for (const route of [proxied, ideal]) {
      for (const m of route.slice(1)) {
        assert.ok(m.perfect > 1000, `call ${m.index}: a resumed turn shares its whole earlier prompt (${m.perfect} tokens)`);
        assert.equal(m.reused, m.perfect, `call ${m.index}`);
        assert.equal(m.loss, null);
      }
    }
  });

  it('direct, and through the proxy with --rewrite off, resumed turns lose everything after the billing line, and the engine record says so', () => {
    for (const route of [direct, rewriteOff]) {
      for (const m of route.slice(1)) {
        assert.ok(m.reused < 0.1 * m.perfect, `call ${m.index}: reused ${m.reused} of ${m.perfect}`);
        assert.ok(m.evaluated > 0.9 * (m.evaluated + m.reused));
        assert.equal(m.loss, 'billing-header');
      }
    }
  });

  it('unloads the model after a pause longer than the keep-alive, and names that loss, through the proxy as well', () => {
    const [, second, third] = expired;
    assert.equal(second!.reused, 0);
    assert.equal(second!.loss, 'keep-alive-expired');
    // The pause before the third call was shorter: the reloaded runner kept the second call's prompt.
    assert.equal(third!.reused, third!.perfect);
    assert.equal(third!.loss, null);
  });

  it("keeps the proxy's reuse estimate within 3 points of the engine's count", () => {
    for (const m of [...proxied, ...rewriteOff]) {
      const truth = m.reused / (m.reused + m.evaluated);
      assert.ok(m.proxyEstimate !== null && Math.abs(m.proxyEstimate - truth) <= 0.03, `call ${m.index}: estimate ${m.proxyEstimate} vs ${truth}`);
    }
  });
});

describe('llama.cpp engine HTTP surface (Ollama-shaped)', { skip }, () => {
  let engine: RunningEngine;
  before(async () => { engine = await startEngine({ size: 'test', slots: 2, contextSize: 2048 }); });
  after(async () => { await engine.close(); });

  it('answers the health and model endpoints as Ollama does, with the context length in /api/ps', async () => {
    const head = await fetch(`${engine.url}/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await (await fetch(`${engine.url}/`)).text(), 'Ollama is running');
    assert.equal((await fetch(`${engine.url}/v1/messages/count_tokens`, { method: 'POST', body: '{}' })).status, 404);
    const tags = await (await fetch(`${engine.url}/api/tags`)).json() as { models: { name: string }[] };
    assert.equal(tags.models.length, 1);
    await replay(engine.url, { path: '/v1/messages', headers: {}, body: JSON.stringify({ model: 'm:1', max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] }) });
    const ps = await (await fetch(`${engine.url}/api/ps`)).json() as { models: { name: string; context_length: number }[] };
    assert.deepEqual(ps.models.map((m) => [m.name, m.context_length]), [['m:1', 2048]]);
  });

  it("answers POST /api/show with the model file's own GGUF keys, from which the proxy reads its shape", async () => {
    const show = await fetch(`${engine.url}/api/show`, { method: 'POST', body: JSON.stringify({ model: 'any:1' }) });
    const info = ((await show.json()) as { model_info: Record<string, unknown> }).model_info;
    const shape = MODEL_SHAPES.test;
    assert.equal(info['general.architecture'], 'llama');
    assert.equal(info['llama.embedding_length'], shape.embedding);
    assert.equal(info['llama.attention.head_count_kv'], shape.kvHeads);
    assert.deepEqual(info['tokenizer.ggml.tokens'], [], 'arrays over 5 entries are emptied, as Ollama does unless verbose');
    assert.equal(info['general.name'], undefined);
    const kv = (shape.embedding / shape.heads) * shape.kvHeads;
    const expected = (2 * shape.embedding) / (2 * shape.embedding ** 2 + 2 * shape.embedding * kv + 3 * shape.embedding * shape.feedForward);
    assert.ok(Math.abs(contextCostFromModelInfo(info)! - expected) < 1e-12);
    assert.equal((await fetch(`${engine.url}/api/show`, { method: 'POST', body: '{}' })).status, 400);
  });

  it('answers with usage as Ollama reports it, without cache figures; the truth goes to the bench on the side', async () => {
    const body = { model: 'm', max_tokens: 3, messages: [{ role: 'user', content: 'hello there' }] };
    const ok = await replay(engine.url, { path: '/v1/messages', headers: {}, body: JSON.stringify(body) });
    assert.equal(ok.status, 200);
    const truth = engine.calls[engine.calls.length - 1]!;
    assert.deepEqual(Object.keys(ok.usage ?? {}).sort(), ['input_tokens', 'output_tokens']);
    assert.equal(ok.usage?.['input_tokens'], truth.promptTokens, 'input_tokens is the whole prompt, reused or not (cache_n + prompt_n)');
    assert.ok(Number(ok.usage?.['output_tokens']) <= 3);
    const streamed = await send(engine.url, { method: 'POST', path: '/v1/messages', body: JSON.stringify({ ...body, stream: true }) });
    const events = sseEvents(streamed.body.toString('utf8'));
    const usages = events.flatMap((e) => [(e.data['message'] as { usage?: object } | undefined)?.usage, e.data['usage']]).filter((u) => u !== undefined);
    assert.equal(usages.length, 2);
    for (const u of usages) assert.deepEqual(Object.keys(u as object).sort(), ['input_tokens', 'output_tokens']);
    const side = (await (await fetch(`${engine.url}/engine/calls`)).json()) as { calls: { reused: number; promptTokens: number }[] };
    const last = side.calls[side.calls.length - 1]!;
    assert.equal(last.reused, last.promptTokens - 1, 'the repeated prompt was reused, which only the side channel says');
  });

  it('answers errors in the Anthropic shape, and cuts a prompt longer than the context as Ollama does', async () => {
    const bad = await fetch(`${engine.url}/v1/messages`, { method: 'POST', body: '{nope' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { type: string } }).error.type, 'invalid_request_error');
    const turns = Array.from({ length: 12 }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: `turn ${i} ${'word '.repeat(300)}` }));
    const long = JSON.stringify({ model: 'm', max_tokens: 1, system: 'the system prompt', messages: [...turns, { role: 'user', content: 'last question' }] });
    const cut = await fetch(`${engine.url}/v1/messages`, { method: 'POST', body: long });
    assert.equal(cut.status, 200);
    const call = engine.calls[engine.calls.length - 1]!;
    assert.ok(call.droppedMessages > 0 && call.droppedMessages < 13, `dropped ${call.droppedMessages} messages from the front`);
    assert.ok(call.promptTokens <= 2048, `${call.promptTokens} tokens fit the context`);
    const one = JSON.stringify({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'word '.repeat(3000) }] });
    assert.equal((await fetch(`${engine.url}/v1/messages`, { method: 'POST', body: one })).status, 200);
    const middle = engine.calls[engine.calls.length - 1]!;
    assert.equal(middle.droppedMessages, 0);
    assert.equal(middle.promptTokens, 2048 - Math.floor((2048 - 4) / 2), 'the last message alone is cut from the middle to num_ctx − (num_ctx − num_keep)/2');
    assert.ok(middle.cutTokens > 1000);
  });

  it('keeps two interleaved conversations in two slots, each reusing its own prefix exactly', async () => {
    // Long enough that the shared `<|im_start|>user` header is under llama-server's 10% similarity.
    const body = (topic: string, turns: number): string => JSON.stringify({
      model: 'm', max_tokens: 1, stream: true,
      messages: Array.from({ length: turns }, (_, i) => [
        { role: 'user', content: `${topic} question number ${i}: ${`${topic} words `.repeat(40)}` },
        { role: 'assistant', content: `${topic} answer ${i}` },
      ]).flat().slice(0, turns * 2 - 1),
    });
    const start = engine.calls.length;
    for (const turns of [1, 2]) {
      for (const topic of ['alpha', 'omega']) await replay(engine.url, { path: '/v1/messages', headers: {}, body: body(topic, turns) });
    }
    const [a1, o1, a2, o2] = engine.calls.slice(start);
    assert.notEqual(a1!.slot, o1!.slot);
    assert.equal(a2!.slot, a1!.slot);
    assert.equal(o2!.slot, o1!.slot);
    // Turn 2 begins with turn 1's whole prompt, which the slot still holds.
    assert.equal(a2!.reused, a1!.promptTokens);
    assert.equal(o2!.reused, o1!.promptTokens);
    assert.equal(a2!.evaluated, a2!.promptTokens - a2!.reused);
  });
});


const ask = (engine: RunningEngine, model: string, text: string, extra: object = {}): Promise<ReplayResult> =>
  replay(engine.url, { path: '/v1/messages', headers: {}, body: JSON.stringify({ model, max_tokens: 1, messages: [{ role: 'user', content: text }], ...extra }) });

describe('llama.cpp engine: runners keyed by weights file, as Ollama', { skip }, () => {
  let engine: RunningEngine;
  // One slot per runner: only a runner of its own keeps one model's conversation while another is called.
  before(async () => {
    engine = await startEngine({
      size: 'test', slots: 1, contextSize: 2048, maxLoaded: 2,
      models: { 'model-a': {}, 'alias-a': {}, 'model-b': { copy: 1 }, 'model-c': { copy: 2 } },
    });
  });
  after(async () => { await engine.close(); });
  const ps = async (): Promise<string[]> =>
    ((await (await fetch(`${engine.url}/api/ps`)).json()) as { models: { name: string }[] }).models.map((m) => m.name);

  const main = `main conversation ${'alpha words '.repeat(60)}`;
  const title = `a title call ${'omega words '.repeat(20)}`;

  it("shares one runner and its cache between two names for one file (an ollama cp alias)", async () => {
    const start = engine.calls.length;
    await ask(engine, 'model-a', main);
    await ask(engine, 'alias-a', `${main} and a follow-up`);
    await ask(engine, 'alias-a', title);
    await ask(engine, 'model-a', `${main} and a follow-up`);
    const [a1, alias, aliasTitle, a2] = engine.calls.slice(start);
    assert.equal(alias!.runner, a1!.runner);
    assert.ok(alias!.reused > 0.9 * a1!.promptTokens, `the alias reads the cache model-a left: ${alias!.reused} of ${a1!.promptTokens}`);
    assert.ok(aliasTitle!.reused < 20, 'only the template header in common');
    // The title call took the one slot; the runner's prompt cache (Ollama 0.30+) had saved the conversation and
    // gives it back: one runner, one slot and one prompt cache for both names (engine-prompt-cache.test.ts without it).
    assert.equal(aliasTitle!.savedTokens > 0, true, 'the title call saved the conversation to RAM');
    assert.ok(a2!.restoredTokens > 0 && a2!.reused > 0.9 * a2!.promptTokens, `model-a loaded what the alias left: reused ${a2!.reused} of ${a2!.promptTokens}`);
    assert.deepEqual(await ps(), ['model-a']);
  });

  it("keeps model A's slot when a model on another weights file is called, and lists both runners", async () => {
    const start = engine.calls.length;
    await ask(engine, 'model-a', main);
    await ask(engine, 'model-b', title);
    await ask(engine, 'model-a', `${main} and more`);
    const [a1, b1, a2] = engine.calls.slice(start);
    assert.notEqual(b1!.runner, a1!.runner);
    assert.equal(b1!.reused, 0);
    assert.ok(a2!.reused > 0.9 * a1!.promptTokens, `reused ${a2!.reused} of ${a1!.promptTokens}`);
    assert.deepEqual(await ps(), ['model-a', 'model-b']);
    const tags = ((await (await fetch(`${engine.url}/api/tags`)).json()) as { models: { name: string }[] }).models.map((m) => m.name);
    assert.deepEqual(tags, ['llm-cache-proxy-test:latest', 'model-a', 'alias-a', 'model-b', 'model-c']);
  });

  it('unloads the least recently used runner beyond the limit', async () => {
    await ask(engine, 'model-c', 'a third weights file');
    assert.deepEqual(await ps(), ['model-c', 'model-a']);
    const start = engine.calls.length;
    await ask(engine, 'model-b', title);
    // Model B's runner was unloaded for model C, so its same prompt again is read from scratch.
    assert.equal(engine.calls[start]!.reused, 0);
  });

  it('unloads a model on POST /api/generate with keep_alive 0 and loads it with no prompt, as ollama stop and ollama run do', async () => {
    const generate = async (body: object) => {
      const res = await fetch(`${engine.url}/api/generate`, { method: 'POST', body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { done_reason?: string; error?: string } };
    };
    await ask(engine, 'model-a', main);
    assert.equal((await generate({ model: 'model-a', keep_alive: 0 })).body.done_reason, 'unload');
    assert.ok(!(await ps()).includes('model-a'), 'gone from /api/ps');
    assert.equal((await generate({ model: 'model-a' })).body.done_reason, 'load');
    assert.equal((await ps())[0], 'model-a', 'loaded again, before any call');
    const start = engine.calls.length;
    await ask(engine, 'model-a', main);
    assert.ok(engine.calls[start]!.reused < 20, `the cache went with the unload: reused ${engine.calls[start]!.reused}`);
    assert.equal((await generate({ model: 'model-a', prompt: 'hi' })).status, 400, 'no generation here');
  });
});

/** A Claude Code 2.1.332-like first turn: a prompt, the `# Environment` system message, one tool call and its result. */
function turn(model: string, extra: readonly object[] = [], more: object = {}): string {
  return JSON.stringify({
    model, max_tokens: 2,
    system: [{ type: 'text', text: `You are Claude Code. ${'Follow the instructions words '.repeat(10)}` }],
    thinking: { type: 'adaptive' }, output_config: { effort: 'high' },
    messages: [
      { role: 'user', content: `read the notes ${'please words '.repeat(30)}` },
      { role: 'system', content: '# Environment\nYou have been invoked in /project' },
      { role: 'assistant', content: [{ type: 'thinking', thinking: `plan ${'think words '.repeat(40)}`, signature: '' }, { type: 'tool_use', id: 't1', name: 'Read', input: { file_path: '/project/notes.md' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: `notes ${'file words '.repeat(60)}` }] },
      ...extra,
    ],
    ...more,
  });
}

describe('llama.cpp engine: a renderer per family, chosen per model as Ollama chooses it', { skip }, () => {
  let engine: RunningEngine;
  before(async () => { engine = await startEngine({ size: 'test', slots: 3, contextSize: 4096 }); });
  after(async () => { await engine.close(); });
  const post = (body: string): Promise<ReplayResult> => replay(engine.url, { path: '/v1/messages', headers: {}, body });

  it('reports the renderer, parser and thinking capability in POST /api/show', async () => {
    const show = async (model: string): Promise<{ renderer?: string; parser?: string; capabilities: string[] }> =>
      (await (await fetch(`${engine.url}/api/show`, { method: 'POST', body: JSON.stringify({ model }) })).json()) as { renderer?: string; parser?: string; capabilities: string[] };
    const qwen36 = await show('qwen3.6:35b-a3b');
    assert.deepEqual([qwen36.renderer, qwen36.parser], ['qwen3.5', 'qwen3.5']);
    assert.ok(qwen36.capabilities.includes('thinking'));
    const coder = await show('qwen3-coder:30b');
    assert.deepEqual([coder.renderer, coder.parser], ['qwen3-coder', 'qwen3-coder']);
    assert.ok(!coder.capabilities.includes('thinking'));
    const template = await show('qwen2.5-coder:7b');
    assert.equal(template.renderer, undefined);
  });

  it("renders each family's way, which decides what a new inline system message costs", async () => {
    // The next call adds the model's answer, a new system reminder and a prompt: hoisted on the template path.
    const next = [
      { role: 'assistant', content: [{ type: 'text', text: 'The notes say hello.' }] },
      { role: 'system', content: '<system-reminder>a new reminder</system-reminder>' },
      { role: 'user', content: 'thanks' },
    ];
    const reuse: Record<string, { first: EngineCall; second: EngineCall }> = {};
    for (const [model, fam] of [['qwen2.5-coder:7b', 'template'], ['qwen3-coder:30b', 'qwen3-coder'], ['qwen3.6:35b-a3b', 'qwen3.5']] as const) {
      const first = await post(turn(model));
      const second = await post(turn(model, next, { thinking: { type: 'disabled' } }));
      assert.equal(first.status, 200, first.error ?? '');
      assert.equal(second.status, 200, second.error ?? '');
      const [a, b] = engine.calls.slice(-2);
      assert.equal(a!.family, fam);
      assert.equal(a!.promptTokens, engine.tokenize(family(fam).render(convertRequest(JSON.parse(turn(model)) as MessagesBody))).length);
      reuse[fam] = { first: a!, second: b! };
    }
    // Template path: the reminder joins the system prompt at the top, so only the system prompt before it is reused.
    const templateFirst = family('template').render(convertRequest(JSON.parse(turn('qwen2.5-coder:7b')) as MessagesBody));
    const systemPart = engine.tokenize(templateFirst.slice(0, templateFirst.indexOf('<|im_end|>'))).length;
    assert.ok(reuse['template']!.second.reused <= systemPart, `reused ${reuse['template']!.second.reused}, within the ${systemPart}-token system part`);
    assert.ok(reuse['template']!.second.reused < 0.5 * reuse['template']!.first.promptTokens);
    // qwen3-coder drops it (the model never reads it): the whole first prompt is reused.
    assert.equal(reuse['qwen3-coder']!.second.reused, reuse['qwen3-coder']!.first.promptTokens);
    // qwen3.5 keeps it in place, but this call turned thinking off, so the think block before the tool call is
    // gone; the prompt parts there, past the first prompt's N − 512 checkpoint (its prompt is a little over 512
    // tokens) and before its N − 4: the hybrid slot goes back to N − 512.
    const n = reuse['qwen3.5']!.first.promptTokens;
    assert.ok(n > 512, `${n} tokens`);
    assert.equal(reuse['qwen3.5']!.second.reused, n - 512);
  });

  it('answers a thinking family with a thinking block first, and only text when the client turns thinking off', async () => {
    const blocks = async (body: string): Promise<string[]> => {
      const res = await send(engine.url, { method: 'POST', path: '/v1/messages', body });
      return sseEvents(res.body.toString('utf8')).filter((e) => e.event === 'content_block_start').map((e) => (e.data['content_block'] as { type: string }).type);
    };
    const on = JSON.stringify({ model: 'qwen3.6:35b-a3b', max_tokens: 4, stream: true, output_config: { effort: 'high' }, messages: [{ role: 'user', content: 'hi there' }] });
    assert.deepEqual(await blocks(on), ['thinking', 'text']);
    const off = JSON.stringify({ model: 'qwen3.6:35b-a3b', max_tokens: 4, stream: true, thinking: { type: 'disabled' }, messages: [{ role: 'user', content: 'hi there' }] });
    assert.deepEqual(await blocks(off), ['text']);
    const coder = JSON.stringify({ model: 'qwen3-coder:30b', max_tokens: 4, stream: true, output_config: { effort: 'high' }, messages: [{ role: 'user', content: 'hi there' }] });
    assert.deepEqual(await blocks(coder), ['text']);
  });
});

for (const hybrid of [false, true]) describe(`llama.cpp engine: the hybrid checkpoint rule on the qwen3.5 family${hybrid ? ', on the generated hybrid model' : ''}`, { skip }, () => {
  let engine: RunningEngine;
  before(async () => { engine = await startEngine({ size: 'test', slots: 1, contextSize: 8192, hybrid, models: { dense: { family: 'template' } } }); });
  after(async () => { await engine.close(); });

  if (hybrid) {
    it('serves qwen3.5 from a qwen35 (hybrid) weights file and the template path from the dense one', async () => {
      const arch = async (model: string): Promise<unknown> => {
        const res = await send(engine.url, { method: 'POST', path: '/api/show', body: JSON.stringify({ model }) });
        return (JSON.parse(res.body.toString('utf8')) as { model_info: Record<string, unknown> }).model_info['general.architecture'];
      };
      assert.equal(await arch('qwen3.6:35b-a3b'), 'qwen35');
      assert.equal(await arch('dense'), 'llama');
    });
  }

  // About 3,000 tokens (N): llama-server's checkpoints at N − 512 and N − 4.
  const long = Array.from({ length: 360 }, (_, i) => `line ${i} of the words`).join('\n');
  const divergeAt = (fraction: number): string => {
    const at = Math.floor(long.length * fraction);
    return long.slice(0, at) + ' CHANGED ' + long.slice(at);
  };

  for (const [model, fam] of [['qwen3.6:35b-a3b', 'qwen3.5'], ['dense', 'template']] as const) {
    it(`${fam}: resumes ${fam === 'qwen3.5' ? 'after the last checkpoint before' : 'exactly at'} the divergence`, async () => {
      const results: { p: number; reused: number }[] = [];
      for (const fraction of [0.5, 0.85]) {
        await ask(engine, model, long);
        const first = engine.calls[engine.calls.length - 1]!;
        assert.ok(first.promptTokens > 2400 && first.promptTokens < 3300, `${first.promptTokens} tokens`);
        const changed = divergeAt(fraction);
        await ask(engine, model, changed);
        const second = engine.calls[engine.calls.length - 1]!;
        const render = (text: string): number[] => engine.tokenize(family(fam).render(convertRequest({ messages: [{ role: 'user', content: text }], thinking: { type: 'adaptive' } })));
        const a = render(long);
        const b = render(changed);
        let p = 0;
        while (a[p] === b[p]) p++;
        results.push({ p, reused: second.reused });
      }
      if (fam === 'qwen3.5') {
        // `long` was read afresh before each (the changed prompt before it parted from it with no checkpoint
        // before the divergence), so it holds its own two checkpoints only.
        const n = engine.calls[engine.calls.length - 2]!.promptTokens;
        assert.ok(results[0]!.p < n - 512, `divergence at ${results[0]!.p} of ${n}`);
        assert.equal(results[0]!.reused, 0, 'no checkpoint at or before it: from 0');
        assert.ok(results[1]!.p >= n - 512 && results[1]!.p < n - 4, `divergence at ${results[1]!.p} of ${n}`);
        assert.equal(results[1]!.reused, n - 512);
      } else {
        for (const r of results) assert.equal(r.reused, r.p);
      }
    });
  }

  it('qwen3.5: the same prompt again goes back to its N − 4 checkpoint and reads the last 4 tokens (a dense model: the last 1)', async () => {
    for (const [model, back] of [['qwen3.6:35b-a3b', 4], ['dense', 1]] as const) {
      await ask(engine, model, `${long} once more`);
      await ask(engine, model, `${long} once more`);
      const [first, again] = engine.calls.slice(-2);
      assert.equal(again!.promptTokens, first!.promptTokens);
      assert.equal(again!.reused, first!.promptTokens - back, model);
    }
  });
});

describe("llama.cpp engine: Ollama 0.29's Go-engine checkpoints on the qwen3.5 family (--checkpoints go-engine)", { skip }, () => {
  let engine: RunningEngine;
  before(async () => { engine = await startEngine({ size: 'test', slots: 1, contextSize: 8192, checkpoints: 'go-engine' }); });
  after(async () => { await engine.close(); });

  it('answers /api/version as an Ollama before 0.30, and resumes at the checkpoint after the first batch', async () => {
    const res = await send(engine.url, { method: 'GET', path: '/api/version' });
    assert.equal((JSON.parse(res.body.toString('utf8')) as { version: string }).version, '0.29.0-go-engine');
    const long = Array.from({ length: 360 }, (_, i) => `line ${i} of the words`).join('\n');
    await ask(engine, 'qwen3.6:35b-a3b', long);
    const at = Math.floor(long.length * 0.5);
    await ask(engine, 'qwen3.6:35b-a3b', `${long.slice(0, at)} CHANGED ${long.slice(at)}`);
    const [first, second] = engine.calls.slice(-2);
    // Checkpoints after the batches ending at 512 and 2,560 (≥ 512 + 1,664); the change, about halfway, lies between.
    assert.ok(first!.promptTokens > 2560, `${first!.promptTokens} tokens`);
    assert.equal(second!.reused, 512);
  });
});

describe('llama.cpp engine: live-client mode and refusing an over-long prompt', { skip }, () => {
  let live: RunningEngine;
  let refusing: RunningEngine;
  before(async () => {
    live = await startEngine({ size: 'test', contextSize: 2048, liveClient: 3, family: 'qwen3.5' });
    refusing = await startEngine({ size: 'test', contextSize: 2048, overflow: 'refuse' });
  });
  after(async () => { await live.close(); await refusing.close(); });

  it('ends every answer with end_turn after N tokens, whatever max_tokens asks', async () => {
    for (const maxTokens of [1, 50]) {
      const res = await send(live.url, { method: 'POST', path: '/v1/messages', body: JSON.stringify({ model: 'x', max_tokens: maxTokens, stream: true, messages: [{ role: 'user', content: 'hello there' }] }) });
      const delta = sseEvents(res.body.toString('utf8')).find((e) => e.event === 'message_delta')!;
      assert.equal((delta.data['delta'] as { stop_reason: string }).stop_reason, 'end_turn');
      assert.ok(Number((delta.data['usage'] as { output_tokens: number }).output_tokens) <= 3);
    }
  });

  it('refuses a prompt longer than the context with a 400 when told to', async () => {
    const long = JSON.stringify({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'word '.repeat(3000) }] });
    const res = await fetch(`${refusing.url}/v1/messages`, { method: 'POST', body: long });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /longer than the context/);
  });
});

describe('llama.cpp engine: cc-2.1.332-thinking replayed direct, per family', { skip }, () => {
  const calls = loadRecording('cc-2.1.332-thinking').calls;
  const measure = async (fam: FamilyName, hybrid = false): Promise<{ truth: EngineCall[]; prompts: number[][] }> => {
    const engine = await startEngine({ size: 'test', slots: 1, contextSize: 20480, family: fam, hybrid });
    try {
      for (const call of calls) assert.equal((await replay(engine.url, call)).status, 200);
      const prompts = calls.map((c) => engine.tokenize(family(fam).render(convertRequest(JSON.parse(c.body) as MessagesBody))));
      return { truth: [...engine.calls], prompts };
    } finally {
      await engine.close();
    }
  };

  for (const hybrid of [false, true]) it(`qwen3.5${hybrid ? ' on the generated hybrid model' : ''}: the second prompt drops the first turn's reasoning and resumes from a checkpoint before it`, async () => {
    const { truth, prompts } = await measure('qwen3.5', hybrid);
    const [, last1, first2] = [truth[0]!, truth[1]!, truth[2]!];
    let p = 0;
    while (prompts[1]![p] === prompts[2]![p]) p++;
    assert.ok(p < last1.promptTokens - 100, `the prompts part at ${p}, inside the previous turn (${last1.promptTokens} tokens)`);
    assert.ok(first2.reused < p, `reused ${first2.reused}, the last checkpoint before ${p}`);
    assert.equal(first2.reused, perfectReuses(family('qwen3.5'), prompts)[2]);
    assert.equal(truth[1]!.reused, truth[0]!.promptTokens, 'within a turn the answer comes back as generated: the cache is extended');
  });

  it('template path: thinking is never printed, so the second prompt reuses the whole first turn', async () => {
    const { truth } = await measure('template');
    assert.ok(truth[2]!.reused >= truth[1]!.promptTokens, `reused ${truth[2]!.reused} of ${truth[1]!.promptTokens}`);
  });
});

describe('llama.cpp engine: cc-2.1.332-countdown on qwen3.5, through the proxy as the CLI builds it', { skip }, () => {
  const calls = loadRecording('cc-2.1.332-countdown').calls;
  const options = { engine: { size: 'test' as const, contextSize: 27648, family: 'qwen3.5' as const } };

  it('learns the renderer from the engine and re-reads no more than direct on any call', async () => {
    const direct = await replayRoute(calls, { path: 'direct', setting: null }, options);
    const proxied = await replayRoute(calls, { path: 'proxy', setting: null }, options);
    assert.deepEqual([...direct.problems, ...proxied.problems], []);
    // Folded as on the template path, each reminder would become a new user query and drop the reasoning
    // before it: the proxy then re-read over a thousand tokens a call where direct re-read under 200.
    proxied.measures.slice(1).forEach((m, i) => {
      assert.ok(m.evaluated <= direct.measures[i + 1]!.evaluated, `call ${i + 2}: ${m.evaluated} evaluated through the proxy, ${direct.measures[i + 1]!.evaluated} direct`);
      assert.equal(m.loss, null);
    });
  });
});
