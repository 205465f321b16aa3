// Facts of the recorded real Claude Code sessions that later code relies on:
// the billing line of each client, inline system messages, side-call timing,
// agent headers, and that scrubbing left nothing of the recording machine.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import os from 'node:os';
import { loadRecording, recordingPath, RECORDING_NAMES, type RecordedCall } from './support/recordings.js';

interface Body {
  model: string;
  system: Array<{ type: string; text: string }>;
  messages: Array<{ role: string; content: string | Array<{ type: string; text?: string; content?: unknown }> }>;
  tools?: Array<{ name: string }>;
}

const body = (call: RecordedCall): Body => JSON.parse(call.body) as Body;
const billingLine = (call: RecordedCall): string => body(call).system[0]!.text;
const KEPT_HEADER = /^(anthropic-|x-claude-code-)|^(user-agent|content-type)$/;

describe('every recording', () => {
  for (const name of RECORDING_NAMES) {
    test(`${name} loads in the shared format`, () => {
      const recording = loadRecording(name);
      assert.equal(recording.name, name);
      assert.match(recording.client, /^2\.1\.\d+$/);
      assert.ok(recording.description.length > 20, 'says how it was recorded');
      assert.ok(recording.calls.length > 0);
      assert.equal(recording.calls[0]!.t, 0, 'times count from the first call');
      recording.calls.forEach((call, i) => {
        if (i > 0) assert.ok(call.t >= recording.calls[i - 1]!.t, `call ${i} comes after the one before`);
        assert.ok(call.prompt >= 1, `call ${i} belongs to a prompt`);
        assert.ok(['main', 'side', 'subagent'].includes(call.role));
        assert.equal(call.method, 'POST');
        assert.match(call.path, /^\/v1\/messages(\?|$)/);
        assert.deepEqual(Object.keys(call.headers).filter((h) => !KEPT_HEADER.test(h)), [], 'only the kept headers');
        assert.equal(call.headers['user-agent']?.match(/claude-cli\/([\d.]+)/)?.[1], recording.client, 'sent by the named client');
        assert.equal(body(call).model, 'qwen3-coder:30b');
      });
    });

    test(`${name} holds no machine path, host name or secret`, () => {
      const text = gunzipSync(readFileSync(recordingPath(name))).toString('utf8');
      for (const needle of ['/tmp/', '/root', 'Bearer', 'authorization', os.hostname(), os.userInfo().homedir + '/']) {
        assert.ok(!text.includes(needle), `${name} contains ${JSON.stringify(needle)}`);
      }
      assert.match(text, /\/home\/user\/project/, 'the project dir is there under its stand-in');
    });
  }
});

describe('cc-2.1.139-bare-resume', () => {
  const recording = loadRecording('cc-2.1.139-bare-resume');

  test('three main calls, one per prompt, in one session', () => {
    assert.deepEqual(recording.calls.map((c) => [c.prompt, c.role]), [[1, 'main'], [2, 'main'], [3, 'main']]);
    assert.equal(new Set(recording.calls.map((c) => c.headers['x-claude-code-session-id'])).size, 1, '--resume keeps the session id');
  });

  test('the billing line carries cch=, which changes on every call', () => {
    const lines = recording.calls.map(billingLine);
    for (const line of lines) assert.match(line, /^x-anthropic-billing-header: cc_version=2\.1\.139\.[0-9a-f]{3}; cc_entrypoint=sdk-cli; cch=[0-9a-f]+;$/);
    assert.equal(new Set(lines.map((l) => /cch=([0-9a-f]+)/.exec(l)![1])).size, lines.length);
  });

  test('--bare: three tools, and the system after the billing line is byte-stable', () => {
    for (const call of recording.calls) assert.deepEqual(body(call).tools!.map((t) => t.name), ['Bash', 'Edit', 'Read']);
    const rest = recording.calls.map((c) => JSON.stringify(body(c).system.slice(1)));
    assert.equal(new Set(rest).size, 1);
  });
});
