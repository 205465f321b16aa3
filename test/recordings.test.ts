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
        assert.equal(body(call).model, name.includes('thinking') ? 'qwen3.6:35b-a3b' : 'qwen3-coder:30b', 'every tier set to one model, a thinking one for the thinking sessions');
      });
    });

    test(`${name} holds no machine path, host name or secret`, () => {
      const text = gunzipSync(readFileSync(recordingPath(name))).toString('utf8');
      for (const needle of ['/tmp/', '-tmp-', 'cc-record-', '/root', 'Bearer ', os.hostname(), os.userInfo().homedir + '/']) {
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

describe('cc-2.1.139-full-resume', () => {
  const recording = loadRecording('cc-2.1.139-full-resume');

  test('three resumed main calls of the full client: 23 tools, a system of about 26 KB, cch= on every call', () => {
    assert.deepEqual(recording.calls.map((c) => [c.prompt, c.role]), [[1, 'main'], [2, 'main'], [3, 'main']]);
    for (const call of recording.calls) {
      assert.equal(body(call).tools!.length, 23);
      assert.ok(call.body.length > 90_000, 'the full client sends about 100 KB');
      assert.match(billingLine(call), /cc_version=2\.1\.139\.[0-9a-f]{3}; cc_entrypoint=sdk-cli; cch=[0-9a-f]+;$/);
    }
    assert.equal(new Set(recording.calls.map(billingLine)).size, 3, 'the billing line differs on every call');
  });
});

describe('cc-2.1.139-interactive', () => {
  const recording = loadRecording('cc-2.1.139-interactive');

  test('each prompt has one title side call, sent just before the prompt\'s main call', () => {
    for (const prompt of [1, 2]) {
      const calls = recording.calls.filter((c) => c.prompt === prompt);
      assert.deepEqual(calls.map((c) => c.role), ['side', 'main'], `prompt ${prompt}`);
      const [side, main] = calls;
      const gap = main!.t - side!.t;
      assert.ok(gap >= 0 && gap < 500, `prompt ${prompt}: the title call leads the main call by ${gap} ms`);
    }
  });

  test('a title call: the title system prompt, no tools, JSON output, the prompt as its only message', () => {
    for (const side of recording.calls.filter((c) => c.role === 'side')) {
      const b = body(side);
      assert.match(b.system[2]!.text, /^Generate a concise, sentence-case title/);
      assert.deepEqual(b.tools, []);
      assert.equal(b.messages.length, 1);
      assert.match(side.headers['anthropic-beta'] ?? '', /structured-outputs/);
    }
  });

  test('the main calls share the model and session with the side calls, and carry the interactive entrypoint and cch=', () => {
    assert.equal(new Set(recording.calls.map((c) => c.headers['x-claude-code-session-id'])).size, 1);
    assert.equal(new Set(recording.calls.map((c) => body(c).model)).size, 1);
    for (const call of recording.calls) assert.match(billingLine(call), /cc_entrypoint=cli; cch=[0-9a-f]+;$/);
  });
});

/** The inline `role: "system"` messages of a call, as text. */
function inlineSystem(call: RecordedCall): string[] {
  return body(call).messages.filter((m) => m.role === 'system')
    .map((m) => (typeof m.content === 'string' ? m.content : m.content.map((b) => b.text ?? '').join('')));
}

function toolResults(call: RecordedCall): number {
  return body(call).messages.reduce((n, m) => n + (Array.isArray(m.content) ? m.content.filter((b) => b.type === 'tool_result').length : 0), 0);
}

describe('cc-2.1.332-tool-loop', () => {
  const recording = loadRecording('cc-2.1.332-tool-loop');

  test('the model asks for a Read and the client sends the file back in a tool_result', () => {
    assert.deepEqual(recording.calls.map((c) => [c.prompt, c.role]), [[1, 'main'], [1, 'main']]);
    const messages = body(recording.calls[1]!).messages;
    const use = (messages.at(-2)!.content as Array<{ type: string; name?: string; id?: string }>).find((b) => b.type === 'tool_use');
    assert.equal(use?.name, 'Read');
    const result = (messages.at(-1)!.content as Array<{ type: string; tool_use_id?: string; content?: unknown }>)[0]!;
    assert.equal(result.type, 'tool_result');
    assert.equal(result.tool_use_id, use?.id);
    assert.match(JSON.stringify(result.content), /byte-stable/);
  });

  test('2.1.332 sends the billing line without cch=, the same on every call', () => {
    for (const call of recording.calls) assert.match(billingLine(call), /^x-anthropic-billing-header: cc_version=2\.1\.332\.[0-9a-f]{3}; cc_entrypoint=sdk-cli;$/);
    assert.equal(new Set(recording.calls.map(billingLine)).size, 1);
  });

  test('the first turn has an inline # Environment system message at messages[1]', () => {
    for (const call of recording.calls) {
      const second = body(call).messages[1]!;
      assert.equal(second.role, 'system');
      assert.match(inlineSystem(call)[0]!, /^# Environment\nYou have been invoked in the following environment/);
    }
  });
});

describe('cc-2.1.332-countdown', () => {
  const recording = loadRecording('cc-2.1.332-countdown');

  test('a tool loop of at least four tool calls, all in one prompt', () => {
    assert.ok(recording.calls.length >= 5);
    assert.ok(recording.calls.every((c) => c.prompt === 1 && c.role === 'main'));
    assert.deepEqual(recording.calls.map(toolResults), recording.calls.map((_, i) => i));
  });

  test('every tool result is followed by an inline system countdown whose number falls', () => {
    const last = recording.calls.at(-1)!;
    const messages = body(last).messages;
    messages.forEach((m, i) => {
      if (Array.isArray(m.content) && m.content.some((b) => b.type === 'tool_result')) assert.equal(messages[i + 1]?.role, 'system', `a system message follows the tool result at ${i}`);
    });
    const counts = inlineSystem(last).slice(1).map((text) => Number(/^<total_tokens>(\d+) tokens left<\/total_tokens>$/.exec(text)?.[1]));
    assert.equal(counts.length, toolResults(last));
    counts.forEach((n, i) => { if (i > 0) assert.ok(n < counts[i - 1]!, `countdown ${i} falls: ${counts.join(', ')}`); });
  });

  test('each call brings a system text the call before did not have', () => {
    recording.calls.slice(1).forEach((call, i) => {
      const before = new Set(inlineSystem(recording.calls[i]!));
      assert.ok(inlineSystem(call).some((text) => !before.has(text)), `call ${i + 1} adds a new inline system message`);
    });
  });

  test('the first turn keeps its # Environment message, and the top-level system a fixed countdown', () => {
    for (const call of recording.calls) {
      assert.match(inlineSystem(call)[0]!, /^# Environment\n/);
      assert.match(body(call).system.map((b) => b.text).join('\n'), /<total_tokens>1000000 tokens left<\/total_tokens>/);
    }
  });
});

describe('cc-2.1.332-subagent', () => {
  const recording = loadRecording('cc-2.1.332-subagent');

  test('main agent, one subagent with a tool call, then the main agent again', () => {
    assert.deepEqual(recording.calls.map((c) => c.role), ['main', 'subagent', 'subagent', 'main']);
    assert.deepEqual(recording.calls.map(toolResults), [0, 0, 1, 1]);
    const agentCall = (body(recording.calls[3]!).messages.at(-2)!.content as Array<{ type: string; name?: string }>).find((b) => b.type === 'tool_use');
    assert.equal(agentCall?.name, 'Agent');
  });

  test('subagent calls share the session id and carry an agent id; main calls carry none', () => {
    assert.equal(new Set(recording.calls.map((c) => c.headers['x-claude-code-session-id'])).size, 1);
    const [main1, sub1, sub2, main2] = recording.calls;
    assert.equal(main1!.headers['x-claude-code-agent-id'], undefined);
    assert.equal(main2!.headers['x-claude-code-agent-id'], undefined);
    assert.match(sub1!.headers['x-claude-code-agent-id'] ?? '', /^[0-9a-z]{8,}$/);
    assert.equal(sub2!.headers['x-claude-code-agent-id'], sub1!.headers['x-claude-code-agent-id']);
    // A first-level subagent's parent is the main agent, which has no id: 2.1.332 then sends no parent header.
    assert.equal(sub1!.headers['x-claude-code-parent-agent-id'], undefined);
  });

  test('the subagent\'s billing line says so, and its system and tools differ from the main agent\'s', () => {
    const [main1, sub1] = recording.calls;
    assert.match(billingLine(sub1!), /cc_is_subagent=true;$/);
    assert.doesNotMatch(billingLine(main1!), /cc_is_subagent/);
    assert.notDeepEqual(body(sub1!).tools!.map((t) => t.name), body(main1!).tools!.map((t) => t.name));
  });
});

describe('cc-2.1.332-nested-subagent', () => {
  const recording = loadRecording('cc-2.1.332-nested-subagent');
  const agent = (c: RecordedCall) => c.headers['x-claude-code-agent-id'];
  const parent = (c: RecordedCall) => c.headers['x-claude-code-parent-agent-id'];

  test('main, a subagent that delegates, its subagent with a Read, the subagent again, main again', () => {
    const [main1, outer1, inner1, inner2, outer2, main2] = recording.calls;
    assert.equal(recording.calls.length, 6);
    assert.deepEqual([main1, main2].map((c) => agent(c!)), [undefined, undefined]);
    assert.ok(agent(outer1!) && agent(inner1!) && agent(outer1!) !== agent(inner1!));
    assert.deepEqual([outer2, inner2].map((c) => agent(c!)), [agent(outer1!), agent(inner1!)]);
    assert.deepEqual(recording.calls.map((c) => c.role), ['main', 'subagent', 'subagent', 'subagent', 'subagent', 'main']);
  });

  test('only a subagent started by a subagent names its parent, by the parent\'s agent id', () => {
    const [, outer1, inner1, inner2, outer2] = recording.calls;
    assert.equal(parent(outer1!), undefined);
    assert.equal(parent(outer2!), undefined);
    assert.equal(parent(inner1!), agent(outer1!));
    assert.equal(parent(inner2!), agent(outer1!));
  });
});

type Block = { type: string; text?: string; thinking?: string; signature?: string };
const blocks = (content: Body['messages'][number]['content']): Block[] => (typeof content === 'string' ? [{ type: 'text', text: content }] : content as Block[]);

describe('cc-2.1.332-thinking', () => {
  const recording = loadRecording('cc-2.1.332-thinking');

  test('asks for thinking on every call (adaptive, effort high), which Ollama turns on', () => {
    for (const call of recording.calls) {
      const b = JSON.parse(call.body) as { thinking?: { type: string }; output_config?: { effort: string } };
      assert.equal(b.thinking?.type, 'adaptive');
      assert.equal(b.output_config?.effort, 'high');
    }
  });

  test("sends the model's thinking back on every later call, with an empty signature, across --resume", () => {
    assert.deepEqual(recording.calls.map((c) => c.prompt), [1, 1, 2, 2]);
    const last = body(recording.calls[3]!);
    const thinking = last.messages.filter((m) => m.role === 'assistant').map((m) => blocks(m.content).filter((b) => b.type === 'thinking'));
    assert.equal(thinking.length, 3, 'two answers of prompt 1 and the tool call of prompt 2');
    for (const t of thinking) {
      assert.equal(t.length, 1);
      assert.equal(t[0]!.signature, '');
      assert.ok((t[0]!.thinking ?? '').length > 20);
    }
  });
});

describe('cc-2.1.332-max-output and -thinking', () => {
  test('after an answer cut with text, the client asks to resume in a new user message', () => {
    const calls = loadRecording('cc-2.1.332-max-output').calls;
    assert.equal(calls.length, 4, 'three recoveries, then the client gives up');
    const second = body(calls[1]!).messages;
    const asked = blocks(second[second.length - 1]!.content);
    assert.match(asked[0]!.text ?? '', /^<system-reminder>\nOutput token limit hit/);
  });

  test('after an answer cut with no text, it appends the reminder to the first user message, before # Environment', () => {
    const calls = loadRecording('cc-2.1.332-max-output-thinking').calls;
    assert.equal(calls.length, 4);
    const first = body(calls[0]!).messages;
    const retry = body(calls[1]!).messages;
    assert.equal(retry.length, first.length, 'no message is added');
    assert.equal(retry[1]!.role, 'system');
    const before = blocks(first[0]!.content);
    const after = blocks(retry[0]!.content);
    assert.equal(after[after.length - 2]!.text, `${before[before.length - 1]!.text}\n`, 'the prompt text gains a newline');
    assert.match(after[after.length - 1]!.text ?? '', /^<system-reminder>\nOutput token limit hit/);
  });
});

describe('cc-2.1.332-other-project', () => {
  const calls = loadRecording('cc-2.1.332-other-project').calls;
  const [first, other] = [body(calls[0]!), body(calls[2]!)];
  const systemText = (b: Body): string => b.system.slice(1).map((s) => s.text).join('\n');

  test('two sessions, one per project, each a Read then text', () => {
    assert.deepEqual(calls.map((c) => [c.prompt, c.role]), [[1, 'main'], [1, 'main'], [2, 'main'], [2, 'main']]);
    assert.notEqual(calls[0]!.headers['x-claude-code-session-id'], calls[2]!.headers['x-claude-code-session-id']);
  });

  test('the tools are byte-identical across projects; the system prompt differs only in the project\'s memory folder', () => {
    assert.equal(JSON.stringify(other.tools), JSON.stringify(first.tools));
    const a = systemText(first);
    const b = systemText(other);
    assert.notEqual(a, b);
    assert.equal(b.replaceAll('-home-user-shop', '-home-user-project'), a);
    // Where the projects part: about half-way into the system prompt, long before the tools.
    const at = [...a].findIndex((ch, i) => ch !== b[i]);
    assert.ok(at > 3000 && at < a.length / 2 + 1000, `diverges at ${at} of ${a.length}`);
  });

  test('the environment message names the other project\'s folder and that it is a git repository', () => {
    const env = (b: Body): string => blocks(b.messages.find((m) => m.role === 'system')!.content)[0]!.text ?? '';
    assert.match(env(first), /Primary working directory: \/home\/user\/project\n - Is a git repository: false/);
    assert.match(env(other), /Primary working directory: \/home\/user\/shop\n - Is a git repository: true/);
  });
});
