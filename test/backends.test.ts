// Backend detection, profiles and advice over real HTTP: each stand-in
// follows its engine's documented surface, and /_proxy/status says what it is.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { QWEN3_CODER_MODEL_INFO, startOllamaStandin, type OllamaStandin } from './support/ollama-standin.js';
import { contextCostFromModelInfo } from '../main/core/backends/model-shape.js';
import { BackendModels } from '../main/core/host/backend-models.js';
import { startEngineStandin } from './support/engine-standins.js';
import { startBackendRig, type BackendRig, type RigOptions } from './support/backend-rig.js';
import { bareBody, conversation, fullBody } from './support/claude-code-bodies.js';
import { affinityTargets } from '../main/core/backends/router-affinity.js';
import { send, sseEvents } from './support/http-client.js';
import { freePort } from './support/free-port.js';
import { formatExplainLine } from '../main/core/diagnostics/index.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needsProgram } from './support/requirements.js';
import { runCli } from './support/cli-process.js';
import { loadRecording, type RecordingName } from './support/recordings.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

async function withRig<T>(standin: OllamaStandin, options: RigOptions, run: (rig: BackendRig) => Promise<T>): Promise<T> {
  const rig = await startBackendRig(standin.url, options);
  try {
    return await run(rig);
  } finally {
    await rig.close();
    await standin.close();
  }
}

async function callThrough(rig: BackendRig, body: Buffer, headers: http.OutgoingHttpHeaders = {}) {
  const record = rig.nextCall();
  const res = await send(rig.url, { method: 'POST', path: '/v1/messages', headers: { ...JSON_HEADERS, ...headers }, body });
  return { res, record: await record };
}

