// A skip must show in the run's last line, with its count, and a missing
// program must fail the run in CI rather than skip. Both are checked on real
// `node --test` runs of a small test file written here.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPORTER = fileURLToPath(new URL('./support/skip-summary-reporter.js', import.meta.url));
const REQUIREMENTS = fileURLToPath(new URL('./support/requirements.js', import.meta.url));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'skip-summary-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

function writeTestFile(name: string, source: string): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, source);
  return file;
}

function runTests(file: string, env: NodeJS.ProcessEnv): { status: number | null; lastLine: string } {
  // Without NODE_TEST_CONTEXT, which would make the child report to this runner instead of exiting as a run does.
  const { NODE_TEST_CONTEXT: _, ...own } = process.env;
  const run = spawnSync(process.execPath, ['--test', `--test-reporter=${REPORTER}`, file], { env: { ...own, ...env }, encoding: 'utf8' });
  const lines = run.stdout.trimEnd().split('\n');
  return { status: run.status, lastLine: lines.at(-1) ?? '' };
}

describe('the skip summary at the end of npm test', () => {
  test('names a skipped suite, whose tests Node 20 leaves out of its counts, and counts skipped tests', () => {
    const file = writeTestFile('mixed.test.mjs', `
      import { describe, test } from 'node:test';
      describe('browser views', { skip: 'Chromium is not installed' }, () => { test('a', () => {}); test('b', () => {}); });
      test('zsh snippet', { skip: 'zsh is not installed' }, () => {});
      test('fish snippet', { skip: 'fish is not installed' }, () => {});
      test('runs', () => {});
    `);
    const { status, lastLine } = runTests(file, {});
    assert.equal(status, 0);
    assert.equal(lastLine, 'SKIPPED 2 test(s) and 1 whole suite(s), their tests uncounted: browser views — Chromium is not installed (1); zsh is not installed (1); fish is not installed (1)');
  });

  test('says nothing was skipped when nothing was', () => {
    const file = writeTestFile('plain.test.mjs', `import { test } from 'node:test'; test('runs', () => {});`);
    assert.deepEqual(runTests(file, {}), { status: 0, lastLine: 'skipped: nothing — every test ran' });
  });
});

describe('a program the tests need', () => {
  const file = writeTestFile('needs.test.mjs', `
    import { test } from 'node:test';
    import { needsProgram } from ${JSON.stringify(REQUIREMENTS)};
    test('uses a shell that is not installed', { skip: needsProgram('no-such-shell-llm-cache-proxy') }, () => {
      throw new Error('no-such-shell-llm-cache-proxy: not found');
    });
  `);

  test('off CI, is skipped with the reason in the last line', () => {
    const { status, lastLine } = runTests(file, { CI: '' });
    assert.equal(status, 0);
    assert.equal(lastLine, 'SKIPPED 1 test(s) — no-such-shell-llm-cache-proxy is not installed (CI installs it) (1)');
  });

  test('in CI (.ci/run sets CI=true), fails the run', () => {
    const { status, lastLine } = runTests(file, { CI: 'true' });
    assert.equal(status, 1);
    assert.equal(lastLine, 'skipped: nothing — every test ran');
  });
});
