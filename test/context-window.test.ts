// Telling Claude Code the local model's true context window (it assumes 1M
// tokens for any model it does not know, and compacts against that): the
// fixed-prompt sizes measured from the recorded bodies, the output rule, the
// `snippet` command asking a real (stand-in) Ollama or llama-server, and the
// app noticing that the copied snippet went stale.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { runSnippetCommand } from '../main/cli/snippet-command.js';
import { createAppController } from '../main/core/controller/app-controller.js';
import { renderPrompt } from '../main/core/diagnostics/render.js';
import { buildTrayMenu } from '../main/core/menu/tray-menu.js';
import { openCliSettings } from '../main/core/settings/cli-settings.js';
import { fetchBackendWindow } from '../main/core/snippet/backend-window.js';
import {
  CLAUDE_CODE_FIXED_CHARS, compactionPoint, fixedPromptTokens, outputTokensFor, windowFit, windowWarning,
} from '../main/core/snippet/context-window.js';
import type { ProxyStatus } from '../main/core/wire/types.js';
import { bareBody } from './support/claude-code-bodies.js';
import { runCli } from './support/cli-process.js';
import { send } from './support/http-client.js';
import { loadRecording } from './support/recordings.js';
import { untilState } from './support/controller-state.js';
import { FakeLoginItem, FakePlatform } from './support/fake-electron.js';
import { freePort } from './support/free-port.js';
import { startOllamaStandin, type OllamaStandin } from './support/ollama-standin.js';

describe('how big Claude Code\'s fixed prompt is, and what a window needs', () => {
  test('the sizes the product uses are the recorded sessions\' first calls, rendered', () => {
    const first = (name: string): object => JSON.parse(loadRecording(name).calls.find((c) => c.role === 'main')!.body) as object;
    assert.equal(renderPrompt(first('cc-2.1.139-bare-resume')).text.length, CLAUDE_CODE_FIXED_CHARS.bare, 'claude -p --bare');
    assert.equal(renderPrompt(first('cc-2.1.332-tool-loop')).text.length, CLAUDE_CODE_FIXED_CHARS.full, 'claude -p, 2.1.332');
    assert.ok(fixedPromptTokens(true) > 900 && fixedPromptTokens(true) < 1100, `--bare is about 1K tokens: ${fixedPromptTokens(true)}`);
    // The client's own /context says 14.4k for the same prompt (docs/claude-code-context.md).
    assert.ok(fixedPromptTokens(false) > 12_000 && fixedPromptTokens(false) < 15_000, `full is about 13.5K tokens: ${fixedPromptTokens(false)}`);
  });

  test('the compaction point is the measured window − min(output, 20,000) − 13,000', () => {
    assert.equal(compactionPoint(32_768, 4096), 15_672, 'the client compacted at turn 16 after a 15.0k-token prompt');
    assert.equal(compactionPoint(32_768, null), -232, 'the default output compacts on every turn at 32,768');
    assert.equal(compactionPoint(65_536, 8192), 44_344);
  });

  test('output is capped to keep half the window before compaction, never below 4,096', () => {
    assert.equal(outputTokensFor(8192), 4096, 'measured to let --bare through at 8,192');
    assert.equal(outputTokensFor(32_768), 4096);
    assert.equal(outputTokensFor(65_536), 16_384);
    assert.equal(outputTokensFor(50_000), 8192, 'a power of two');
    assert.equal(outputTokensFor(66_000), null, 'from here the default reserve fits in half the window');
    assert.equal(outputTokensFor(131_072), null);
  });

  test('the full client needs 64K, --bare 32K; below that the client would compact on every turn', () => {
    assert.equal(windowFit(65_536, false), 'fits');
    assert.equal(windowFit(32_768, false), 'bare-only');
    assert.equal(windowFit(32_768, true), 'fits');
    assert.equal(windowFit(16_384, true), 'too-small');
    assert.equal(windowFit(8192, false), 'too-small');
    assert.equal(windowWarning({ tokens: 65_536, source: 's' }, 'm', false), null);
    assert.equal(windowWarning({ tokens: 32_768, source: 's' }, 'qwen3:8b', false),
      'The 32,768-token context window of qwen3:8b is too small for Claude Code: it compacts its conversation at the window minus its output reserve and a 13,000-token buffer, '
      + 'which here is 15,672 tokens, and its system prompt and tools alone are about 13,500 tokens. '
      + 'With --bare they are about 1,000 tokens and fit: turn on --bare, or raise the context to 65,536 tokens or more (OLLAMA_CONTEXT_LENGTH, num_ctx, llama-server -c) and reload the model, '
      + 'or set the Context window setting (--context-tokens) if the backend\'s figure is wrong.');
    assert.match(windowWarning({ tokens: 8192, source: 's' }, 'tiny', true) ?? '', /too small for Claude Code even with --bare: .*below zero, so it would compact on every turn.* raise the context to 32,768 tokens or more/);
  });
});