describe('backend detection', () => {
  const cases: Array<{ name: string; start: () => Promise<OllamaStandin>; expected: Record<string, unknown> }> = [
    {
      name: 'Ollama', start: () => startOllamaStandin({ loaded: ['qwen3-coder:30b'] }),
      expected: { kind: 'ollama', version: '0.12.6', models: ['gpt-oss:20b', 'qwen3-coder:30b'], slots: 1, contextLength: 65536, flavour: null, liftsInlineSystem: true, usageCarriesCache: false },
    },
    {
      name: 'llama-server', start: () => startEngineStandin('llama-server', { model: 'qwen3-coder', contextLength: 16384, slots: 2 }),
      expected: { kind: 'llama-server', version: 'b7100-00dc805', models: ['qwen3-coder'], slots: 2, contextLength: 16384, liftsInlineSystem: null, usageCarriesCache: false },
    },
    {
      name: 'LM Studio 0.4 (REST v1)', start: () => startEngineStandin('lmstudio', { model: 'qwen/qwen3-coder-30b', contextLength: 8192 }),
      expected: { kind: 'lmstudio', version: null, models: ['qwen/qwen3-coder-30b'], slots: null, contextLength: 8192 },
    },
    {
      name: 'LM Studio 0.3 (REST v0)', start: () => startEngineStandin('lmstudio-v0', { model: 'qwen/qwen3-coder-30b', contextLength: 4096 }),
      expected: { kind: 'lmstudio', version: null, models: ['qwen/qwen3-coder-30b'], slots: null, contextLength: 4096 },
    },
    {
      name: 'vLLM', start: () => startEngineStandin('vllm', { model: 'Qwen/Qwen3-Coder-30B-A3B-Instruct', contextLength: 65536 }),
      expected: { kind: 'vllm', version: '0.11.2', models: ['Qwen/Qwen3-Coder-30B-A3B-Instruct'], slots: null, contextLength: 65536, liftsInlineSystem: false, usageCarriesCache: true },
    },
    {
      name: 'SGLang', start: () => startEngineStandin('sglang', { model: 'Qwen/Qwen3-Coder-30B-A3B-Instruct', contextLength: 32768 }),
      expected: { kind: 'sglang', version: '0.5.5', models: ['Qwen/Qwen3-Coder-30B-A3B-Instruct'], contextLength: 32768, liftsInlineSystem: true },
    },
    {
      name: 'Dynamo', start: () => startEngineStandin('dynamo', { model: 'Qwen/Qwen3-Coder-30B-A3B-Instruct' }),
      expected: { kind: 'router', flavour: 'dynamo', version: null, models: ['Qwen/Qwen3-Coder-30B-A3B-Instruct'], contextLength: null },
    },
    {
      name: 'vLLM production-stack router', start: () => startEngineStandin('vllm-router', { model: 'Qwen/Qwen3-Coder-30B-A3B-Instruct', contextLength: 65536 }),
      expected: { kind: 'router', flavour: 'vllm-router', version: '0.1.8', contextLength: 65536 },
    },
    {
      // The in-repo llama.cpp engine (npm run engine) speaks Ollama's surface and reports its own cache figures.
      name: 'the llama.cpp engine presenting itself as Ollama', start: () => startOllamaStandin({ loaded: ['qwen3-coder:30b'], cacheUsage: true }),
      expected: { kind: 'ollama', status: 'up' },
    },
  ];

  for (const c of cases) {
    test(`${c.name} is told from its own endpoints`, async () => {
      const standin = await c.start();
      await withRig(standin, {}, async (rig) => {
        const backend = await rig.backend();
        const picked = Object.fromEntries(Object.keys(c.expected).map((key) => [key, (backend as unknown as Record<string, unknown>)[key]]));
        assert.deepEqual(picked, c.expected);
        assert.equal(backend.status, 'up');
        assert.equal(backend.forced, false);
      });
    });
  }

  test('a target that answers like no engine is unknown, and no guess is made', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html>nothing here</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const rig = await startBackendRig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const backend = await rig.backend();
      assert.equal(backend.status, 'up');
      assert.equal(backend.kind, 'unknown');
      assert.equal(backend.knobs, null, 'no advice for an engine it does not know');
      assert.match(backend.error ?? '', /answers over HTTP, but not as Ollama, llama-server, LM Studio, vLLM, SGLang or a known router would/);
    } finally {
      await rig.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('an unreachable target is reported as such, then detected once an engine starts there', async () => {
    const port = await freePort();
    const rig = await startBackendRig(`http://127.0.0.1:${port}`);
    try {
      const down = await rig.backend();
      assert.deepEqual({ status: down.status, kind: down.kind, error: down.error }, { status: 'down', kind: null, error: 'connection refused' });
      const standin = await startEngineStandin('llama-server', { base: { port } });
      try {
        await rig.watch.monitor.refresh();
        const up = await rig.backend();
        assert.deepEqual({ status: up.status, kind: up.kind }, { status: 'up', kind: 'llama-server' });
      } finally {
        await standin.close();
      }
    } finally {
      await rig.close();
    }
  });

  test('another engine taking the port is detected at the next check', async () => {
    const vllm = await startEngineStandin('vllm');
    const port = vllm.port;
    const rig = await startBackendRig(vllm.url);
    try {
      assert.equal((await rig.backend()).kind, 'vllm');
      await vllm.close();
      const llama = await startEngineStandin('llama-server', { base: { port } });
      try {
        // The first check may find the old engine's kept-alive connection closed, and read as down once.
        const state = await rig.watch.monitor.refresh();
        if (state.status === 'down') await rig.watch.monitor.refresh();
        assert.equal((await rig.backend()).kind, 'llama-server');
      } finally {
        await llama.close();
      }
    } finally {
      await rig.close();
    }
  });

  test('--backend names the engine: checked only as that engine, down when it does not answer like it', async () => {
    const vllm = await startEngineStandin('vllm');
    await withRig(vllm, { backend: 'llama-server' }, async (rig) => {
      const backend = await rig.backend();
      assert.deepEqual({ status: backend.status, kind: backend.kind, forced: backend.forced }, { status: 'unexpected', kind: 'llama-server', forced: true });
      assert.match(backend.error ?? '', /answers, but not as llama-server does \(HTTP 404 from \/props/);
      assert.ok(!vllm.requests.some((r) => r.url === '/version'), 'no detection when the engine is named');
    });
  });

  test('--router names a router that answers like its engines (SGLang Model Gateway, llm-d)', async () => {
    const behind = await startEngineStandin('sglang');
    await withRig(behind, { router: 'sglang' }, async (rig) => {
      const backend = await rig.backend();
      assert.deepEqual({ kind: backend.kind, flavour: backend.flavour, forced: backend.forced }, { kind: 'router', flavour: 'sglang', forced: true });
    });
  });
});

describe('probing and the call path', () => {
  test('a call brings no probe with it, and an idle watch wakes at most every 5 s', async () => {
    const standin = await startEngineStandin('llama-server');
    await withRig(standin, {}, async (rig) => {
      assert.deepEqual(rig.clock.pendingDelays(), [5000], 'the next check is 5 s away');
      const before = standin.requests.length;
      for (let i = 0; i < 3; i++) await callThrough(rig, fullBody({ call: i }));
      await rig.status();
      assert.deepEqual(standin.requests.slice(before).map((r) => `${r.method} ${r.url}`), Array(3).fill('POST /v1/messages'));
      // Idle: each check schedules exactly one more, 5 s on.
      for (let i = 0; i < 3; i++) {
        const checked = new Promise((resolve) => rig.watch.monitor.once('checked', resolve));
        rig.clock.advance(5000);
        await checked;
        assert.deepEqual(rig.clock.pendingDelays(), [5000]);
      }
    });
  });
});

describe("a model's shape, for the wait's prediction", () => {
  test('Ollama: POST /api/show once per model, however often the lists are read; the proxy is told the growth with context', async () => {
    const standin = await startOllamaStandin({ loaded: ['qwen3-coder:30b'] });
    await withRig(standin, {}, async (rig) => {
      for (let i = 0; i < 3; i++) await rig.watch.monitor.refresh();
      const shows = standin.requests.filter((r) => r.url === '/api/show').map((r) => JSON.parse(r.body.toString('utf8')) as unknown);
      // The loaded model first, then every installed one (for its renderer), each once.
      assert.deepEqual(shows, [{ model: 'qwen3-coder:30b' }, { model: 'gpt-oss:20b' }]);
      const expected = contextCostFromModelInfo(QWEN3_CODER_MODEL_INFO)!;
      assert.equal(rig.watch.monitor.state.loaded[0]?.contextCost, expected);
      const models = new BackendModels(() => rig.watch.monitor.state, () => 0, () => Date.now());
      assert.equal(models.info('qwen3-coder:30b').contextCost, expected);
      assert.equal(models.info('gpt-oss:20b').contextCost, null, 'a model not loaded has no shape yet');
    });
  });

  test('Ollama answering /api/show with an error: no shape, asked once, and the lists still read', async () => {
    const standin = await startOllamaStandin({ loaded: ['ghost:7b'] });
    await withRig(standin, {}, async (rig) => {
      await rig.watch.monitor.refresh();
      await rig.watch.monitor.refresh();
      const asked = standin.requests.filter((r) => r.url === '/api/show').map((r) => (JSON.parse(r.body.toString('utf8')) as { model: string }).model);
      assert.deepEqual(asked, ['ghost:7b', 'gpt-oss:20b', 'qwen3-coder:30b'], 'each once, the refused one too');
      assert.deepEqual(rig.watch.monitor.state.loaded.map((m) => [m.name, m.contextCost]), [['ghost:7b', undefined]]);
      assert.equal(rig.watch.monitor.state.error, undefined);
    });
  });

  test("llama-server: from /v1/models' meta.n_embd, with no request of its own", async () => {
    const standin = await startEngineStandin('llama-server', { model: 'qwen3-coder' });
    await withRig(standin, {}, async (rig) => {
      assert.equal(rig.watch.monitor.state.loaded[0]?.contextCost, 1 / (6 * 2048));
    });
  });
});

describe('context overflow and advice', () => {
  const overflowCases: Array<{ name: string; start: () => Promise<OllamaStandin>; model: string; setting: RegExp; source: 'backend' | 'estimate' }> = [
    // Ollama does not refuse: its count of the (uncut, here) prompt is what the warning uses.
    { name: 'Ollama', start: () => startOllamaStandin({ models: [{ name: 'qwen3-coder:30b', contextLength: 4096 }], loaded: ['qwen3-coder:30b'] }), model: 'qwen3-coder:30b', setting: /OLLAMA_CONTEXT_LENGTH/, source: 'backend' },
    // llama-server refuses with 400 and no usage: the proxy's estimate tells.
    { name: 'llama-server', start: () => startEngineStandin('llama-server', { model: 'qwen3-coder', contextLength: 4096 }), model: 'qwen3-coder', setting: /llama-server -c \(--ctx-size\); each slot gets -c divided by -np/, source: 'estimate' },
    { name: 'LM Studio', start: () => startEngineStandin('lmstudio', { model: 'qwen/qwen3-coder-30b', contextLength: 4096 }), model: 'qwen/qwen3-coder-30b', setting: /Context Length in LM Studio's load settings/, source: 'backend' },
    { name: 'vLLM', start: () => startEngineStandin('vllm', { model: 'qwen3-coder', contextLength: 4096 }), model: 'qwen3-coder', setting: /--max-model-len/, source: 'backend' },
  ];

  for (const c of overflowCases) {
    test(`${c.name}: a prompt over the loaded context is flagged on the call, in --explain, and noticed once per model with the setting`, async () => {
      const standin = await c.start();
      await withRig(standin, {}, async (rig) => {
        const first = await callThrough(rig, fullBody({ model: c.model }));
        const overflow = first.record.contextOverflow;
        assert.ok(overflow, 'the call carries the overflow');
        assert.equal(overflow.contextLength, 4096);
        assert.equal(overflow.source, c.source);
        assert.ok(overflow.promptTokens > 4096);
        assert.match(overflow.setting, c.setting);
        assert.match(formatExplainLine(first.record), /\nCONTEXT OVERFLOW|: CONTEXT OVERFLOW: the prompt is [\d,]+ tokens/);
        assert.match(formatExplainLine(first.record), c.setting);
        await callThrough(rig, fullBody({ model: c.model, call: 1 }));
        assert.equal(rig.notices.length, 1, `one notice for two calls: ${rig.notices.join(' | ')}`);
        assert.match(rig.notices[0] ?? '', c.setting);
        const status = await rig.status();
        assert.ok(status.recent.every((r) => r.contextOverflow !== undefined), 'the status API carries it too');
      });
    });
  }

  test('Ollama cutting silently: the notice gives the prompt\'s size before the cut, not the count Ollama reports after it', async () => {
    const standin = await startOllamaStandin({ models: [{ name: 'qwen3-coder:30b', contextLength: 4096 }], loaded: ['qwen3-coder:30b'], truncateToContext: true });
    await withRig(standin, {}, async (rig) => {
      const { record } = await callThrough(rig, fullBody({ model: 'qwen3-coder:30b' }));
      assert.equal(record.inputTokens, 4096, 'Ollama reports the prompt as cut to its window');
      const overflow = record.contextOverflow;
      assert.ok(overflow && overflow.source === 'estimate' && overflow.promptTokens > 4096);
      assert.equal(rig.notices.length, 1, rig.notices.join(' | '));
      assert.match(rig.notices[0] ?? '', new RegExp(`${overflow.promptTokens.toLocaleString('en-US')} tokens`));
    });
  });

  test('a conversation pushed out of its slot is told the engine\'s own setting', async () => {
    const engine = await startEngineStandin('llama-server', { model: 'qwen3-coder:30b', contextLength: 131072 });
    await withRig(engine, {}, async (rig) => {
      // Short tool results: the other session shares over half of a1's prompt (the system prompt and tools), so
      // llama-server cuts a1's slot in place rather than saving it to its prompt cache (prompt-cache.ts).
      const turn = (session: string, n: number, prompt?: string) =>
        callThrough(rig, bareBody({ billing: null, sessionId: session, messages: conversation(n, 1500, prompt) }), { 'x-claude-code-session-id': session });
      await turn('a1', 1);
      await turn('b2', 1, 'Summarise the rewrite module.');
      const { record } = await turn('a1', 2);
      assert.equal(record.bust?.cause, 'slot-evicted');
      assert.match(record.bust?.remedy ?? '', /start llama-server with -np 2 \(or more\) and -c raised to match, and pass --slots 2/);
      assert.doesNotMatch(record.bust?.remedy ?? '', /OLLAMA/);
    });
  });

  test('one window per call: an engine serving its one model under another name flags the overflow with the window the record carries', async () => {
    const engine = await startEngineStandin('llama-server', { model: '/models/qwen3-coder-Q4_K_M.gguf', contextLength: 4096 });
    await withRig(engine, {}, async (rig) => {
      const { record } = await callThrough(rig, fullBody({ model: 'qwen3-coder:30b' }));
      assert.equal(record.contextTokens, 4096, 'the record names the window llama-server serves every model name with');
      assert.equal(record.contextOverflow?.contextLength, record.contextTokens, 'and the overflow is judged against that same window');
      assert.equal((await rig.backend()).contextLength, 4096);
      assert.equal(rig.notices.length, 1, rig.notices.join(' | '));
      assert.match(rig.notices[0] ?? '', /^qwen3-coder:30b is loaded with a 4,096-token context, but the last prompt was [\d,]+ tokens \(estimated\)\. llama-server refuses or cuts the prompt/);
    });
  });

  test('a prompt that fits carries no overflow', async () => {
    const standin = await startEngineStandin('vllm', { model: 'qwen3-coder', contextLength: 131072 });
    await withRig(standin, {}, async (rig) => {
      const { record } = await callThrough(rig, fullBody({ model: 'qwen3-coder' }));
      assert.equal(record.contextOverflow, undefined);
      assert.doesNotMatch(formatExplainLine(record), /OVERFLOW/);
      assert.deepEqual(rig.notices, []);
    });
  });
});

describe('a backend restart', () => {
  test('empties what the estimate believes the slots hold: the next turn claims no reuse, and is no bust', async () => {
    const standin = await startOllamaStandin({ timing: { prefillMs: 0, tokenDelayMs: 0, tokens: 3 } });
    await withRig(standin, {}, async (rig) => {
      const turn = (n: number) =>
        callThrough(rig, bareBody({ billing: null, sessionId: 'r1', messages: conversation(n, 2000) }), { 'x-claude-code-session-id': 'r1' });
      await turn(1);
      assert.ok((await turn(2)).record.estimatedReuse > 0.5, 'the second turn reuses the first');
      // Ollama upgraded and restarted between two checks: it answers as another version.
      standin.version = '0.12.7';
      const checked = once(rig.watch.monitor, 'checked');
      rig.clock.advance(5000);
      await checked;
      const { record } = await turn(3);
      assert.equal(record.estimatedReuse, 0, 'nothing is reused from a cache the restart emptied');
      assert.equal(record.bust, null, 'a cold backend is not a bust of the prompt');
      assert.ok((await turn(4)).record.estimatedReuse > 0.5, 'and the turn after reuses again');
    });
  });
});

describe('cache figures', () => {
  test("an engine's own cache figures pass through untouched; without them the proxy's estimate is added", async () => {
    const vllm = await startEngineStandin('vllm', { model: 'qwen3-coder' });
    await withRig(vllm, {}, async (rig) => {
      await callThrough(rig, fullBody({ model: 'qwen3-coder' }));
      const { res, record } = await callThrough(rig, fullBody({ model: 'qwen3-coder', call: 1 }));
      const start = sseEvents(res.text).find((e) => e.event === 'message_start');
      const usage = (start?.data['message'] as { usage: Record<string, number> }).usage;
      const sent = JSON.parse(vllm.requests.filter((r) => r.url === '/v1/messages').at(-1)!.body.toString('utf8')) as unknown;
      // The stand-in splits its whole prompt count between input and cache read; a rewrite would not add up.
      assert.equal((usage['input_tokens'] ?? 0) + (usage['cache_read_input_tokens'] ?? 0), Math.max(1, Math.round(JSON.stringify(sent).length / 4)));
      assert.ok((usage['cache_read_input_tokens'] ?? 0) > 0);
      assert.equal(record.cacheReadTokens, usage['cache_read_input_tokens']);
    });
    const ollama = await startOllamaStandin();
    await withRig(ollama, {}, async (rig) => {
      const { res } = await callThrough(rig, fullBody());
      const start = sseEvents(res.text).find((e) => e.event === 'message_start');
      assert.equal(typeof (start?.data['message'] as { usage: Record<string, unknown> }).usage['cache_read_input_tokens'], 'number', 'estimate added');
    });
  });
});

describe('conversation affinity for routers', () => {
  const SESSION_A = '5b1e0c3a-2f4d-4c6e-9a8b-1d2e3f4a5b6c';
  const SESSION_B = '9d8c7b6a-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

  /** The affinity header of every /v1/messages call the router received, in order, with the session it came from. */
  function routed(standin: OllamaStandin, header: string): Array<{ session: string; agent: string; key: string }> {
    return standin.requests.filter((r) => r.url === '/v1/messages').map((r) => ({
      session: String(r.headers['x-claude-code-session-id'] ?? ''),
      agent: String(r.headers['x-claude-code-agent-id'] ?? 'main'),
      key: String(r.headers[header] ?? ''),
    }));
  }

  /** Three turns of one session: --session-id, then --resume twice (the same session id, a longer conversation). */
  async function threeTurns(rig: BackendRig, session: string): Promise<void> {
    for (let turn = 0; turn < 3; turn++) {
      const body = fullBody({ sessionId: session, call: turn, messages: conversation(turn) });
      const { res } = await callThrough(rig, body, { 'x-claude-code-session-id': session });
      assert.equal(res.status, 200);
    }
  }

  test('Dynamo: one key per conversation across resumed turns, another per parallel session, a subagent keyed by whether it shares its parent\'s prefix', async () => {
    const dynamo = await startEngineStandin('dynamo', { model: 'qwen3-coder:30b' });
    await withRig(dynamo, { router: 'dynamo' }, async (rig) => {
      await Promise.all([threeTurns(rig, SESSION_A), threeTurns(rig, SESSION_B)]);
      // An Explore-like subagent: its own system prompt and task, so nothing of the parent's prompt is cached for it.
      const explore = { 'x-claude-code-session-id': SESSION_A, 'x-claude-code-agent-id': 'agent-explore-1' };
      await callThrough(rig, bareBody({ sessionId: SESSION_A, messages: conversation(0, undefined, 'Find where the proxy parses SSE.') }), explore);
      await callThrough(rig, bareBody({ sessionId: SESSION_A, messages: conversation(1, undefined, 'Find where the proxy parses SSE.') }), explore);
      // A forked subagent: the parent's whole conversation, then its own task.
      const forked = conversation(2);
      forked.push({ role: 'assistant', content: [{ type: 'text', text: 'Delegating.' }] }, { role: 'user', content: [{ type: 'text', text: 'Check the tests.' }] });
      await callThrough(rig, fullBody({ sessionId: SESSION_A, call: 3, messages: forked }), { 'x-claude-code-session-id': SESSION_A, 'x-claude-code-agent-id': 'agent-fork-1' });

      const calls = routed(dynamo, 'x-dynamo-session-id');
      assert.equal(calls.length, 9);
      for (const call of calls) {
        assert.match(call.key, /^[0-9a-f]{32}$/, 'every forwarded call carries a derived key');
        assert.ok(!call.key.includes(call.session.slice(0, 8)), 'never the raw session id');
      }
      const keysOf = (session: string, agent: string): Set<string> => new Set(calls.filter((c) => c.session === session && c.agent === agent).map((c) => c.key));
      const mainA = keysOf(SESSION_A, 'main');
      const mainB = keysOf(SESSION_B, 'main');
      assert.equal(mainA.size, 1, 'one key over three resumed turns of A');
      assert.equal(mainB.size, 1, 'one key over three resumed turns of B');
      assert.notDeepEqual([...mainA], [...mainB], 'parallel sessions get different keys');
      const exploreKeys = keysOf(SESSION_A, 'agent-explore-1');
      assert.equal(exploreKeys.size, 1, 'the subagent keeps one key over its calls');
      assert.ok(!mainA.has([...exploreKeys][0]!), 'a subagent with a prompt of its own does not follow its parent');
      assert.deepEqual(keysOf(SESSION_A, 'agent-fork-1'), mainA, 'a subagent sharing its parent\'s prefix goes where the parent\'s cache is');
    });
  });

  test('real Claude Code sessions (recorded): stable over --resume, apart across sessions, subagents by shared prefix', async () => {
    const dynamo = await startEngineStandin('dynamo', { model: 'qwen3-coder:30b' });
    await withRig(dynamo, { router: 'dynamo' }, async (rig) => {
      const replay = async (name: RecordingName): Promise<void> => {
        for (const call of loadRecording(name).calls) {
          const res = await send(rig.url, { method: call.method, path: call.path, headers: call.headers, body: Buffer.from(call.body) });
          assert.equal(res.status, 200, `${name}: ${res.text}`);
        }
      };
      // Two sessions at once: --session-id, then --resume twice, each.
      await Promise.all([replay('cc-2.1.139-full-resume'), replay('cc-2.1.139-bare-resume')]);
      await replay('cc-2.1.332-subagent');
      await replay('cc-2.1.332-nested-subagent');
      const calls = dynamo.requests.filter((r) => r.url.startsWith('/v1/messages')).map((r) => ({
        session: String(r.headers['x-claude-code-session-id']), agent: String(r.headers['x-claude-code-agent-id'] ?? 'main'), key: String(r.headers['x-dynamo-session-id']),
      }));
      const keys = (session: string, agent = 'main'): string[] => [...new Set(calls.filter((c) => c.session.startsWith(session) && c.agent === agent).map((c) => c.key))];
      for (const call of calls) assert.ok(/^[0-9a-f]{32}$/.test(call.key) && !call.session.includes(call.key.slice(0, 8)));
      const [full, bare] = [keys('5a2f5b83'), keys('2c41e397')];
      assert.equal(full.length, 1, 'one key over --session-id and two --resume');
      assert.equal(bare.length, 1);
      assert.notEqual(full[0], bare[0], 'two sessions at once, two keys');
      const [main, sub] = [keys('a70f1195'), keys('a70f1195', 'a2e12c9e1c8e637d6')];
      assert.equal(main.length, 1, 'the main agent keeps its key around its subagent');
      assert.equal(sub.length, 1);
      assert.notEqual(main[0], sub[0], 'the subagent\'s own system prompt: its own key');
      // The nested subagent runs the same subagent prompt as its parent subagent: it follows that cache.
      assert.deepEqual(keys('dde91f6f', 'aee0f9e165cccd04e'), keys('dde91f6f', 'aa9af4b87f7418ccc'));
      assert.notDeepEqual(keys('dde91f6f', 'aa9af4b87f7418ccc'), keys('dde91f6f'));
    });
  });

  test('llm-d gets its session cookie, --affinity-header adds more, and no affinity is sent unless asked', async () => {
    const router = await startEngineStandin('vllm', { model: 'qwen3-coder:30b' });
    await withRig(router, { router: 'llm-d', affinity: ['X-Session-Id'] }, async (rig) => {
      await callThrough(rig, fullBody({ sessionId: SESSION_A }), { 'x-claude-code-session-id': SESSION_A, cookie: 'theme=dark' });
      const sent = router.requests.filter((r) => r.url === '/v1/messages').at(-1)!;
      const key = String(sent.headers['x-session-id']);
      assert.match(key, /^[0-9a-f]{32}$/);
      assert.equal(sent.headers.cookie, `theme=dark; llm-d-session=${key}`);
      assert.deepEqual((await rig.status()).affinityHeaders, ['cookie:llm-d-session', 'x-session-id']);
    });
    const plain = await startEngineStandin('vllm', { model: 'qwen3-coder:30b' });
    await withRig(plain, {}, async (rig) => {
      await callThrough(rig, fullBody({ sessionId: SESSION_A }), { 'x-claude-code-session-id': SESSION_A });
      const sent = plain.requests.filter((r) => r.url === '/v1/messages').at(-1)!;
      assert.equal(sent.headers['x-dynamo-session-id'], undefined);
      assert.equal(sent.headers.cookie, undefined);
    });
  });

  test('the presets name each router\'s own header', () => {
    assert.deepEqual(affinityTargets([], 'dynamo'), ['x-dynamo-session-id']);
    assert.deepEqual(affinityTargets([], 'sglang'), ['x-smg-routing-key']);
    assert.deepEqual(affinityTargets([], 'vllm-router'), ['x-user-id']);
    assert.deepEqual(affinityTargets(['X-Dynamo-Session-Id'], 'dynamo'), ['x-dynamo-session-id'], 'no header twice');
    assert.throws(() => affinityTargets(['content-length'], null), /cannot replace the content-length header/);
    assert.throws(() => affinityTargets(['bad header'], null), /must be a header name/);
  });
});

describe('shared-server mode: TLS and the upstream\'s own auth', { skip: needsProgram('openssl', ['version']) }, () => {
  /** A self-signed certificate for 127.0.0.1, made for this test. */
  function selfSigned(): { key: string; cert: string } {
    const dir = mkdtempSync(join(tmpdir(), 'llm-cache-proxy-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  }
  const tls = selfSigned();
  const SECRET = 'team-secret-0b7c1f';

  test('calls and checks reach an https engine with its own auth header; the client\'s token stays with the proxy', async () => {
    const engine = await startEngineStandin('vllm', { model: 'qwen3-coder:30b', base: { tls } });
    await withRig(engine, { proxy: { upstreamCa: tls.cert, upstreamAuth: `x-api-key: ${SECRET}`, token: 'client-token' }, clientHeaders: { authorization: 'Bearer client-token' } }, async (rig) => {
      const backend = await rig.backend();
      assert.deepEqual({ status: backend.status, kind: backend.kind }, { status: 'up', kind: 'vllm' }, 'detected over TLS');
      const { res } = await callThrough(rig, fullBody({ model: 'qwen3-coder:30b' }), { authorization: 'Bearer client-token' });
      assert.equal(res.status, 200);
      for (const r of engine.requests) {
        assert.equal(r.headers['x-api-key'], SECRET, `${r.method} ${r.url} carries the upstream's key`);
        assert.equal(r.headers.authorization, undefined, 'the client token never reaches the upstream');
      }
      const status = await send(rig.url, { path: '/_proxy/status', headers: { authorization: 'Bearer client-token' } });
      assert.ok(!status.text.includes(SECRET), 'the status API never shows it');
      assert.equal((JSON.parse(status.text) as { upstreamAuth: boolean }).upstreamAuth, true);
    });
  });

  test('an https engine whose certificate is not trusted is reported as such, with the flag that fixes it', async () => {
    const engine = await startEngineStandin('vllm', { model: 'qwen3-coder:30b', base: { tls } });
    await withRig(engine, {}, async (rig) => {
      const backend = await rig.backend();
      assert.equal(backend.status, 'down');
      assert.match(backend.error ?? '', /certificate|SELF_SIGNED/i);
      const res = await send(rig.url, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: fullBody() });
      assert.equal(res.status, 502);
      assert.match(res.text, /--upstream-ca/);
    });
  });

  test('the CLI never logs the upstream auth, even at debug level', async () => {
    const engine = await startEngineStandin('vllm', { model: 'qwen3-coder:30b', base: { tls } });
    const dir = mkdtempSync(join(tmpdir(), 'llm-cache-proxy-tls-cli-'));
    writeFileSync(join(dir, 'ca.pem'), tls.cert);
    const cli = runCli(['--port', '0', '--target', engine.url, '--upstream-ca', join(dir, 'ca.pem'), '--log-level', 'debug', '--explain'],
      { ...process.env, LLM_CACHE_PROXY_CONFIG_DIR: dir, LLM_CACHE_PROXY_UPSTREAM_AUTH: `Authorization: Bearer ${SECRET}` });
    try {
      const [, port] = await cli.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      const res = await send(`http://127.0.0.1:${port}`, { method: 'POST', path: '/v1/messages', headers: JSON_HEADERS, body: fullBody({ model: 'qwen3-coder:30b' }) });
      assert.equal(res.status, 200);
      await cli.waitFor(/backend at https:\/\/127\.0\.0\.1:\d+: vLLM/);
      assert.equal(engine.requests.at(-1)!.headers.authorization, `Bearer ${SECRET}`);
      assert.ok(!cli.stdout().includes(SECRET) && !cli.stderr().includes(SECRET), 'not in the log');
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
      await engine.close();
    }
  });
});
