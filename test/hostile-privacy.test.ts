// Hostile input, part 6: what of a prompt the proxy shows. A miss's record
// once carried the text around the divergence to /_proxy/status, the live
// feed and the --explain line, which any local user can read on loopback
// without a token. Now nothing of a prompt leaves the proxy unless the user
// turned prompt excerpts on; where the prompt diverged is still shown.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withQuickHarness, type Harness } from './support/proxy-harness.js';
import { followEvents, send } from './support/http-client.js';
import { bareBody, conversation } from './support/claude-code-bodies.js';
import { runCli } from './support/cli-process.js';
import { startOllamaStandin } from './support/ollama-standin.js';
import type { ProxyStatus } from '../main/core/wire/types.js';

const SESSION = { 'content-type': 'application/json', 'x-claude-code-session-id': '0b8c45aa-5d4e-4b8a-9c1f-7e2d6a0b8c45' };

/** A conversation whose first prompt holds a secret, `toolTurns` tool calls in; the client then rewrote the secret. */
function turn(secret: string, toolTurns: number): Buffer {
  return bareBody({ messages: conversation(toolTurns, 500, `Remember the password ${secret} for later.`) });
}

async function missWith(h: Harness): Promise<{ status: string; feed: string }> {
  let feed = '';
  const follower = followEvents(`${h.url}/_proxy/events`, (e) => { feed += JSON.stringify(e.data); });
  try {
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const [secret, n] of [['hunter2-ALPHA-PRIVATE', 1], ['hunter2-BRAVO-PRIVATE', 2]] as const) {
      assert.equal((await send(h.url, { method: 'POST', path: '/v1/messages', headers: SESSION, body: turn(secret, n) })).status, 200);
    }
    for (let i = 0; i < 50 && !feed.includes('"bust":{'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const status = (await send(h.url, { path: '/_proxy/status' })).text;
    const recent = (JSON.parse(status) as ProxyStatus).recent;
    assert.equal(recent.at(-1)?.bust?.path.startsWith('messages[0]'), true, `a miss where the history changed: ${JSON.stringify(recent.at(-1)?.bust)}`);
    return { status, feed };
  } finally {
    follower.stop();
  }
}

describe('prompt excerpts', () => {
  test('off by default: neither the status API nor the live feed carries any of the prompt', () => withQuickHarness({}, async (h) => {
    const { status, feed } = await missWith(h);
    for (const text of [status, feed]) {
      assert.ok(!text.includes('hunter2'), 'no prompt text');
      assert.ok(!text.includes('password'), 'no prompt text at all');
    }
    assert.match(status, /"path":"messages\[0\]/, 'where it diverged is still said');
  }));

  test('on when asked: the excerpts are there', () => withQuickHarness({ promptExcerpts: true }, async (h) => {
    const { status, feed } = await missWith(h);
    assert.match(status, /BRAVO/);
    assert.match(feed, /BRAVO/);
  }));

  test('the --explain log of the real CLI names the place of a miss, not the text', { timeout: 20_000 }, async () => {
    const standin = await startOllamaStandin({ timing: { prefillMs: 0, tokenDelayMs: 0, tokens: 2 } });
    const cli = runCli(['--port', '0', '--target', standin.url, '--explain', '--log-level', 'debug'], {
      ...process.env, LLM_CACHE_PROXY_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'hostile-privacy-')),
    });
    try {
      const url = (await cli.waitFor(/listening on (http:\/\/\S+)/))[1]!;
      for (const [secret, n] of [['hunter2-ALPHA-PRIVATE', 1], ['hunter2-BRAVO-PRIVATE', 2]] as const) {
        await send(url, { method: 'POST', path: '/v1/messages', headers: SESSION, body: turn(secret, n) });
      }
      const line = (await cli.waitFor(/^.*CACHE MISS.*$/m))[0];
      assert.match(line, /CACHE MISS at messages\[0\]\S* \(/);
      assert.ok(!(cli.stdout() + cli.stderr()).includes('hunter2'), `nothing of the prompt in the log:\n${cli.stdout()}`);
    } finally {
      cli.child.kill('SIGKILL');
      await standin.close();
    }
  });
});
