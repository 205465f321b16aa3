// `--explain` on a slow first token, as a user runs it: the real CLI process
// in front of a stand-in that holds the first byte for over 3 s. The first
// call loads the model (the stand-in has none loaded); the second has no rate
// to predict from, since a load is not a prefill; the third is predicted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ProxyStatus } from '../main/core/wire/types.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { bareBody, conversation, DEFAULT_SESSION_ID } from './support/claude-code-bodies.js';
import { send } from './support/http-client.js';
import { startOllamaStandin, type OllamaStandin } from './support/ollama-standin.js';

const CLI = fileURLToPath(new URL('../main/cli.js', import.meta.url));
const HOLD_MS = 3300;

let standin: OllamaStandin;
before(async () => { standin = await startOllamaStandin({ timing: { prefillMs: HOLD_MS, tokenDelayMs: 1, tokens: 2 } }); });
after(() => standin.close());

test('--explain prints predicted against actual prefill at the first token of a slow call', { timeout: 40_000 }, async () => {
  const child = spawn(process.execPath, [CLI, '--port', '0', '--target', standin.url, '--rewrite', 'off', '--explain', '--log-level', 'warn'], {
    stdio: 'pipe', env: { ...process.env, LLM_CACHE_PROXY_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'explain-wait-')) },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  try {
    const until = async (pattern: RegExp): Promise<RegExpMatchArray> => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const match = pattern.exec(out);
        if (match) return match;
        assert.ok(Date.now() < deadline, `no ${pattern} in:\n${out}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const url = (await until(/listening on (http:\/\/\S+)/))[1]!;
    // The proxy's first look at the backend, finished (lists and /api/show included), which tells it no model is loaded yet.
    while ((JSON.parse((await send(url, { path: '/_proxy/status' })).text) as ProxyStatus).backend?.status !== 'up') await new Promise((resolve) => setTimeout(resolve, 20));
    const turn = (n: number) => send(url, {
      method: 'POST', path: '/v1/messages?beta=true', headers: { 'content-type': 'application/json', 'x-claude-code-session-id': DEFAULT_SESSION_ID },
      // The rewrite is off and each turn's billing line differs: every turn re-reads the whole prompt.
      body: bareBody({ billing: 'cch', call: n, messages: conversation(n - 1, 300) }),
    });
    await turn(1);
    // One user prompt, then its tool loop: calls 1 to 3 of turn 1.
    assert.match((await until(/^.* turn 1 · call 1: first token after .*$/m))[0], /^\w+ turn 1 · call 1: first token after 3\.\d s, including loading qwen3-coder:30b$/);
    await turn(2);
    assert.match((await until(/^.* turn 1 · call 2: first token after .*$/m))[0], /^\w+ turn 1 · call 2: first token after 3\.\d s, no prediction yet \(no uncached call of qwen3-coder:30b measured\)$/);
    await turn(3);
    const line = (await until(/^.* turn 1 · call 3: first token after .*$/m))[0];
    const [, actual, predicted] = /first token after ([\d.]+) s, predicted ([\d.]+) s \([\d.]+×\)$/.exec(line) ?? [];
    assert.ok(actual && predicted, line);
    // Both turns are the same size at the same pace: the prediction lands near the real wait.
    assert.ok(Math.abs(Number(predicted) / Number(actual) - 1) < 0.25, line);
  } finally {
    child.kill('SIGKILL');
  }
});
