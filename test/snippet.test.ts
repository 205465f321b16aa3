// The snippet is run for real in bash, zsh and fish (CI must install zsh and
// fish), against a stand-in `claude` that reports what it received.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { needsProgram } from './support/requirements.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { claudelSnippet, clientBaseUrl } from '../main/core/snippet/claudel.js';
import type { Shell } from '../main/core/snippet/shells.js';
import { SHELLS, shellFromEnv } from '../main/core/snippet/shells.js';
import { runSnippetCommand } from '../main/cli/snippet-command.js';
import { startOllamaStandin, type OllamaStandin } from './support/ollama-standin.js';

const REPORTED_VARIABLES = [
  'ANTHROPIC_BASE_URL', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_API_KEY', 'ANTHROPIC_MODEL', 'ANTHROPIC_DEFAULT_OPUS_MODEL',
  'ANTHROPIC_DEFAULT_SONNET_MODEL', 'ANTHROPIC_DEFAULT_HAIKU_MODEL', 'CLAUDE_CODE_SUBAGENT_MODEL', 'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC',
  'CLAUDE_CODE_TOTAL_TOKENS_REMINDER',
  'CLAUDE_CODE_MAX_CONTEXT_TOKENS', 'CLAUDE_CODE_MAX_OUTPUT_TOKENS',
] as const;

interface ClaudeReport {
  readonly env: Record<string, string | null>;
  readonly args: string[];
}

const ODD_MODEL = `my model's "best" $HOME \`id\` \\n ;|&*?[a] %s:7b`;
const ODD_ARGS = ['-p', 'two words', '', `it's`, '"double"', '$HOME', '$(id)', '`id`', 'back\\slash', '*', 'new\nline', '--', '-x'];

let work: string;

/** Runs `claudel` in a real shell; prints the stand-in's report, then whether the base URL leaked into the shell. */
function runClaudel(shell: Shell, snippet: string, args: readonly string[]): { report: ClaudeReport; leaked: string } {
  const snippetFile = path.join(work, `snippet.${shell}`);
  fs.writeFileSync(snippetFile, snippet);
  // A function named claude must not be picked over the real executable.
  const script = shell === 'fish'
    ? 'function claude; echo shadowed; end; source $argv[1]; claudel $argv[2..-1]; echo; echo "leaked:$ANTHROPIC_BASE_URL"'
    : 'claude() { echo shadowed; }; . "$1"; shift; claudel "$@"; echo; echo "leaked:${ANTHROPIC_BASE_URL-}"';
  const argv = shell === 'fish' ? ['--no-config', '-c', script, snippetFile, ...args]
    : shell === 'zsh' ? ['-f', '-c', script, 'zsh', snippetFile, ...args]
      : ['--norc', '--noprofile', '-c', script, 'bash', snippetFile, ...args];
  const env: NodeJS.ProcessEnv = {
    PATH: `${path.join(work, 'bin')}${path.delimiter}${process.env['PATH'] ?? ''}`,
    HOME: work,
    // A real key in the user's shell must not reach the proxy.
    ANTHROPIC_API_KEY: 'sk-real-key',
  };
  const output = execFileSync(shell, argv, { env, encoding: 'utf8' });
  const [reportLine = '', leakedLine = ''] = output.split('\n').filter((line) => line !== '');
  return { report: JSON.parse(reportLine) as ClaudeReport, leaked: leakedLine };
}

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'snippet-test-'));
  fs.mkdirSync(path.join(work, 'bin'));
  const standIn = path.join(work, 'bin', 'claude');
  fs.writeFileSync(standIn, `#!${process.execPath}
const names = ${JSON.stringify(REPORTED_VARIABLES)};
const env = Object.fromEntries(names.map((name) => [name, process.env[name] ?? null]));
process.stdout.write(JSON.stringify({ env, args: process.argv.slice(2) }) + '\\n');
`, { mode: 0o755 });
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

