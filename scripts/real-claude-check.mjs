// The end-to-end check with the real Claude Code CLI, by hand (it is not part
// of npm test: it needs @anthropic-ai/claude-code installed). It runs three
// turns of one `claude -p --bare` session (--session-id, then --resume twice)
// through the headless proxy against the Ollama stand-in: once with the
// rewrite off and once with the default. It prints the proxy's --explain
// lines and reuse figures, and the cache usage Claude Code itself received.
// With Chromium present it also watches a third run live at /_proxy/ui and
// saves a screenshot; that run's last turn adds --append-system-prompt to
// provoke a named miss.
//
//   npm run build && CLAUDE_BIN=$(npm root -g)/@anthropic-ai/claude-code/cli.js node scripts/real-claude-check.mjs
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { startNodeProcess } = await import('../dist/test/support/node-process.js');
const claudeBin = process.env.CLAUDE_BIN ?? 'claude';
const work = mkdtempSync(join(tmpdir(), 'llm-cache-proxy-real-claude-'));

function claude(proxyUrl, args) {
  const env = {
    ...process.env,
    ANTHROPIC_BASE_URL: proxyUrl, ANTHROPIC_AUTH_TOKEN: 'ollama', ANTHROPIC_API_KEY: '',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', ANTHROPIC_MODEL: 'qwen3-coder:30b',
  };
  const output = execFileSync(claudeBin, ['-p', '--bare', '--output-format', 'json', ...args], { env, cwd: work, encoding: 'utf8' });
  return JSON.parse(output).usage;
}

async function session(standinUrl, rewrite, { lastTurnArgs = [], beforeTurns = async () => {}, afterTurns = async () => {} } = {}) {
  const proxy = await startNodeProcess(join(root, 'dist/main/cli.js'), ['--port', '0', '--target', standinUrl, '--rewrite', rewrite, '--explain', '--prompt-excerpts', '--log-level', 'warn'],
    /listening on (http:\/\/\S+) ->/, { ...process.env, LLM_CACHE_PROXY_CONFIG_DIR: join(work, `config-${rewrite}`) });
  await beforeTurns(proxy.url);
  const id = randomUUID();
  const usages = [
    claude(proxy.url, ['--session-id', id, 'What is a KV cache?']),
    claude(proxy.url, ['--resume', id, 'Why does a changing first line break it?']),
    claude(proxy.url, ['--resume', id, ...lastTurnArgs, 'Summarise in one line.']),
  ];
  const status = await (await fetch(`${proxy.url}/_proxy/status`)).json();
  await afterTurns();
  proxy.child.kill('SIGTERM');
  console.log(`\n--rewrite ${rewrite}${lastTurnArgs.length ? ` (turn 3 with ${lastTurnArgs.join(' ')})` : ''}`);
  for (const line of proxy.output().split('\n').filter((l) => / turn \d+:/.test(l))) console.log(`  ${line}`);
  status.recent.forEach((call, i) => {
    const bust = call.bust ? `${call.bust.cause} at ${call.bust.path}` : 'no miss';
    console.log(`  turn ${call.turn}: reuse ${(call.reuse * 100).toFixed(1)}%, conversationReuse ${call.conversationReuse ?? '-'}, ${bust}; ` +
      `Claude Code got input_tokens ${usages[i].input_tokens}, cache_read_input_tokens ${usages[i].cache_read_input_tokens}`);
  });
}

const standin = await startNodeProcess(join(root, 'dist/test/support/standin-cli.js'), ['--port', '0', '--prefill-ms', '200', '--token-delay-ms', '20', '--tokens', '12'], /listening on (http:\/\/\S+)/);
try {
  await session(standin.url, 'off');
  await session(standin.url, 'drop');
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(chromium)) {
    const { launchChromium } = await import('../dist/test/support/browser.js');
    const browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const shot = join(root, 'test-artifacts', 'live-claude-session.png');
    await session(standin.url, 'drop', {
      lastTurnArgs: ['--append-system-prompt', 'Answer in French.'],
      beforeTurns: (url) => page.goto(`${url}/_proxy/ui`),
      // While the proxy still runs, so the page shows its live feed.
      afterTurns: async () => {
        await page.waitForFunction(() => globalThis.document.querySelectorAll('tbody tr').length >= 3, null, { timeout: 10_000 });
        await page.locator('tbody tr').first().click();
        await page.screenshot({ path: shot, fullPage: true });
      },
    });
    console.log(`\nscreenshot of /_proxy/ui during the third run: ${shot}`);
    await browser.close();
  }
} finally {
  standin.child.kill('SIGTERM');
}
