// The headless CLI as a user runs it: a real process, real flags, real
// signals, real ports.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_DEFAULTS, parseServeArgs } from '../main/cli/serve-args.js';
import { startOllamaStandin, type OllamaStandin } from './support/ollama-standin.js';
import { send, sseEvents } from './support/http-client.js';
import { bareBody } from './support/claude-code-bodies.js';
import { runCli, type Running } from './support/cli-process.js';
import { freePort } from './support/free-port.js';
import type { ProxyStatus } from '../main/core/wire/types.js';


const CONFIG_DIR = mkdtempSync(join(tmpdir(), 'llm-cache-proxy-cli-'));

/** Every CLI a test started; one still running after its test (say, an assertion failed) is killed. */
const started: Running['child'][] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function run(args: string[], configDir = CONFIG_DIR): Running {
  const running = runCli(args, { ...process.env, LLM_CACHE_PROXY_CONFIG_DIR: configDir });
  started.push(running.child);
  return running;
}

describe('llm-cache-proxy (headless CLI)', () => {
  let standin: OllamaStandin;
  before(async () => { standin = await startOllamaStandin({ timing: { prefillMs: 0, tokenDelayMs: 60, tokens: 6 } }); });
  after(() => standin.close());

  test('--port 0 prints the real port, logs one line per request, and stops cleanly on SIGTERM', async () => {
    const cli = run(['--port', '0', '--target', standin.url]);
    const [, port] = await cli.waitFor(/^llm-cache-proxy listening on http:\/\/127\.0\.0\.1:(\d+) -> (\S+)$/m);
    assert.ok(Number(port) > 0);
    assert.match(cli.stdout(), new RegExp(`-> ${standin.url.replace(/[.]/g, '\\.')}\\n`));
    const url = `http://127.0.0.1:${port}`;
    await send(url, { method: 'HEAD', path: '/' });
    await send(url, { method: 'POST', path: '/v1/messages?beta=true', headers: { 'content-type': 'application/json' }, body: bareBody() });
    const line = await cli.waitFor(/^.*POST \/v1\/messages\?beta=true .*$/m);
    assert.match(line[0], /status=200/);
    assert.match(line[0], /ms=\d+/);
    assert.match(line[0], /in=[\d.]+KB out=[\d.]+KB/);
    assert.match(line[0], /rewritten=billing-block-dropped/);
    assert.match(cli.stdout(), /HEAD \/ status=200 .* rewritten=no/);
    await send(url, { path: '/_proxy/status' });
    const own = await cli.waitFor(/^.*GET \/_proxy\/status .*$/m);
    assert.doesNotMatch(own[0], /out=0B/, 'the proxy\'s own answers count their bytes too');
    assert.doesNotMatch(cli.stdout(), /You are a Claude agent|Today's date|cc_version/, 'no prompt text in logs');

    // A stream in flight when SIGTERM arrives still finishes.
    const pending = send(url, { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json' }, body: bareBody() });
    await new Promise((resolve) => setTimeout(resolve, 80));
    cli.child.kill('SIGTERM');
    const res = await pending;
    assert.equal(sseEvents(res.text).at(-1)?.event, 'message_stop');
    assert.equal(await cli.exited, 0);
  });

  test('--json-logs writes one JSON object per request', async () => {
    const cli = run(['--port', '0', '--target', standin.url, '--json-logs']);
    const [, port] = await cli.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
    await send(`http://127.0.0.1:${port}`, { path: '/api/version' });
    await cli.waitFor(/"path":"\/api\/version"/);
    const entry = JSON.parse(cli.stdout().split('\n').find((l) => l.includes('/api/version'))!) as Record<string, unknown>;
    assert.equal(entry.method, 'GET');
    assert.equal(entry.status, 200);
    cli.child.kill('SIGINT');
    assert.equal(await cli.exited, 0);
  });

  test('--log-level warn writes no request lines, in text or JSON', async () => {
    for (const extra of [[], ['--json-logs']]) {
      const cli = run(['--port', '0', '--target', standin.url, '--log-level', 'warn', ...extra]);
      const [, port] = await cli.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      const res = await send(`http://127.0.0.1:${port}`, { path: '/api/version' });
      assert.equal(res.status, 200);
      cli.child.kill('SIGINT');
      assert.equal(await cli.exited, 0);
      assert.doesNotMatch(cli.stdout(), /api\/version/, `no request line with ${extra.join(' ') || 'text logs'}`);
    }
  });

  test('a busy port is a one-line error and exit code 2', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const cli = run(['--port', String(port), '--target', standin.url]);
      assert.equal(await cli.exited, 2);
      const lines = cli.stderr().trim().split('\n');
      assert.equal(lines.length, 1, cli.stderr());
      assert.match(lines[0]!, new RegExp(`port ${port} .*already in use`));
    } finally {
      blocker.close();
    }
  });

  for (const [args, pattern] of [
    [['--rewrite', 'sometimes'], /--rewrite must be one of drop, normalize, off/],
    [['--inline-system', 'lift'], /--inline-system must be one of fold, keep/],
    [['--port', '70000'], /--port must be a whole number from 0 to 65535/],
    [['--target', 'localhost'], /--target must be/],
    [['--bogus'], /unknown option --bogus/],
    [['--host', '0.0.0.0'], /pass --token/],
  ] as const) {
    test(`bad flags: ${args.join(' ')} → exit 2 with a clear message`, async () => {
      const cli = run([...args]);
      assert.equal(await cli.exited, 2);
      assert.match(cli.stderr(), pattern);
      assert.doesNotMatch(cli.stderr(), /\n\s+at /, 'no stack trace');
    });
  }

  test('the settings file is the starting point and flags override it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-cache-proxy-cli-settings-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ schemaVersion: 2, target: standin.url, rewrite: 'off', port: 1 }));
    const cli = run(['--port', '0'], dir);
    const [, port] = await cli.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+) -> (\S+)/);
    assert.match(cli.stdout(), new RegExp(`-> ${standin.url}`), 'target from the file');
    await send(`http://127.0.0.1:${port}`, { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json' }, body: bareBody() });
    await cli.waitFor(/POST \/v1\/messages .*rewritten=no/);
    assert.ok(standin.requests.findLast((r) => r.url === '/v1/messages')!.body.includes('x-anthropic-billing-header'), 'rewrite: off from the file');
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0);
  });

  test("the Activity page's snippet is the one `llm-cache-proxy snippet` prints for the same settings and backend, and a call naming no model is the configured model's", async () => {
    const backend = await startOllamaStandin({ models: [{ name: 'qwen3:8b', contextLength: 8192 }], loaded: ['qwen3:8b'] });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'llm-cache-proxy-cli-page-'));
      const port = await freePort();
      writeFileSync(join(dir, 'config.json'), JSON.stringify({
        schemaVersion: 2, target: backend.url, port, model: 'qwen3:8b', bare: true, shell: 'fish', subagentModel: 'qwen3:4b',
      }));
      const cli = run([], dir);
      // The monitor's first look is logged, and the proxy listens once it has finished: the page knows the window.
      await cli.waitFor(/backend at .*qwen3:8b with a 8,192-token context/, 20_000);
      await cli.waitFor(/listening on/);
      const page = JSON.parse((await send(`http://127.0.0.1:${port}`, { path: '/_proxy/ui/snippet' })).text) as { text: string; shell: string };
      const printed = runCli(['snippet'], { ...process.env, LLM_CACHE_PROXY_CONFIG_DIR: dir });
      started.push(printed.child);
      assert.equal(await printed.exited, 0, printed.stderr());
      assert.equal(page.shell, 'fish');
      assert.match(page.text, /Context window: 8,192 tokens, from Ollama's \/api\/ps/, 'the page carries the window the backend reports');
      assert.equal(page.text, printed.stdout());
      // A call that names no model is for the configured one: its record carries that model's window.
      const { model: _model, ...unnamed } = JSON.parse(bareBody().toString('utf8')) as Record<string, unknown>;
      await send(`http://127.0.0.1:${port}`, { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(unnamed)) });
      const status = JSON.parse((await send(`http://127.0.0.1:${port}`, { path: '/_proxy/status' })).text) as ProxyStatus;
      assert.equal(status.recent.at(-1)?.contextTokens, 8192);
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
    } finally {
      await backend.close();
    }
  });

  test('forget deletes the prompt warm start remembers on disk, and says when there is none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-cache-proxy-cli-forget-'));
    writeFileSync(join(dir, 'warm-prefix.json'), JSON.stringify({ model: 'qwen3:8b', system: 'You are Claude Code.' }), { mode: 0o600 });
    const first = runCli(['forget'], { ...process.env, LLM_CACHE_PROXY_CONFIG_DIR: dir });
    started.push(first.child);
    assert.equal(await first.exited, 0, first.stderr());
    assert.match(first.stdout(), /^Deleted .*warm-prefix\.json/);
    assert.equal(existsSync(join(dir, 'warm-prefix.json')), false);
    const again = runCli(['forget'], { ...process.env, LLM_CACHE_PROXY_CONFIG_DIR: dir });
    started.push(again.child);
    assert.equal(await again.exited, 0);
    assert.match(again.stdout(), /Nothing to delete/);
  });

  test('--warm takes auto, on, idle or off, and nothing else', async () => {
    const cli = run(['--port', '0', '--warm', 'sometimes']);
    assert.equal(await cli.exited, 2);
    assert.match(cli.stderr(), /--warm must be one of auto, on, idle, off, got "sometimes"/);
  });

  test('a corrupt settings file is set aside with a notice, and the proxy still starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-cache-proxy-cli-corrupt-'));
    writeFileSync(join(dir, 'config.json'), '{"port": 11435,');
    const cli = run(['--port', '0', '--target', standin.url], dir);
    await cli.waitFor(/listening on/);
    assert.match(cli.stderr(), /config\.json\.bak-/);
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0);
  });

  test('--help and --version', async () => {
    const help = run(['--help']);
    assert.equal(await help.exited, 0);
    assert.match(help.stdout(), /Usage: llm-cache-proxy/);
    assert.match(help.stdout(), /--rewrite <mode>/);
    const version = run(['--version']);
    assert.equal(await version.exited, 0);
    assert.match(version.stdout(), /^llm-cache-proxy \d+\.\d+\.\d+\n$/);
  });
});

