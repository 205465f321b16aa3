// What a call is, over real HTTP: a user turn or a call of its tool loop,
// a side call or the conversation, answered by the backend or not, and whose
// cache figure its reuse is. Each test here failed on the code before it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withQuickHarness } from './support/proxy-harness.js';
import { send, sseEvents } from './support/http-client.js';
import { conversation, encodeBody, firstUserMessage, fullRequest, type Message } from './support/claude-code-bodies.js';
import { forwarded } from './support/bust-scenarios.js';
import { MAIN_MODEL, titleRequest } from './support/side-call-bodies.js';
import { loadRecording, RECORDING_NAMES } from './support/recordings.js';
import { startLlamaServerStandin } from './support/llama-server-standin.js';
import { createProxy } from '../main/core/proxy/server.js';
import { formatExplainLine, startsUserTurn } from '../main/core/diagnostics/index.js';
import { isSideCall } from '../main/core/rewrite/side-call.js';
import type { CallRecord, ProxyStatus } from '../main/core/wire/types.js';
import type { RequestLogEntry } from '../main/core/proxy/types.js';

const SESSION = '3f9c2a71-5d4e-4b8a-9c1f-7e2d6a0b8c45';

const withProxy = withQuickHarness;

function post(url: string, body: unknown) {
  return send(url, {
    method: 'POST', path: '/v1/messages?beta=true',
    headers: { 'content-type': 'application/json', 'x-claude-code-session-id': SESSION },
    body: Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body), 'utf8'),
  });
}

async function recent(url: string): Promise<readonly CallRecord[]> {
  return (JSON.parse((await send(url, { path: '/_proxy/status' })).text) as ProxyStatus).recent;
}

/** JSON text with every non-ASCII character written as a \u escape, as some clients and JSON libraries do. */
function asciiJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), 'ascii');
}

describe('the same JSON value, raw UTF-8 or \\u escapes, is the same prompt', () => {
  test('a system prompt sent raw, then escaped, then raw again: no miss, all reused', () => withProxy({}, async (h) => {
    const body = forwarded(conversation(1, 2000, 'Привет, 世界! Café ✓ and an emoji 🚀'));
    (body.system as { text: string }[])[1]!.text += ' Ünïcödé instructions — “quoted”.';
    const next = forwarded(conversation(2, 2000, 'Привет, 世界! Café ✓ and an emoji 🚀'));
    next.system = body.system;
    await post(h.url, body);
    const escaped = asciiJson(next);
    assert.ok(escaped.includes('\\u4e16') && escaped.includes('\\ud83d\\ude80'), 'the escapes are really there');
    await post(h.url, escaped);
    await post(h.url, { ...next, messages: conversation(3, 2000, 'Привет, 世界! Café ✓ and an emoji 🚀') });
    const [, second, third] = await recent(h.url);
    for (const record of [second!, third!]) {
      assert.equal(record.bust, null, `${record.bust?.cause}: ${record.bust?.before} → ${record.bust?.after}`);
      assert.equal(record.conversationReuse, 1);
    }
  }));
});

describe('a call the backend never answered reused nothing and moves nothing', () => {
  test('a 502 from the backend: reuse 0, no miss; the retry is held against the call before it', () => withProxy({}, async (h) => {
    await post(h.url, forwarded(conversation(1)));
    h.standin.failWith = { status: 502, type: 'api_error', message: 'runner crashed' };
    assert.equal((await post(h.url, forwarded(conversation(2)))).status, 502);
    h.standin.failWith = null;
    await post(h.url, forwarded(conversation(2)));
    const [first, failed, retry] = await recent(h.url);
    assert.equal(failed!.answered, false);
    assert.equal(failed!.reuse, 0);
    assert.equal(failed!.cacheReadTokens, null);
    assert.equal(failed!.bust, null);
    assert.match(formatExplainLine(failed!), /no answer from the backend, reused nothing \[HTTP 502\]$/);
    assert.equal(retry!.answered, true);
    assert.deepEqual([retry!.turn, retry!.call], [failed!.turn, failed!.call], 'the failed call did not count');
    assert.ok(retry!.reuse > 0.5 && retry!.reuse < 1, `the retry reused what call 1 left, not 100% (${retry!.reuse})`);
    assert.ok(first!.promptChars / retry!.promptChars - retry!.reuse < 0.01);
  }));

  test('backend down: the proxy answers 502 itself, and the call reused nothing', () => withProxy({}, async (h) => {
    const body = forwarded(conversation(1));
    await post(h.url, body);
    await h.standin.close();
    const res = await post(h.url, body);
    assert.equal(res.status, 502);
    const [, down] = await recent(h.url);
    assert.equal(down!.answered, false);
    assert.equal(down!.reuse, 0, 'not "reused 100%" of a prompt nobody read');
    assert.doesNotMatch(formatExplainLine(down!), /reused 100%/);
  }));

  test('an error status (400) is no answer either, and the next call still begins with the last answered one', () => withProxy({}, async (h) => {
    await post(h.url, forwarded(conversation(1)));
    h.standin.failWith = { status: 400, type: 'invalid_request_error', message: 'bad' };
    await post(h.url, forwarded(conversation(5)));
    h.standin.failWith = null;
    await post(h.url, forwarded(conversation(2)));
    const [, refused, next] = await recent(h.url);
    assert.equal(refused!.reuse, 0);
    assert.equal(next!.bust, null);
    assert.equal(next!.call, 2);
  }));
});

