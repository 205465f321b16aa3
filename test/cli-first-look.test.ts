// The headless CLI listens only once its first look at the backend has
// finished, which asks Ollama's /api/show how each installed model renders its
// prompt: a client already waiting for the port (Claude Code started with the
// proxy) must get its first call estimated, and folded, as its model renders
// it, not the template way. The stand-in answers /api/show slowly, as an
// Ollama reading many models' files does.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { ProxyStatus } from '../main/core/wire/types.js';
import { renderPrompt } from '../main/core/diagnostics/render.js';
import { bareBody, DEFAULT_SESSION_ID } from './support/claude-code-bodies.js';
import { send } from './support/http-client.js';
import { startOllamaStandin, type OllamaStandin } from './support/ollama-standin.js';

const CLI = fileURLToPath(new URL('../main/cli.js', import.meta.url));
const MODEL = 'qwen3-coder:30b';

let standin: OllamaStandin;
before(async () => {
  standin = await startOllamaStandin({ models: [{ name: MODEL, renderer: 'qwen3-coder' }], showDelayMs: 700, timing: { prefillMs: 0, tokenDelayMs: 1, tokens: 2 } });
});
after(() => standin.close());

test("a call sent the moment the CLI listens is estimated as its model's renderer renders it", { timeout: 20_000 }, async () => {
  const child = spawn(process.execPath, [CLI, '--port', '0', '--target', standin.url, '--rewrite', 'off', '--log-level', 'warn'], {
    stdio: 'pipe', env: { ...process.env, LLM_CACHE_PROXY_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'first-look-')) },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  try {
    const deadline = Date.now() + 10_000;
    let listening: RegExpExecArray | null = null;
    while ((listening = /listening on (http:\/\/\S+)/.exec(out)) === null) {
      assert.ok(Date.now() < deadline, `not listening:\n${out}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const url = listening[1]!;
    const body = bareBody();
    const result = await send(url, {
      method: 'POST', path: '/v1/messages?beta=true', headers: { 'content-type': 'application/json', 'x-claude-code-session-id': DEFAULT_SESSION_ID }, body,
    });
    assert.equal(result.status, 200, result.text);
    const status = JSON.parse((await send(url, { path: '/_proxy/status' })).text) as ProxyStatus;
    const record = status.recent.at(-1);
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    const asCoder = renderPrompt(parsed, 'qwen3-coder').text.length;
    assert.notEqual(asCoder, renderPrompt(parsed, 'template').text.length, 'the two renderings differ in length, so the check below can fail');
    assert.equal(record?.promptChars, asCoder, 'the call was rendered as qwen3-coder renders it');
  } finally {
    child.kill('SIGKILL');
  }
});
