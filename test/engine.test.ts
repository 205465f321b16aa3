// The real llama.cpp engine (bench/engine) behind the proxy, replaying a
// recorded real Claude Code session: tokens, not JSON text, decide what is
// reused. The prompt rendering that decides those tokens is checked first, on
// its own, against what Ollama's converter and template do.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { engineUnavailable } from '../bench/engine/llama.js';
import { startEngine, type RunningEngine } from '../bench/engine/open.js';
import { renderPrompt } from '../bench/engine/render.js';
import { clientBodies, fixSettings, perfectBody, perfectReuse, replayRoute, routeName, routesFor, withModel, type CallMeasure, type SessionCall } from '../bench/engine/routes.js';
import { replay } from '../bench/engine/replay.js';
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
    const body = perfectBody(JSON.stringify({
      system: [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.139.8cd; cch=f31a8;' }, { type: 'text', text: 'You are Claude.' }],
      messages: [{ role: 'user', content: 'hi' }, { role: 'system', content: 'reminder' }],
    }));
    assert.deepEqual(body.system, [{ type: 'text', text: 'You are Claude.' }]);
    assert.equal(renderPrompt(body), '<|im_start|>system\nYou are Claude.<|im_end|>\n<|im_start|>user\nhi\n\nreminder<|im_end|>\n<|im_start|>assistant\n');
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
    assert.equal(perfectReuse([[1, 2, 3], [9, 9], [1, 2, 3, 4]], 2), 3);
    assert.equal(perfectReuse([[1, 2, 3], [1, 2, 3]], 1), 2);
    assert.equal(perfectReuse([[1, 2, 3], [5]], 1), 0);
    // Only a template header in common (under 10% of the prompt): a new conversation, nothing to reuse.
    assert.equal(perfectReuse([[1, 2, 3], [1, ...Array.from({ length: 20 }, (_, k) => k + 10)]], 1), 0);
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

  it('answers stream:false with usage, and errors in the Anthropic shape', async () => {
    const ok = await replay(engine.url, { path: '/v1/messages', headers: {}, body: JSON.stringify({ model: 'm', max_tokens: 3, messages: [{ role: 'user', content: 'hello there' }] }) });
    assert.equal(ok.status, 200);
    assert.ok(typeof ok.usage?.['input_tokens'] === 'number' && typeof ok.usage['cache_read_input_tokens'] === 'number');
    assert.ok(Number(ok.usage['output_tokens']) <= 3);
    const bad = await fetch(`${engine.url}/v1/messages`, { method: 'POST', body: '{nope' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { type: string } }).error.type, 'invalid_request_error');
    const long = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'word '.repeat(3000) }] });
    const tooLong = await fetch(`${engine.url}/v1/messages`, { method: 'POST', body: long });
    assert.equal(tooLong.status, 400);
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

describe('llama.cpp engine: a runner per model name, as Ollama', { skip }, () => {
  let engine: RunningEngine;
  // One slot per runner: only a runner of its own keeps model A's conversation while model B is called.
  before(async () => { engine = await startEngine({ size: 'test', slots: 1, contextSize: 2048, maxLoaded: 2 }); });
  after(async () => { await engine.close(); });
  const ask = (model: string, text: string): Promise<unknown> =>
    replay(engine.url, { path: '/v1/messages', headers: {}, body: JSON.stringify({ model, max_tokens: 1, messages: [{ role: 'user', content: text }] }) });
  const ps = async (): Promise<string[]> =>
    ((await (await fetch(`${engine.url}/api/ps`)).json()) as { models: { name: string }[] }).models.map((m) => m.name);

  const title = `a title call ${'omega words '.repeat(20)}`;

  it("keeps model A's slot when model B is called, and lists both runners in /api/ps", async () => {
    const a = `main conversation ${'alpha words '.repeat(60)}`;
    const start = engine.calls.length;
    await ask('model-a', a);
    await ask('model-b', title);
    await ask('model-a', `${a} and a follow-up`);
    const [a1, b1, a2] = engine.calls.slice(start);
    assert.deepEqual([a1!.model, b1!.model, a2!.model], ['model-a', 'model-b', 'model-a']);
    assert.equal(b1!.reused, 0);
    // Model A's second call shares all but the end of its first prompt, still cached despite model B's call.
    assert.ok(a2!.reused > 0.9 * a1!.promptTokens, `reused ${a2!.reused} of ${a1!.promptTokens}`);
    assert.deepEqual(await ps(), ['model-a', 'model-b']);
  });

  it('unloads the least recently used runner beyond the limit', async () => {
    await ask('model-c', 'a third model');
    assert.deepEqual(await ps(), ['model-c', 'model-a']);
    const start = engine.calls.length;
    await ask('model-b', title);
    // Model B's runner was unloaded for model C, so its same prompt again is read from scratch.
    assert.equal(engine.calls[start]!.reused, 0);
  });
});