describe('user turns and the model calls inside them', () => {
  const reminder = { type: 'text', text: '<system-reminder>\nnote\n</system-reminder>' };
  const result = { type: 'tool_result', tool_use_id: 't1', content: 'x' };
  const table: [string, unknown[], boolean][] = [
    ['a user prompt as a string', [{ role: 'user', content: 'hi' }], true],
    ['a user prompt after a context reminder', [{ role: 'user', content: [reminder, { type: 'text', text: 'hi' }] }], true],
    ['tool results only', [{ role: 'user', content: [result] }], false],
    ['tool results with a reminder appended', [{ role: 'user', content: [result, reminder] }], false],
    ['tool results and a line the user typed meanwhile', [{ role: 'user', content: [result, { type: 'text', text: 'also check y' }] }], true],
    ['tool results followed by an inline system message', [{ role: 'user', content: [result] }, { role: 'system', content: '<total_tokens>1 tokens left</total_tokens>' }], false],
    ['a prompt followed by the environment message', [{ role: 'user', content: 'hi' }, { role: 'system', content: '# Environment' }], true],
    ['an assistant prefill last', [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'Sure' }], false],
    ['no messages at all', [], true],
  ];
  for (const [name, messages, expected] of table) {
    test(`startsUserTurn: ${name} → ${expected}`, () => assert.equal(startsUserTurn({ messages }), expected));
  }

  test('over HTTP: a prompt, two tool results, a new prompt → turn 1 · call 1..3, turn 2 · call 1', () => withProxy({}, async (h) => {
    for (let i = 0; i <= 2; i++) await post(h.url, forwarded(conversation(i)));
    const next: Message[] = [...conversation(2), { role: 'assistant', content: [{ type: 'text', text: 'Done.' }] }, firstUserMessage('Now the tests, please.')];
    await post(h.url, forwarded(next));
    const records = await recent(h.url);
    assert.deepEqual(records.map((r) => [r.turn, r.call]), [[1, 1], [1, 2], [1, 3], [2, 1]]);
    assert.deepEqual(records.map((r) => formatExplainLine(r).split(':')[0]), records.map((r) => `${r.session} turn ${r.turn} · call ${r.call}`));
  }));
});

