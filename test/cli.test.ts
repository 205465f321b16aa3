// The headless CLI as a user runs it: a real process, real flags, real
// signals, real ports.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseServeArgs } from '../main/cli/serve-args.js';
import { startOllamaStandin, type OllamaStandin } from './support/ollama-standin.js';
import { send, sseEvents } from './support/http-client.js';
import { bareBody } from './support/claude-code-bodies.js';

const CLI = fileURLToPath(new URL('../main/cli.js', import.meta.url));

interface Running {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

const CONFIG_DIR = mkdtempSync(join(tmpdir(), 'llm-cache-proxy-cli-'));

/** Every CLI a test started; one still running after its test (say, an assertion failed) is killed. */
const started: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function run(args: string[], configDir = CONFIG_DIR): Running {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: 'pipe', env: { ...process.env, LLM_CACHE_PROXY_CONFIG_DIR: configDir } });
  started.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (pattern, ms = 5000) => new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = () => {
        const m = pattern.exec(out);
        if (m) return resolve(m);
        if (Date.now() - started > ms) return reject(new Error(`no ${pattern} in output within ${ms} ms:\n${out}\n${err}`));
        setTimeout(poll, 20);
      };
      poll();
    }),
  };
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
    assert.ok(standin.requests.at(-1)!.body.includes('x-anthropic-billing-header'), 'rewrite: off from the file');
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0);
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
      { host: '127.0.0.1', port: 11435, target: 'http://127.0.0.1:11434', rewrite: 'drop', inlineSystem: 'fold', maxBodyBytes: 64 * 1024 * 1024, token: undefined, allowOrigins: [], allowHosts: [], cacheUsage: true, slots: 1, upstreamTimeoutMs: 0 },
    );
    assert.equal(parsed.config.logLevel, 'info');
  });

  test('every flag', () => {
    const parsed = parseServeArgs(['--port', '8080', '--host', '0.0.0.0', '--token', 't', '--target', 'http://gpu-box:11434/', '--rewrite', 'normalize', '--inline-system', 'keep', '--max-body', '2mb',
      '--allow-origin', 'https://a.example', '--allow-origin', 'https://b.example', '--allow-host', 'gpu-box', '--slots', '2', '--no-cache-usage', '--upstream-timeout', '600',
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
    assert.equal(p.cacheUsage, false);
    assert.equal(p.upstreamTimeoutMs, 600_000);
    assert.equal(parsed.config.logLevel, 'debug');
    assert.equal(parsed.config.jsonLogs, true);
    assert.equal(parsed.config.explain, true);
  });

  test('a missing value is an error, not a crash', () => {
    const parsed = parseServeArgs(['--port']);
    assert.equal(parsed.kind, 'error');
  });
});