describe('claudel snippet in real shells', () => {
  for (const shell of SHELLS) {
    const skip = needsProgram(shell, shell === 'fish' ? ['--version'] : ['-c', 'true']);
    test(`${shell}: environment for one call, arguments intact, --bare on`, { skip }, () => {
      const snippet = claudelSnippet({ shell, port: 11435, host: '127.0.0.1', model: ODD_MODEL, bare: true });
      const { report, leaked } = runClaudel(shell, snippet, ODD_ARGS);
      assert.deepEqual(report.env, {
        ANTHROPIC_BASE_URL: 'http://127.0.0.1:11435',
        ANTHROPIC_AUTH_TOKEN: 'ollama',
        ANTHROPIC_API_KEY: '',
        ANTHROPIC_MODEL: ODD_MODEL,
        ANTHROPIC_DEFAULT_OPUS_MODEL: ODD_MODEL,
        ANTHROPIC_DEFAULT_SONNET_MODEL: ODD_MODEL,
        ANTHROPIC_DEFAULT_HAIKU_MODEL: ODD_MODEL,
        CLAUDE_CODE_SUBAGENT_MODEL: ODD_MODEL,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        CLAUDE_CODE_TOTAL_TOKENS_REMINDER: 'off',
        // No window known: left out rather than guessed.
        CLAUDE_CODE_MAX_CONTEXT_TOKENS: null,
        CLAUDE_CODE_MAX_OUTPUT_TOKENS: null,
      });
      assert.deepEqual(report.args, ['--bare', '--permission-mode=manual', ...ODD_ARGS]);
      assert.equal(leaked, 'leaked:', 'variables are set for that call only');
    });

    test(`${shell}: a permission mode the user passes is kept, and none is added`, { skip }, () => {
      const snippet = claudelSnippet({ shell, port: 11435, host: '127.0.0.1', model: 'qwen3-coder:30b', bare: false });
      for (const args of [['--permission-mode', 'acceptEdits', 'fix it'], ['-p', '--permission-mode=plan'], ['--dangerously-skip-permissions']]) {
        assert.deepEqual(runClaudel(shell, snippet, args).report.args, args);
      }
      assert.deepEqual(runClaudel(shell, snippet, ['say --permission-mode']).report.args, ['--permission-mode=manual', 'say --permission-mode'], 'only a whole argument counts');
    });

    test(`${shell}: --bare off, no arguments, IPv6 host`, { skip }, () => {
      const snippet = claudelSnippet({ shell, port: 8080, host: '::1', model: 'qwen3-coder:30b', bare: false });
      const { report } = runClaudel(shell, snippet, []);
      assert.deepEqual(report.args, ['--permission-mode=manual'], 'not auto mode, whose check needs Anthropic\'s server');
      assert.equal(report.env['ANTHROPIC_BASE_URL'], 'http://[::1]:8080');
      assert.equal(report.env['ANTHROPIC_MODEL'], 'qwen3-coder:30b');
      assert.equal(report.env['CLAUDE_CODE_SUBAGENT_MODEL'], 'qwen3-coder:30b', 'no subagent model: subagents use the main one');
    });

    test(`${shell}: a separate subagent model reaches CLAUDE_CODE_SUBAGENT_MODEL only`, { skip }, () => {
      const snippet = claudelSnippet({ shell, port: 11435, host: '127.0.0.1', model: 'qwen3-coder:30b', bare: false, subagentModel: ODD_MODEL });
      const { report } = runClaudel(shell, snippet, []);
      assert.equal(report.env['CLAUDE_CODE_SUBAGENT_MODEL'], ODD_MODEL);
      assert.equal(report.env['ANTHROPIC_MODEL'], 'qwen3-coder:30b');
      assert.equal(report.env['ANTHROPIC_DEFAULT_HAIKU_MODEL'], 'qwen3-coder:30b');
    });
  }
});

describe('the snippet `snippet --target` generates from a backend reporting its window, in real shells', () => {
  let ollama: OllamaStandin;
  before(async () => {
    ollama = await startOllamaStandin({ models: [{ name: 'qwen3-coder:30b', contextLength: 8192 }], loaded: ['qwen3-coder:30b'] });
  });
  after(() => ollama.close());

  /** What `llm-cache-proxy snippet --target <the stand-in>` prints, with an empty settings folder: the window comes from the backend alone. */
  async function generated(argv: string[]): Promise<string> {
    let stdout = '';
    const code = await runSnippetCommand(['--model', 'qwen3-coder:30b', '--port', '11500', '--target', ollama.url, ...argv], {
      stdout: (text) => { stdout += text; }, stderr: () => undefined, env: { LLM_CACHE_PROXY_CONFIG_DIR: fs.mkdtempSync(path.join(work, 'config-')) },
    });
    assert.equal(code, 0);
    return stdout;
  }

  for (const shell of SHELLS) {
    const skip = needsProgram(shell, shell === 'fish' ? ['--version'] : ['-c', 'true']);
    test(`${shell}: Claude Code gets the backend's 8,192-token window and an output that fits in it`, { skip }, async () => {
      const { report } = runClaudel(shell, await generated(['--shell', shell, '--bare']), ['-p', 'hi']);
      assert.equal(report.env['CLAUDE_CODE_MAX_CONTEXT_TOKENS'], '8192');
      assert.equal(report.env['CLAUDE_CODE_MAX_OUTPUT_TOKENS'], '4096');
      assert.equal(report.env['ANTHROPIC_BASE_URL'], 'http://127.0.0.1:11500');
      assert.deepEqual(report.args, ['--bare', '--permission-mode=manual', '-p', 'hi']);
    });
  }

  test('the window follows the backend: reloaded with 32,768 tokens, a new snippet says so', async () => {
    ollama.models[0]!.contextLength = 32_768;
    try {
      const { report } = runClaudel('bash', await generated(['--shell', 'bash']), []);
      assert.equal(report.env['CLAUDE_CODE_MAX_CONTEXT_TOKENS'], '32768');
      assert.equal(report.env['CLAUDE_CODE_MAX_OUTPUT_TOKENS'], '4096');
    } finally {
      ollama.models[0]!.contextLength = 8192;
    }
  });
});

