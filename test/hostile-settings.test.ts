// Hostile input, part 7: the settings file. A named pipe at its path once
// blocked start-up for good (and SIGTERM could not stop it); a device there
// would be read without end; a folder that cannot be written was reported as
// a file that cannot be read. The real CLI must start on defaults, say what
// was wrong in the right words, and stop on SIGTERM.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/cli-process.js';

type Cli = ReturnType<typeof runCli>;

/** Runs the CLI on `dir`, and never leaves it behind (a blocked one would ignore SIGTERM). */
async function startsDespite(dir: string, check: (cli: Cli) => Promise<void>): Promise<void> {
  const cli = runCli(['--port', '0', '--target', 'http://127.0.0.1:9', '--log-level', 'warn'], { ...process.env, LLM_CACHE_PROXY_CONFIG_DIR: dir });
  try {
    await check(cli);
  } finally {
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  }
}

async function stops(cli: Cli): Promise<void> {
  cli.child.kill('SIGTERM');
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), 5000);
  try {
    assert.equal(await cli.exited, 0, 'SIGTERM stops it');
  } finally {
    clearTimeout(timer);
  }
}

describe('a settings path that is not a usable file', () => {
  test('a named pipe is set aside, the proxy starts on defaults, and SIGTERM stops it', { timeout: 20_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hostile-fifo-'));
    try {
      execFileSync('mkfifo', [join(dir, 'config.json')]);
    } catch {
      return t.skip('mkfifo is not available');
    }
    await startsDespite(dir, async (cli) => {
      await cli.waitFor(/listening on/);
      assert.match(cli.stderr(), /config\.json is a named pipe, not a file/);
      const backup = readdirSync(dir).find((name) => name.startsWith('config.json.bak-'));
      assert.ok(backup && lstatSync(join(dir, backup)).isFIFO(), 'the pipe was moved aside');
      await stops(cli);
    });
  });

  test('a link to an endless device is set aside rather than read', { timeout: 20_000 }, async (t) => {
    if (!existsSync('/dev/zero')) return t.skip('no /dev/zero');
    const dir = mkdtempSync(join(tmpdir(), 'hostile-device-'));
    symlinkSync('/dev/zero', join(dir, 'config.json'));
    await startsDespite(dir, async (cli) => {
      await cli.waitFor(/listening on/);
      assert.match(cli.stderr(), /config\.json is a device, not a file/);
      await stops(cli);
    });
  });

  test('a corrupt file is set aside with a notice (as before)', { timeout: 20_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostile-corrupt-'));
    writeFileSync(join(dir, 'config.json'), '{"port": 11435, "token": ');
    await startsDespite(dir, async (cli) => {
      await cli.waitFor(/listening on/);
      assert.match(cli.stderr(), /not valid JSON/);
      await stops(cli);
    });
  });

  test('a folder where the file cannot be written says "cannot write", not "cannot read"', { timeout: 20_000 }, async (t) => {
    // A folder that exists and reads, but takes no new file (root ignores permissions, so not chmod).
    if (!existsSync('/proc/self/status')) return t.skip('no /proc to stand in for a read-only folder');
    await startsDespite('/proc/self', async (cli) => {
      await cli.waitFor(/listening on/);
      assert.match(cli.stderr(), /settings file: cannot write \/proc\/self\/config\.json: \w+; using defaults/);
      await stops(cli);
    });
  });
});