describe('side calls', () => {
  test('recognised by shape: a title call is one; main calls, subagents and histories are not', () => {
    assert.equal(isSideCall(titleRequest()), true);
    assert.equal(isSideCall({ ...titleRequest(), messages: [{ role: 'user', content: 'A question about the repo?' }], system: 'Answer in one line.' }), true, 'any short one-off question, not one string');
    assert.equal(isSideCall(fullRequest()), false, 'the main conversation carries tools');
    assert.equal(isSideCall({ ...titleRequest(), tools: fullRequest().tools.slice(0, 3) }), false, '--bare: 173 chars of system, but tools');
    assert.equal(isSideCall({ ...titleRequest(), output_config: { effort: 'high' }, thinking: { type: 'adaptive' } }), false, 'asks for thinking and free text, like a main call');
    assert.equal(isSideCall({ ...titleRequest(), output_config: { effort: 'high' }, thinking: { type: 'adaptive' }, max_tokens: 200 }), true, 'a small output budget marks a one-off answer');
    assert.equal(isSideCall({ ...titleRequest(), messages: conversation(1) }), false, 'has a history');
    assert.equal(isSideCall({ ...titleRequest(), system: 'x'.repeat(5000) }), false, 'a long system prompt is a conversation\'s');
    assert.equal(isSideCall({ ...titleRequest(), tools: [] }), true, 'an empty tools list is no tools');
  });

  test('every call of every recorded session is told right: side calls by shape, main calls and subagents not', () => {
    for (const name of RECORDING_NAMES) {
      for (const [i, call] of loadRecording(name).calls.entries()) {
        assert.equal(isSideCall(JSON.parse(call.body) as Record<string, unknown>), call.role === 'side', `${name} call ${i + 1} (${call.role})`);
      }
    }
  });

  test('the recorded interactive session on one slot: each title call evicts the conversation; with --side-model, nothing is lost', async () => {
    for (const sideModel of ['', 'qwen3:4b']) {
      await withProxy({ sideModel }, async (h) => {
        const { calls } = loadRecording('cc-2.1.139-interactive');
        for (const call of calls) {
          await send(h.url, { method: 'POST', path: call.path, headers: call.headers, body: Buffer.from(call.body, 'utf8') });
        }
        const records = await recent(h.url);
        assert.deepEqual(records.map((r) => r.sideCall), calls.map((call) => call.role === 'side'));
        const lastMain = records.at(-1)!;
        assert.deepEqual([lastMain.turn, lastMain.call], [2, 1]);
        assert.equal(lastMain.conversationReuse, 1, 'the client kept its prefix (billing line dropped)');
        if (sideModel === '') {
          assert.equal(lastMain.bust?.cause, 'side-call-evicted');
          assert.ok(lastMain.reuse < 0.1, `the conversation was re-read (${lastMain.reuse})`);
        } else {
          assert.equal(lastMain.bust, null);
          assert.ok(lastMain.reuse > 0.95, `reused ${lastMain.reuse}`);
          assert.deepEqual(h.standin.requests.map((r) => (JSON.parse(r.body.toString()) as { model: string }).model), calls.map((call) => (call.role === 'side' ? 'qwen3:4b' : MAIN_MODEL)));
        }
      });
    }
  });

  test('one slot, one model: the title call evicts the conversation, named side-call-evicted with a remedy that names what to set', () => withProxy({}, async (h) => {
    await post(h.url, forwarded(conversation(1)));
    await post(h.url, titleRequest('Now the tests, please.'));
    await post(h.url, forwarded(conversation(2)));
    const [, title, main] = await recent(h.url);
    assert.equal(title!.sideCall, true);
    assert.deepEqual([title!.turn, title!.call], [0, 0]);
    assert.match(formatExplainLine(title!), / side call: /);
    assert.equal(main!.conversationReuse, 1, 'the client kept its prefix');
    assert.equal(main!.bust?.cause, 'side-call-evicted');
    for (const knob of ['--side-model', 'OLLAMA_NUM_PARALLEL=2', '--slots 2', 'ANTHROPIC_DEFAULT_HAIKU_MODEL']) assert.ok(main!.bust!.remedy.includes(knob), knob);
    assert.deepEqual([main!.turn, main!.call], [1, 2], 'the side call is no call of the conversation');
  }));

  test('two slots: the title call takes the other one, nothing is missed', () => withProxy({ slots: 2 }, async (h) => {
    await post(h.url, forwarded(conversation(1)));
    await post(h.url, titleRequest());
    await post(h.url, forwarded(conversation(2)));
    assert.equal((await recent(h.url))[2]!.bust, null);
  }));

  test('--side-model: the title call goes to the other model with only `model` changed; the main slot keeps the conversation', () => withProxy({ sideModel: 'qwen3:4b' }, async (h) => {
    const main1 = encodeBody(forwarded(conversation(1)));
    await post(h.url, main1);
    const title = titleRequest('Now the tests, please.');
    await post(h.url, title);
    await post(h.url, forwarded(conversation(2)));
    const [first, routed] = h.standin.requests;
    assert.ok(first!.body.equals(main1), 'a main call passes byte for byte');
    // The billing block goes as in every call (--rewrite drop); then only the model differs.
    const system = (title.system as unknown[]).slice(1);
    assert.equal(routed!.body.toString('utf8'), JSON.stringify({ ...title, model: 'qwen3:4b', system }), 'only the model changed');
    const [, side, main] = await recent(h.url);
    assert.equal(side!.model, 'qwen3:4b');
    assert.equal(side!.rewritten, true);
    assert.equal(main!.bust, null, 'a side call on another model shares no slot with the conversation');
    assert.ok(main!.reuse > 0.5);
    assert.equal(main!.model, MAIN_MODEL);
    assert.equal((JSON.parse((await send(h.url, { path: '/_proxy/status' })).text) as ProxyStatus).sideModel, 'qwen3:4b');
  }));

  test('--side-model naming a model the backend lacks: the log line says what to do', () => withProxy({ sideModel: 'qwen3:4b' }, async (h) => {
    h.standin.failWith = { status: 404, type: 'not_found_error', message: 'model "qwen3:4b" not found' };
    const logged = new Promise<RequestLogEntry>((resolve) => h.proxy.once('request', resolve));
    assert.equal((await post(h.url, titleRequest())).status, 404, 'the backend\'s answer goes back as it was');
    const entry = await logged;
    assert.equal(entry.rule, 'billing-block-dropped,side-model');
    assert.match(entry.note ?? '', /no model "qwen3:4b" for side calls; pull it \(ollama pull qwen3:4b\) or change --side-model/);
  }));

  test('--side-model leaves a body alone that merely looks small but has tools or a history', () => withProxy({ sideModel: 'qwen3:4b' }, async (h) => {
    const bodies = [encodeBody(fullRequest({ billing: null })), Buffer.from(JSON.stringify({ ...titleRequest(), system: 'Short.', messages: conversation(1) }))];
    for (const body of bodies) await post(h.url, body);
    h.standin.requests.forEach((request, i) => assert.ok(request.body.equals(bodies[i]!), `body ${i}`));
  }));
});

