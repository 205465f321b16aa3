// The package's bin (bin/llm-cache-proxy), run as npm runs it: through a chain
// of relative links (node_modules/.bin, a global bin folder) into a path with
// spaces. It must find the package, hand over to the headless proxy in the
// same process (signals reach it directly), and set glibc's allocator tunables
// unless the user set them (docs/memory.md).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { copyBuiltApp, type AppCopy } from './support/app-copy.js';

const skip = process.platform === 'linux' ? false : 'reads the running proxy\'s environment from /proc, which only Linux has';

describe('the llm-cache-proxy command', { skip }, () => {
  let app: AppCopy;
  let command: string;

  before(() => {
    app = copyBuiltApp();
    // <scratch>/.bin/llm-cache-proxy → ../global bin/llm-cache-proxy → ../My Projects/llm cache proxy/bin/llm-cache-proxy
    const globalBin = path.join(app.scratch, 'global bin');
    fs.mkdirSync(globalBin);
    fs.symlinkSync(path.join('..', path.relative(app.scratch, app.dir), 'bin', 'llm-cache-proxy'), path.join(globalBin, 'llm-cache-proxy'));
    fs.mkdirSync(path.join(app.scratch, '.bin'));
    command = path.join(app.scratch, '.bin', 'llm-cache-proxy');
    fs.symlinkSync(path.join('..', 'global bin', 'llm-cache-proxy'), command);
  });
  after(() => app.remove());

  test('finds the package through relative links into a path with spaces', () => {
    assert.match(execFileSync(command, ['--version'], { encoding: 'utf8' }), /^llm-cache-proxy \d+\.\d+\.\d+/);
  });

  /** Starts the proxy through the command; resolves with its pid and environment once it listens. */
  async function serve(env: NodeJS.ProcessEnv): Promise<{ pid: number; environment: Map<string, string>; stop(): Promise<number | null> }> {
    const child = spawn(command, ['--port', '0', '--target', 'http://127.0.0.1:9'], { env: { ...process.env, ...env, LLM_CACHE_PROXY_CONFIG_DIR: path.join(app.scratch, 'config') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    const deadline = Date.now() + 15_000;
    while (!/listening on/.test(out)) {
      if (child.exitCode !== null) assert.fail(`the proxy exited with ${child.exitCode}: ${out}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        assert.fail(`the proxy did not say where it listens within 15 s: ${out}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const pid = child.pid!;
    const environment = new Map(fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((entry) => {
      const at = entry.indexOf('=');
      return [entry.slice(0, at), entry.slice(at + 1)] as [string, string];
    }));
    // exec, not a child: the process the shell started is the proxy itself.
    assert.match(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /dist\/main\/cli\.js/);
    return {
      pid, environment,
      stop: async () => {
        child.kill('SIGTERM');
        const [code] = await once(child, 'exit') as [number | null];
        return code;
      },
    };
  }

  test('runs the proxy in its own process with the allocator tunables, and stops on SIGTERM', async () => {
    const proxy = await serve({ MALLOC_ARENA_MAX: undefined, MALLOC_MMAP_THRESHOLD_: undefined });
    assert.equal(proxy.environment.get('MALLOC_ARENA_MAX'), '1');
    assert.equal(proxy.environment.get('MALLOC_MMAP_THRESHOLD_'), '65536');
    assert.equal(await proxy.stop(), 0);
  });

  test('a value the user set is kept', async () => {
    const proxy = await serve({ MALLOC_ARENA_MAX: '8' });
    assert.equal(proxy.environment.get('MALLOC_ARENA_MAX'), '8');
    assert.equal(proxy.environment.get('MALLOC_MMAP_THRESHOLD_'), '65536');
    assert.equal(await proxy.stop(), 0);
  });
});