describe('claudelSnippet', () => {
  test('starts with comments saying what it is and what it knows of the window, and defines claudel', () => {
    for (const shell of SHELLS) {
      const snippet = claudelSnippet({ shell, port: 1, host: 'localhost', model: 'm', bare: false });
      assert.match(snippet, /^# claudel: .*llm-cache-proxy/);
      const lines = snippet.split('\n');
      const defined = lines.findIndex((line) => /^function claudel\b/.test(line));
      assert.ok(defined > 0, 'the function is defined');
      assert.ok(lines.slice(0, defined).every((line) => line.startsWith('# ')), 'only comments before it');
      assert.match(snippet, /^# Context window: unknown [^]*CLAUDE_CODE_MAX_CONTEXT_TOKENS is left out/m);
      assert.ok(snippet.endsWith('\n'));
    }
  });
  test('a wildcard listen address is reached through loopback', () => {
    assert.equal(clientBaseUrl('0.0.0.0', 1), 'http://127.0.0.1:1');
    assert.equal(clientBaseUrl('::', 1), 'http://[::1]:1');
    assert.equal(clientBaseUrl('gpu-box.lan', 2), 'http://gpu-box.lan:2');
  });
  test('refuses inputs that would make a broken function', () => {
    const good = { shell: 'zsh', port: 1, host: 'h', model: 'm', bare: false } as const;
    assert.throws(() => claudelSnippet({ ...good, port: 0 }), RangeError);
    assert.throws(() => claudelSnippet({ ...good, model: '' }), TypeError);
    assert.throws(() => claudelSnippet({ ...good, shell: 'tcsh' as Shell }), TypeError);
  });
});

describe('shellFromEnv', () => {
  test('reads $SHELL and falls back per platform', () => {
    assert.equal(shellFromEnv('/bin/zsh', 'linux'), 'zsh');
    assert.equal(shellFromEnv('/opt/homebrew/bin/fish', 'darwin'), 'fish');
    assert.equal(shellFromEnv('-bash', 'darwin'), 'bash');
    assert.equal(shellFromEnv('/bin/tcsh', 'darwin'), 'zsh');
    assert.equal(shellFromEnv(undefined, 'darwin'), 'zsh');
    assert.equal(shellFromEnv(undefined, 'linux'), 'bash');
  });
});

describe('llm-cache-proxy snippet', () => {
  let configDir: string;
  let n = 0;

  async function run(argv: string[], config?: string, extraEnv: NodeJS.ProcessEnv = {}) {
    configDir = path.join(work, `config-${n++}`);
    if (config !== undefined) {
      fs.mkdirSync(configDir, { recursive: true });
      fs.writeFileSync(path.join(configDir, 'config.json'), config);
    }
    let stdout = '';
    let stderr = '';
    const code = await runSnippetCommand(argv, {
      stdout: (text) => { stdout += text; },
      stderr: (text) => { stderr += text; },
      env: { LLM_CACHE_PROXY_CONFIG_DIR: configDir, SHELL: '/bin/zsh', ...extraEnv },
    });
    return { code, stdout, stderr };
  }

  test('defaults come from the settings file', async () => {
    const config = JSON.stringify({ schemaVersion: 2, port: 12345, model: 'llama3.1:8b', bare: true, shell: 'fish' });
    const { code, stdout, stderr } = await run([], config);
    assert.equal(code, 0);
    assert.equal(stderr, '');
    assert.equal(stdout, claudelSnippet({ shell: 'fish', port: 12345, host: '127.0.0.1', model: 'llama3.1:8b', bare: true }));
  });

  test('with no settings file, the defaults and $SHELL apply', async () => {
    const { code, stdout } = await run([], undefined, { SHELL: '/usr/bin/bash' });
    assert.equal(code, 0);
    assert.equal(stdout, claudelSnippet({ shell: 'bash', port: 11435, host: '127.0.0.1', model: 'qwen3-coder:30b', bare: false }));
  });

  test('flags override the file; the last of --bare / --no-bare wins', async () => {
    const config = JSON.stringify({ schemaVersion: 2, bare: true, shell: 'fish' });
    const { code, stdout } = await run(['--shell', 'bash', '--bare', '--no-bare', '--model', 'a b', '--port=2222'], config);
    assert.equal(code, 0);
    assert.equal(stdout, claudelSnippet({ shell: 'bash', port: 2222, host: '127.0.0.1', model: 'a b', bare: false }));
    const separate = await run(['--shell', 'bash', '--subagent-model', 'qwen3:4b'], JSON.stringify({ schemaVersion: 2, subagentModel: 'from-file' }));
    assert.equal(separate.stdout, claudelSnippet({ shell: 'bash', port: 11435, host: '127.0.0.1', model: 'qwen3-coder:30b', bare: false, subagentModel: 'qwen3:4b' }));
    const fromFile = await run(['--shell', 'bash'], JSON.stringify({ schemaVersion: 2, subagentModel: 'from-file' }));
    assert.match(fromFile.stdout, /CLAUDE_CODE_SUBAGENT_MODEL='from-file'/);
    const again = await run(['--no-bare', '--bare']);
    assert.match(again.stdout, /command claude --bare \$\{claudel_mode:\+"\$claudel_mode"\} "\$@"/);
  });

  test('--help prints usage', async () => {
    const { code, stdout } = await run(['--help']);
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: llm-cache-proxy snippet \[--shell zsh\|bash\|fish\]/);
    assert.ok(stdout.includes(configDir));
  });

  test('bad flags: one clear line and exit code 2', async () => {
    const cases: [string[], string][] = [
      [['--frobnicate'], `llm-cache-proxy snippet: Unknown option '--frobnicate' (see --help)\n`],
      [['--model'], `llm-cache-proxy snippet: Option '--model <value>' argument missing (see --help)\n`],
      [['extra'], `llm-cache-proxy snippet: Unexpected argument 'extra' (see --help)\n`],
      [['--shell', 'tcsh'], 'llm-cache-proxy snippet: --shell must be one of zsh, bash, fish, not "tcsh" (see --help)\n'],
      [['--port', 'abc'], 'llm-cache-proxy snippet: --port: Port must be a whole number from 1 to 65535.\n'],
      [['--port', '0'], 'llm-cache-proxy snippet: --port: Port must be a whole number from 1 to 65535.\n'],
      [['--model', ''], 'llm-cache-proxy snippet: --model: Model must not be empty.\n'],
    ];
    for (const [argv, message] of cases) {
      const { code, stdout, stderr } = await run(argv);
      assert.equal(stderr, message, argv.join(' '));
      assert.equal(code, 2, argv.join(' '));
      assert.equal(stdout, '');
    }
  });

  test('a corrupt settings file is reported and the snippet still printed', async () => {
    const { code, stdout, stderr } = await run([], '{oops');
    assert.equal(code, 0);
    assert.match(stderr, /^llm-cache-proxy snippet: config\.json is not valid JSON \(.*\)\. It was moved to .*config\.json\.bak-.*; using defaults\.\n$/);
    assert.match(stdout, /^# claudel/);
  });
});

describe('claudel tells Claude Code the model\'s window', () => {
  for (const shell of SHELLS) {
    const skip = needsProgram(shell, shell === 'fish' ? ['--version'] : ['-c', 'true']);
    test(`${shell}: 8,192 tokens sets the window and lowers the output so the prompt fits; 131,072 keeps the default output`, { skip }, () => {
      const small = claudelSnippet({ shell, port: 11435, host: '127.0.0.1', model: 'qwen3:8b', bare: true, window: { tokens: 8192, source: 'a test' } });
      const smallEnv = runClaudel(shell, small, []).report.env;
      assert.equal(smallEnv['CLAUDE_CODE_MAX_CONTEXT_TOKENS'], '8192');
      assert.equal(smallEnv['CLAUDE_CODE_MAX_OUTPUT_TOKENS'], '4096');
      const large = claudelSnippet({ shell, port: 11435, host: '127.0.0.1', model: 'qwen3:8b', bare: false, window: { tokens: 131_072, source: 'a test' } });
      const largeEnv = runClaudel(shell, large, []).report.env;
      assert.equal(largeEnv['CLAUDE_CODE_MAX_CONTEXT_TOKENS'], '131072');
      assert.equal(largeEnv['CLAUDE_CODE_MAX_OUTPUT_TOKENS'], null);
    });

    test(`${shell}: a window warning and a model name with a newline stay inside comments`, { skip }, () => {
      const model = 'evil\nexport LEAK=1';
      const snippet = claudelSnippet({ shell, port: 11435, host: '127.0.0.1', model, bare: false, window: { tokens: 8192, source: `Ollama's /api/ps for ${model} as loaded` } });
      assert.match(snippet, /^# WARNING: The 8,192-token context window of evil export LEAK=1 is too small for Claude Code/m);
      const { report } = runClaudel(shell, snippet, []);
      assert.equal(report.env['ANTHROPIC_MODEL'], model);
    });
  }
});
