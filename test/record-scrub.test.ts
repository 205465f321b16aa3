// The recorder's scrubbing: the same stand-in for a path wherever and however
// it is written, the longer path first, and only the contract's headers kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keptHeaders, scrubRules, scrubText } from '../scripts/record-scrub.js';

const rules = scrubRules([
  ['/tmp/cc-record-x', '/home/user/work'],
  ['/tmp/cc-record-x/project', '/home/user/project'],
  ['ab', 'never'],
]);

test('a project inside the temp dir keeps its own stand-in, and needles under 3 characters are dropped', () => {
  assert.equal(scrubText('cd /tmp/cc-record-x/project && ls /tmp/cc-record-x/tmp; ab', rules), 'cd /home/user/project && ls /home/user/work/tmp; ab');
});

test('paths inside JSON strings are scrubbed in their escaped spelling too', () => {
  const winRules = scrubRules([['C:\\Users\\me', 'C:\\Users\\user']]);
  const body = JSON.stringify({ cwd: 'C:\\Users\\me\\project' });
  assert.equal(JSON.parse(scrubText(body, winRules)).cwd, 'C:\\Users\\user\\project');
});

test('only anthropic-*, x-claude-code-*, user-agent and content-type headers survive, lowercased and scrubbed', () => {
  const kept = keptHeaders({
    Authorization: 'Bearer ollama', 'X-Claude-Code-Session-Id': 's', 'anthropic-beta': 'b', 'user-agent': 'claude-cli/2.1.332',
    'content-type': 'application/json', 'x-stainless-os': 'Linux', host: '127.0.0.1:1', 'x-claude-code-cwd': '/tmp/cc-record-x/project',
  }, rules);
  assert.deepEqual(kept, {
    'anthropic-beta': 'b', 'content-type': 'application/json', 'user-agent': 'claude-cli/2.1.332',
    'x-claude-code-cwd': '/home/user/project', 'x-claude-code-session-id': 's',
  });
});