/** llama-server's GET /props and /v1/models as tools/server/server-context.cpp builds them; every other path 404s as its router does. */
async function startLlamaServerStandin(nCtx: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'qwen3', object: 'model', created: 1_764_000_000, owned_by: 'llamacpp' }] }));
      return;
    }
    if (req.method === 'GET' && req.url === '/props') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({
        default_generation_settings: { params: { n_predict: -1, temperature: 0.8 }, n_ctx: nCtx },
        total_slots: 1, model_alias: 'qwen3', model_path: '/models/qwen3-8b-q4_k_m.gguf',
        modalities: { vision: false, audio: false }, build_info: 'b6500-abc',
      }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ error: { code: 404, message: 'File Not Found', type: 'not_found_error' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('llm-cache-proxy snippet asks the backend', () => {
  let work: string;
  let ollama: OllamaStandin;
  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'context-window-'));
    ollama = await startOllamaStandin({ models: [{ name: 'qwen3:8b', contextLength: 8192 }], loaded: ['qwen3:8b'] });
  });
  after(async () => {
    await ollama.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  async function run(argv: string[], settings: object): Promise<{ code: number; stdout: string; stderr: string }> {
    const dir = fs.mkdtempSync(path.join(work, 'config-'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ schemaVersion: 2, ...settings }));
    let stdout = '';
    let stderr = '';
    const code = await runSnippetCommand(['--shell', 'bash', ...argv], {
      stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; }, env: { LLM_CACHE_PROXY_CONFIG_DIR: dir },
    });
    return { code, stdout, stderr };
  }

  test('Ollama: the loaded model\'s context_length, with output lowered and the window warning on stderr', async () => {
    const { code, stdout, stderr } = await run([], { target: ollama.url, model: 'qwen3:8b' });
    assert.equal(code, 0);
    assert.match(stdout, /^# Context window: 8,192 tokens, from Ollama's \/api\/ps for qwen3:8b as loaded\. Claude Code 2\.1\.332 reads it;/m);
    assert.match(stdout, /^ {2}CLAUDE_CODE_MAX_CONTEXT_TOKENS='8192' \\$/m);
    assert.match(stdout, /^ {2}CLAUDE_CODE_MAX_OUTPUT_TOKENS='4096' \\$/m);
    assert.match(stderr, /too small for Claude Code: .* raise the context to 65,536 tokens/);
    const bare = await run(['--bare'], { target: ollama.url, model: 'qwen3:8b' });
    assert.match(bare.stderr, /too small for Claude Code even with --bare: .* raise the context to 32,768 tokens/);
  });

  test('Ollama with the model not loaded: the setting, else nothing, never a guess', async () => {
    const unloaded = await run([], { target: ollama.url, model: 'gpt-oss:20b' });
    assert.doesNotMatch(unloaded.stdout, /MAX_CONTEXT_TOKENS=/);
    assert.match(unloaded.stdout, /^# Context window: unknown/m);
    const fromSetting = await run([], { target: ollama.url, model: 'gpt-oss:20b', contextTokens: 65_536 });
    assert.match(fromSetting.stdout, /^# Context window: 65,536 tokens, from the contextTokens setting\. /m);
    const fromFlag = await run(['--context-tokens', '131072'], { target: ollama.url, model: 'gpt-oss:20b', contextTokens: 65_536 });
    assert.match(fromFlag.stdout, /CLAUDE_CODE_MAX_CONTEXT_TOKENS='131072'/);
    assert.doesNotMatch(fromFlag.stdout, /MAX_OUTPUT_TOKENS/, 'a large window keeps the default output');
    const loadedWins = await run(['--context-tokens', '32768'], { target: ollama.url, model: 'qwen3:8b' });
    assert.match(loadedWins.stdout, /CLAUDE_CODE_MAX_CONTEXT_TOKENS='8192'/, 'what the backend runs with wins');
  });

  test('llama-server: /props n_ctx', async () => {
    const llama = await startLlamaServerStandin(16_384);
    try {
      const { stdout } = await run(['--bare'], { target: llama.url, model: 'qwen3' });
      assert.match(stdout, /^# Context window: 16,384 tokens, from llama-server, which serves qwen3 with it\. /m);
      assert.match(stdout, /CLAUDE_CODE_MAX_OUTPUT_TOKENS='4096'/);
      assert.deepEqual(await fetchBackendWindow(llama.url, 'any-name'), { tokens: 16_384, source: 'llama-server, which serves qwen3 with it' }, 'it serves one model whatever the request names');
    } finally {
      await llama.close();
    }
  });

  test('nothing listening: left out, and a bad flag is refused', async () => {
    const { stdout, stderr } = await run([], { target: `http://127.0.0.1:${await freePort()}` });
    assert.doesNotMatch(stdout, /MAX_CONTEXT_TOKENS=/);
    assert.equal(stderr, '');
    const bad = await run(['--context-tokens', 'lots'], {});
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--contextTokens|--context-tokens/);
  });
});

describe('the headless proxy', () => {
  test('takes the window from the contextTokens setting for a model the backend gives none for', { timeout: 20_000 }, async () => {
    const ollama = await startOllamaStandin({ timing: { prefillMs: 0, tokenDelayMs: 0, tokens: 2 } });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'context-window-serve-'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ schemaVersion: 2, contextTokens: 16_384 }));
    const cli = runCli(['--port', '0', '--target', ollama.url], { ...process.env, LLM_CACHE_PROXY_CONFIG_DIR: dir });
    try {
      const [, port] = await cli.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      // Its first look finds Ollama with nothing loaded: no window from the backend.
      await cli.waitFor(/backend at .*Ollama/);
      const url = `http://127.0.0.1:${port}`;
      const answer = await send(url, { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json' }, body: bareBody() });
      assert.equal(answer.status, 200);
      const status = JSON.parse((await send(url, { path: '/_proxy/status' })).text) as ProxyStatus;
      assert.equal(status.recent.at(-1)?.contextTokens, 16_384);
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
      await ollama.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the app keeps the copied snippet right', { timeout: 20_000 }, () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  test('a new context length makes the menu say the copy is stale, and one click copies the new one', async () => {
    const standin = await startOllamaStandin({ models: [{ name: 'qwen3:8b', contextLength: 8192 }], loaded: ['qwen3:8b'] });
    cleanups.push(() => standin.close());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snippet-stale-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const { store } = openCliSettings(dir);
    store.set({ port: await freePort(), target: standin.url, model: 'qwen3:8b', proxyEnabled: false });
    const platform = new FakePlatform();
    const controller = createAppController({ settings: store, loginItem: new FakeLoginItem(), platform, shellPath: '/bin/zsh', os: 'darwin' });
    cleanups.push(() => controller.shutdown(100));
    await controller.start();
    await untilState(controller, (s) => s.snippet?.window?.tokens === 8192);
    const menu = buildTrayMenu(controller.state());
    assert.match(menu.find((item) => item.id === 'window-too-small')?.label ?? '', /^⚠ 8,192-token window is too small for Claude Code: raise the model's context$/);

    await controller.dispatch({ type: 'copy-snippet', shell: 'zsh' });
    assert.match(platform.clipboard, /CLAUDE_CODE_MAX_CONTEXT_TOKENS='8192'/);
    assert.equal(controller.state().snippet?.outdated, null);

    // Ollama restarted with OLLAMA_CONTEXT_LENGTH=65536: the monitor sees it on its next look.
    standin.models = [{ name: 'qwen3:8b', contextLength: 65_536 }];
    standin.version = '0.12.7';
    const stale = await untilState(controller, (s) => s.snippet?.outdated !== null && s.snippet?.outdated !== undefined);
    assert.equal(stale.snippet?.outdated, 'qwen3:8b\'s context window is now 65,536 tokens (the copied function says 8,192)');
    const items = buildTrayMenu(stale);
    assert.match(items.find((item) => item.id === 'snippet-outdated')?.label ?? '', /^Copied claudel function is out of date: /);
    const update = items.find((item) => item.id === 'copy-snippet-update');
    assert.deepEqual(update?.action, { type: 'copy-snippet', shell: 'zsh' });
    assert.equal(items.some((item) => item.id === 'window-too-small'), false, '64K fits');

    await controller.dispatch(update!.action!);
    assert.match(platform.clipboard, /CLAUDE_CODE_MAX_CONTEXT_TOKENS='65536'/);
    assert.match(platform.clipboard, /CLAUDE_CODE_MAX_OUTPUT_TOKENS='16384'/);
    assert.equal(controller.state().snippet?.outdated, null);

    // The model unloads after its idle time: the window is unknown now, which is no reason to re-copy.
    standin.loaded.clear();
    standin.version = '0.12.8';
    await untilState(controller, (s) => s.backendState.version === '0.12.8');
    assert.equal(controller.state().snippet?.outdated, null);
  });
});