describe('parseServeArgs', () => {
  test('defaults: loopback, 11435, Ollama on 11434, drop, 64 MiB, cache usage on', () => {
    const parsed = parseServeArgs([]);
    assert.equal(parsed.kind, 'serve');
    if (parsed.kind !== 'serve') return;
    assert.deepEqual(
      { ...parsed.config.proxy },
      { host: '127.0.0.1', port: 11435, target: 'http://127.0.0.1:11434', rewrite: 'drop', inlineSystem: 'fold', maxBodyBytes: 64 * 1024 * 1024, token: undefined, allowOrigins: [], allowHosts: [], cacheUsage: true, slots: 1, sideModel: '', upstreamTimeoutMs: 0,
        affinityHeaders: [], upstreamAuth: undefined, upstreamCa: undefined, promptExcerpts: false },
    );
    assert.equal(parsed.config.logLevel, 'info');
    assert.deepEqual(parsed.config.backend, { backend: 'auto', routerFlavour: undefined });
  });

  test('every flag', () => {
    const parsed = parseServeArgs(['--port', '8080', '--host', '0.0.0.0', '--token', 't', '--target', 'http://gpu-box:11434/', '--rewrite', 'normalize', '--inline-system', 'keep', '--max-body', '2mb',
      '--allow-origin', 'https://a.example', '--allow-origin', 'https://b.example', '--allow-host', 'gpu-box', '--slots', '2', '--side-model', 'qwen3:4b', '--no-cache-usage', '--upstream-timeout', '600',
      '--log-level', 'debug', '--json-logs', '--explain']);
    assert.equal(parsed.kind, 'serve');
    if (parsed.kind !== 'serve') return;
    const p = parsed.config.proxy;
    assert.equal(p.port, 8080);
    assert.equal(p.target, 'http://gpu-box:11434');
    assert.equal(p.rewrite, 'normalize');
    assert.equal(p.inlineSystem, 'keep');
    assert.equal(p.maxBodyBytes, 2 * 1024 * 1024);
    assert.deepEqual(p.allowOrigins, ['https://a.example', 'https://b.example']);
    assert.deepEqual(p.allowHosts, ['gpu-box']);
    assert.equal(p.slots, 2);
    assert.equal(p.sideModel, 'qwen3:4b');
    assert.equal(p.cacheUsage, false);
    assert.equal(p.upstreamTimeoutMs, 600_000);
    assert.equal(parsed.config.logLevel, 'debug');
    assert.equal(parsed.config.jsonLogs, true);
    assert.equal(parsed.config.explain, true);
  });

  test('--side-model: a model name; empty turns off the one the settings name; anything else is refused', () => {
    const fromSettings = { ...BUILTIN_DEFAULTS, proxy: { ...BUILTIN_DEFAULTS.proxy, sideModel: 'qwen3:4b' } };
    const kept = parseServeArgs([], fromSettings);
    assert.equal(kept.kind === 'serve' && kept.config.proxy.sideModel, 'qwen3:4b');
    const off = parseServeArgs(['--side-model', ''], fromSettings);
    assert.equal(off.kind === 'serve' && off.config.proxy.sideModel, '');
    assert.deepEqual(parseServeArgs(['--side-model', 'two words']), { kind: 'error', message: '--side-model must be a model name like qwen3:4b, got "two words"' });
  });

  test('backend, router, affinity and upstream flags; the settings file\'s router and auth as the starting point', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const env = { readFile: (path: string) => (path === 'ca.pem' ? pem : '') };
    const parsed = parseServeArgs(['--target', 'https://router.team:8443', '--backend', 'router', '--router', 'dynamo', '--affinity-header', 'X-Team-Session',
      '--upstream-auth', 'x-api-key: sk-team', '--upstream-ca', 'ca.pem'], undefined, env);
    assert.equal(parsed.kind, 'serve');
    if (parsed.kind !== 'serve') return;
    assert.deepEqual(parsed.config.backend, { backend: 'router', routerFlavour: 'dynamo' });
    assert.deepEqual(parsed.config.proxy.affinityHeaders, ['x-dynamo-session-id', 'x-team-session']);
    assert.equal(parsed.config.proxy.upstreamAuth, 'x-api-key: sk-team');
    assert.equal(parsed.config.proxy.upstreamCa, pem);
    // --router alone names a router; the environment's auth stands in for the flag; "" clears the file's.
    const fromFile = { ...BUILTIN_DEFAULTS, proxy: { ...BUILTIN_DEFAULTS.proxy, upstreamAuth: 'file-token' } };
    const routed = parseServeArgs(['--router', 'sglang'], fromFile, { upstreamAuth: 'env-token' });
    assert.ok(routed.kind === 'serve');
    assert.deepEqual([routed.config.backend, routed.config.proxy.affinityHeaders, routed.config.proxy.upstreamAuth],
      [{ backend: 'router', routerFlavour: 'sglang' }, ['x-smg-routing-key'], 'env-token']);
    const cleared = parseServeArgs(['--upstream-auth', ''], fromFile);
    assert.ok(cleared.kind === 'serve' && cleared.config.proxy.upstreamAuth === undefined);
    const errors = [
      [['--backend', 'ollamaa'], /--backend must be one of auto, ollama, llama-server, lmstudio, vllm, sglang, router/],
      [['--affinity-header', 'two words'], /--affinity-header must be a header name/],
      [['--upstream-auth', 'x-api-key: a\r\nb: c'], /--upstream-auth must be a header like/],
      [['--upstream-ca', 'ca.pem'], /--upstream-ca is for an https:\/\/ --target/],
      [['--target', 'https://x', '--upstream-ca', 'missing.pem'], /--upstream-ca: missing.pem holds no PEM certificate/],
    ] as const;
    for (const [args, message] of errors) {
      const outcome = parseServeArgs(args, undefined, env);
      assert.equal(outcome.kind, 'error', args.join(' '));
      if (outcome.kind === 'error') assert.match(outcome.message, message);
    }
  });

  test('a missing value is an error, not a crash', () => {
    const parsed = parseServeArgs(['--port']);
    assert.equal(parsed.kind, 'error');
  });
});