describe("the backend's own cache figures", () => {
  async function withLlamaServer(run: (url: string, standin: Awaited<ReturnType<typeof startLlamaServerStandin>>) => Promise<void>): Promise<void> {
    const standin = await startLlamaServerStandin();
    const proxy = createProxy({ host: '127.0.0.1', port: 0, target: standin.url, rewrite: 'drop', maxBodyBytes: 64 * 1024 * 1024 });
    const { port } = await proxy.start();
    try {
      await run(`http://127.0.0.1:${port}`, standin);
    } finally {
      await proxy.stop(100);
      await standin.close();
    }
  }

  test('streaming: usage passes untouched, and the record uses the backend\'s figure, saying so', () => withLlamaServer(async (url, standin) => {
    await post(url, forwarded(conversation(1)));
    const res = await post(url, forwarded(conversation(2)));
    const sent = standin.sent[1]!;
    const start = (sseEvents(res.text)[0]!.data.message as { usage: Record<string, number> }).usage;
    assert.deepEqual(start, { cache_read_input_tokens: sent.cacheRead, input_tokens: sent.input, output_tokens: 0 }, 'exactly what the backend sent');
    assert.match(res.text, /"usage":\{"output_tokens":1\}/, 'message_delta untouched too');
    const record = (await recent(url))[1]!;
    assert.equal(record.reuseSource, 'backend');
    assert.equal(record.cacheReadTokens, sent.cacheRead);
    assert.equal(record.inputTokens, sent.cacheRead + sent.input);
    assert.equal(record.reuse, sent.cacheRead / (sent.cacheRead + sent.input));
    assert.ok(record.estimatedReuse > 0.5 && record.estimatedReuse !== record.reuse, 'the estimate stays beside it, to be held against it');
    assert.match(formatExplainLine(record), new RegExp(`of ${(sent.cacheRead + sent.input).toLocaleString('en-US')} tokens \\(backend's figure\\)`));
    const status = JSON.parse((await send(url, { path: '/_proxy/status' })).text) as ProxyStatus;
    assert.equal(status.totals.reusedTokens, standin.sent[0]!.cacheRead + sent.cacheRead);
  }));

  test('JSON: the same', () => withLlamaServer(async (url, standin) => {
    await post(url, { ...forwarded(conversation(1)), stream: false });
    const res = await post(url, { ...forwarded(conversation(2)), stream: false });
    const sent = standin.sent[1]!;
    assert.deepEqual((JSON.parse(res.text) as { usage: unknown }).usage, { cache_read_input_tokens: sent.cacheRead, input_tokens: sent.input, output_tokens: 1 });
    const record = (await recent(url))[1]!;
    assert.equal(record.reuseSource, 'backend');
    assert.equal(record.cacheReadTokens, sent.cacheRead);
  }));

  test('Ollama, which reports none, gets the estimate, and the record says it is one', () => withProxy({}, async (h) => {
    await post(h.url, forwarded(conversation(1)));
    const res = await post(h.url, forwarded(conversation(2)));
    const record = (await recent(h.url))[1]!;
    assert.equal(record.reuseSource, 'estimate');
    assert.match(res.text, /cache_read_input_tokens/);
    assert.match(formatExplainLine(record), /chars \(estimate\)/);
  }));
});
