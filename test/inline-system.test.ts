// The inline-system fold: the system messages of the session's opening
// context (before the first assistant message) go to the end of the top-level
// system, where the template path lifts them anyway; every later `role:
// "system"` entry of `messages` becomes a `<system-reminder>` text block at the
// same place; in a request a backend accepts, with the same bytes on every
// later call. A model whose renderer keeps them in place gets them as sent.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteRequestBody, ScanMemo, type RewriteResult } from '../main/core/rewrite/index.js';
import { mayHoldInlineSystem } from '../main/core/rewrite/inline-system.js';
import {
  countdownConversation, countdownMessage, encodeBody, environmentMessage, firstUserMessage, fullBody, fullRequest, type Message,
} from './support/claude-code-bodies.js';
import { loadRecording } from './support/recordings.js';

type Json = Record<string, unknown>;
type Block = Json & { type: string };
interface WireMessage { role: string; content: string | Block[] }

const CC = { type: 'ephemeral' };
const ENVIRONMENT = '# Environment\nYou have been invoked in /home/dev/project.';
const TOP_SYSTEM = 'You are Claude Code.';

function reminder(text: string, cacheControl = false): Block {
  return { type: 'text', text: `<system-reminder>\n${text}\n</system-reminder>`, ...(cacheControl ? { cache_control: CC } : {}) };
}
const text = (t: string): Block => ({ type: 'text', text: t });
const toolUse = (id: string): Block => ({ type: 'tool_use', id, name: 'Read', input: { file_path: '/a.ts' } });
const toolResult = (id: string): Block => ({ type: 'tool_result', tool_use_id: id, content: 'file text' });
const user = (content: string | Block[]): WireMessage => ({ role: 'user', content });
const assistant = (content: string | Block[]): WireMessage => ({ role: 'assistant', content });
const system = (content: string | Block[]): WireMessage => ({ role: 'system', content });

/** A small body around `messages`, no billing line: only the fold can fire. */
function bodyOf(messages: readonly WireMessage[]): Buffer {
  return Buffer.from(JSON.stringify({ model: 'qwen3:test', messages, system: [{ type: 'text', text: TOP_SYSTEM }], max_tokens: 100, stream: true }));
}

function fold(body: Buffer, memo: ScanMemo | null = null): RewriteResult {
  return rewriteRequestBody(body, 'drop', memo, { inlineSystem: 'fold' });
}

function messagesOf(body: Buffer): WireMessage[] {
  return (JSON.parse(body.toString('utf8')) as { messages: WireMessage[] }).messages;
}

/** What a backend requires of the result: user first, roles alternating, tool results first in their message, no system role. */
function assertValidConversation(messages: readonly WireMessage[], what: string): void {
  assert.equal(messages[0]?.role, 'user', `${what}: starts with a user message`);
  messages.forEach((message, index) => {
    assert.notEqual(message.role, 'system', `${what}: message ${index} is still a system message`);
    if (index > 0) assert.notEqual(message.role, messages[index - 1]!.role, `${what}: messages ${index - 1} and ${index} share a role`);
    if (typeof message.content === 'string') return;
    assert.ok(message.content.length > 0, `${what}: message ${index} is empty`);
    const firstOther = message.content.findIndex((block) => block.type !== 'tool_result');
    if (firstOther >= 0) {
      assert.ok(message.content.slice(firstOther).every((block) => block.type !== 'tool_result'), `${what}: a tool_result follows other content in message ${index}`);
    }
    for (const block of message.content) if (block.type === 'text') assert.notEqual(block.text, '', `${what}: empty text block`);
  });
}

interface FoldCase {
  readonly name: string;
  readonly messages: readonly WireMessage[];
  readonly expected: readonly WireMessage[];
  /** What joins the end of the top-level system, when anything does. */
  readonly toSystem?: string;
}

/** A note as long as Claude Code's list of subagent types (which it sends after a subagent's first tool result). */
const AGENT_TYPES = `Available agent types for the Agent tool:\n${'- general: a catch-all agent for any task that fits no other\n'.repeat(6)}`;
const ATTRIBUTION = '<system-reminder>\nAttribution for git commits\n</system-reminder>';

const CASES: readonly FoldCase[] = [
  {
    name: 'first turn: the # Environment block with cache_control joins the top-level system after a blank line, without its cache_control',
    messages: [user([text('<system-reminder>ctx</system-reminder>'), text('hi')]), system([{ type: 'text', text: ENVIRONMENT, cache_control: CC }])],
    expected: [user([text('<system-reminder>ctx</system-reminder>'), text('hi')])],
    toSystem: `\n\n${ENVIRONMENT}`,
  },
  {
    name: 'later turns: the # Environment string, then a tool loop',
    messages: [user([text('hi')]), system(ENVIRONMENT), assistant([toolUse('t1')]), user([toolResult('t1')])],
    expected: [user([text('hi')]), assistant([toolUse('t1')]), user([toolResult('t1')])],
    toSystem: `\n\n${ENVIRONMENT}`,
  },
  {
    name: 'countdown reminders after tool results',
    messages: [
      user('hi'), system(ENVIRONMENT),
      assistant([toolUse('t1')]), user([toolResult('t1')]), system('<total_tokens>987633 tokens left</total_tokens>'),
      assistant([toolUse('t2')]), user([toolResult('t2')]), system('<total_tokens>975266 tokens left</total_tokens>'),
    ],
    expected: [
      user('hi'),
      assistant([toolUse('t1')]), user([toolResult('t1'), reminder('<total_tokens>987633 tokens left</total_tokens>')]),
      assistant([toolUse('t2')]), user([toolResult('t2'), reminder('<total_tokens>975266 tokens left</total_tokens>')]),
    ],
    toSystem: `\n\n${ENVIRONMENT}`,
  },
  {
    name: 'a system message first joins the top-level system',
    messages: [system('Be brief.'), user('hi'), assistant('hello')],
    expected: [user('hi'), assistant('hello')],
    toSystem: '\n\nBe brief.',
  },
  {
    name: 'a system message last, after the assistant, becomes a user message',
    messages: [user('hi'), assistant('hello'), system('Wrap up.')],
    expected: [user('hi'), assistant('hello'), user([reminder('Wrap up.')])],
  },
  {
    name: 'opening system messages keep their order at the end of the top-level system',
    messages: [user('hi'), system('one'), system([text('two')]), assistant('ok')],
    expected: [user('hi'), assistant('ok')],
    toSystem: '\n\none\n\ntwo',
  },
  {
    name: 'consecutive later system messages keep their order in one user turn',
    messages: [user('hi'), assistant('a'), user('go'), system('one'), system([text('two')]), assistant('ok')],
    expected: [user('hi'), assistant('a'), user([text('go'), reminder('one'), reminder('two')]), assistant('ok')],
  },
  {
    name: 'consecutive system messages between assistants become one user message',
    messages: [user('hi'), assistant('a'), system('one'), system('two'), assistant('b')],
    expected: [user('hi'), assistant('a'), user([reminder('one'), reminder('two')]), assistant('b')],
  },
  {
    name: 'between a tool_use and its result: after the tool results, before the text',
    messages: [user('hi'), assistant([toolUse('t1'), toolUse('t2')]), system('note'), user([toolResult('t1'), toolResult('t2'), text('and also')])],
    expected: [user('hi'), assistant([toolUse('t1'), toolUse('t2')]), user([toolResult('t1'), toolResult('t2'), reminder('note'), text('and also')])],
  },
  {
    name: 'before and after one user turn of tool results only: both after the results, in order',
    messages: [user('hi'), assistant([toolUse('t1')]), system('before'), user([toolResult('t1')]), system('after')],
    expected: [user('hi'), assistant([toolUse('t1')]), user([toolResult('t1'), reminder('before'), reminder('after')])],
  },
  {
    name: 'later, string and block content: several text blocks join, the last cache_control moves along',
    messages: [user('hi'), assistant('a'), user([text('go')]), system([{ type: 'text', text: 'a', cache_control: CC }, text('b')])],
    expected: [user('hi'), assistant('a'), user([text('go'), { ...reminder('a\nb'), cache_control: CC }])],
  },
  {
    name: 'opening, several text blocks join with no separator, as Ollama joins them',
    messages: [user([text('hi')]), system([{ type: 'text', text: 'a', cache_control: CC }, text('b')])],
    expected: [user([text('hi')])],
    toSystem: '\n\nab',
  },
  {
    name: 'an empty user string gives no empty text block',
    messages: [user('hi'), assistant('a'), user(''), system('note')],
    expected: [user('hi'), assistant('a'), user([reminder('note')])],
  },
  {
    name: 'only a system message: it stays a message, as a user one',
    messages: [system('alone')],
    expected: [user([reminder('alone')])],
  },
  {
    name: 'a long note after a short first round goes in front of the task, after the client\'s own reminders',
    messages: [
      user([text(ATTRIBUTION), text('Read notes.md')]), system(ENVIRONMENT),
      assistant([toolUse('t1')]), user([toolResult('t1')]), system([{ type: 'text', text: AGENT_TYPES, cache_control: CC }]),
    ],
    expected: [user([text(ATTRIBUTION), reminder(AGENT_TYPES, true), text('Read notes.md')]), assistant([toolUse('t1')]), user([toolResult('t1')])],
    toSystem: `\n\n${ENVIRONMENT}`,
  },
  {
    name: 'a long note goes in front of a string task, which becomes a text block',
    messages: [user('Read notes.md'), assistant([toolUse('t1')]), user([toolResult('t1')]), system(AGENT_TYPES)],
    expected: [user([reminder(AGENT_TYPES), text('Read notes.md')]), assistant([toolUse('t1')]), user([toolResult('t1')])],
  },
  {
    name: 'a long note stays where it stands after a conversation longer than itself',
    messages: [user(`Read notes.md ${'and more '.repeat(60)}`), assistant([toolUse('t1')]), user([toolResult('t1')]), system(AGENT_TYPES)],
    expected: [user(`Read notes.md ${'and more '.repeat(60)}`), assistant([toolUse('t1')]), user([toolResult('t1'), reminder(AGENT_TYPES)])],
  },
  {
    name: 'a note shorter than 256 characters stays where it stands, however short the conversation',
    messages: [user('hi'), assistant([toolUse('t1')]), user([toolResult('t1')]), system('x'.repeat(255))],
    expected: [user('hi'), assistant([toolUse('t1')]), user([toolResult('t1'), reminder('x'.repeat(255))])],
  },
  {
    name: 'a second long note counts the first in the conversation before it, and stays where it stands',
    messages: [
      user([text(ATTRIBUTION), text('Go')]), assistant([toolUse('t1')]), user([toolResult('t1')]), system(AGENT_TYPES),
      assistant([toolUse('t2')]), user([toolResult('t2')]), system(`${AGENT_TYPES}more`),
    ],
    expected: [
      user([text(ATTRIBUTION), reminder(AGENT_TYPES), text('Go')]),
      assistant([toolUse('t1')]), user([toolResult('t1')]), assistant([toolUse('t2')]), user([toolResult('t2'), reminder(`${AGENT_TYPES}more`)]),
    ],
  },
  {
    name: 'a run of long notes goes in front of the task in its order',
    messages: [user([text('Go')]), assistant([toolUse('t1')]), user([toolResult('t1')]), system(AGENT_TYPES), system('and one more')],
    expected: [user([reminder(AGENT_TYPES), reminder('and one more'), text('Go')]), assistant([toolUse('t1')]), user([toolResult('t1')])],
  },
  {
    name: 'between two user messages it joins the one before',
    messages: [user('hi'), assistant('a'), user('a'), system('note'), user('b')],
    expected: [user('hi'), assistant('a'), user([text('a'), reminder('note')]), user('b')],
  },
];

describe('inline-system fold: where each system message goes', () => {
  for (const { name, messages, expected, toSystem } of CASES) {
    test(name, () => {
      const result = fold(bodyOf(messages));
      assert.equal(result.changed, true);
      assert.deepEqual(result.rules, ['inline-system-folded']);
      const folded = messagesOf(result.body);
      assert.deepEqual(folded, expected);
      const topSystem = (JSON.parse(result.body.toString('utf8')) as { system: Block[] }).system;
      assert.deepEqual(topSystem, [text(TOP_SYSTEM), ...(toSystem === undefined ? [] : [text(toSystem)])]);
      // The inputs above that alternate must come out alternating.
      if (!name.includes('two user messages')) assertValidConversation(folded, name);
      const parsed = JSON.parse(result.body.toString('utf8')) as Json;
      assert.deepEqual(Object.keys(parsed), ['model', 'messages', 'system', 'max_tokens', 'stream'], 'everything else is left as it was');
    });
  }

  test('a system message whose content is not text is kept as sent', () => {
    const image = system([{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }]);
    const body = bodyOf([user('hi'), image]);
    assert.equal(fold(body).body, body);
    const mixed = fold(bodyOf([user('hi'), image, assistant('a'), system('note')]));
    assert.deepEqual(messagesOf(mixed.body), [user('hi'), image, assistant('a'), user([reminder('note')])]);
  });
});

describe('inline-system fold: bytes', () => {
  test('the client\'s escapes and raw UTF-8 are kept byte for byte', () => {
    const body = Buffer.from('{"messages":[{"role":"user","content":"caf\\u00e9 ☕"},{"role":"system","content":"r\\u00e9sum\\u00e9 \\"q\\" 数据\\n\\ttab"}]}');
    const expected = '{"messages":[{"role":"user","content":[{"type":"text","text":"caf\\u00e9 ☕"},'
      + '{"type":"text","text":"<system-reminder>\\nr\\u00e9sum\\u00e9 \\"q\\" 数据\\n\\ttab\\n</system-reminder>"}]}]}';
    assert.equal(fold(body).body.toString('utf8'), expected);
  });

  test('string and block forms of a message fold to the same bytes', () => {
    const asString = fold(bodyOf([user([text('hi')]), system(ENVIRONMENT)])).body;
    const asBlock = fold(bodyOf([user([text('hi')]), system([text(ENVIRONMENT)])])).body;
    assert.ok(asString.equals(asBlock));
  });

  test('pretty-printed input keeps its layout around the edits and stays valid', () => {
    const messages = [user([text('hi')]), system('one'), assistant('a'), system('two'), user('b')];
    const pretty = Buffer.from(JSON.stringify({ messages }, null, 2));
    const result = fold(pretty);
    assert.deepEqual(messagesOf(result.body), [user([text('hi'), reminder('one')]), assistant('a'), user([reminder('two'), text('b')])]);
  });

  test('a countdown session folds to a stable prefix: each call\'s folded messages begin the next call\'s', () => {
    let previous: Buffer | null = null;
    for (let turn = 1; turn <= 5; turn++) {
      const result = fold(encodeBody(fullRequest({ billing: null, messages: countdownConversation(turn, 800) })));
      assert.equal(result.changed, true);
      const messages = messagesOf(result.body);
      assertValidConversation(messages, `turn ${turn}`);
      const wire = Buffer.from(JSON.stringify(messages));
      // All but the closing bracket: the next call adds messages after them.
      if (previous) assert.ok(wire.subarray(0, previous.length - 1).equals(previous.subarray(0, -1)), `turn ${turn} changes what turn ${turn - 1} sent`);
      previous = wire;
    }
  });

  test('with the scan memo, the same bytes as without', () => {
    const memo = new ScanMemo();
    for (let turn = 0; turn <= 4; turn++) {
      const body = fullBody({ call: turn, messages: countdownConversation(turn, 2000) });
      const alone = fold(body);
      const memoised = fold(body, memo);
      assert.ok(memoised.body.equals(alone.body), `turn ${turn}`);
      assert.deepEqual(memoised.rules, ['billing-block-dropped', 'inline-system-folded']);
    }
  });

  test('with the billing rule: both fire, and the returned member spans fit the new bytes', () => {
    const result = fold(fullBody({ messages: [firstUserMessage(), environmentMessage('block')] }));
    assert.deepEqual(result.rules, ['billing-block-dropped', 'inline-system-folded']);
    const body = result.body;
    const names = result.members!.map(({ key }) => JSON.parse(body.toString('utf8', key.start, key.end)) as string);
    assert.deepEqual(names, ['model', 'messages', 'system', 'tools', 'metadata', 'max_tokens', 'thinking', 'context_management', 'output_config', 'stream']);
    const parsed = JSON.parse(body.toString('utf8')) as Json;
    for (const { key, value } of result.members!) {
      const name = JSON.parse(body.toString('utf8', key.start, key.end)) as string;
      assert.deepEqual(JSON.parse(body.toString('utf8', value.start, value.end)), parsed[name], name);
    }
  });

  test('folding is idempotent: a folded body comes back untouched', () => {
    const once = fold(bodyOf([system('a'), user('hi'), assistant('b'), system('c')])).body;
    const twice = fold(once);
    assert.equal(twice.changed, false);
    assert.equal(twice.body, once);
  });
});

describe('inline-system fold: a note in front of the task goes there on every call', () => {
  /** The first user message's folded blocks for a conversation whose size before the note is `size` short of the note's. */
  const folded = (short: number, resultCacheControl: boolean, noteForm: 'string' | 'block'): Block[] => {
    const result = { ...toolResult('t1'), ...(resultCacheControl ? { cache_control: CC } : {}) };
    const around = JSON.stringify(toolUse('t1')).length + JSON.stringify(toolResult('t1')).length;
    // Sizes count the JSON text: each newline of the note is two characters there.
    const task = 'y'.repeat(JSON.stringify(AGENT_TYPES).length - 2 - around - short);
    const note = noteForm === 'string' ? system(AGENT_TYPES) : system([{ type: 'text', text: AGENT_TYPES, cache_control: CC }]);
    return messagesOf(fold(bodyOf([user([text(task)]), assistant([toolUse('t1')]), user([result]), note, assistant('ok')])).body)[0]!.content as Block[];
  };

  test('the sizes leave out the cache_control the client moves to its newest message', () => {
    // One character to spare: a cache_control counted would tip it.
    assert.equal(folded(1, false, 'string').length, 2, 'moved');
    assert.equal(folded(1, true, 'string').length, 2, 'moved with a cache_control on the tool result');
    assert.equal(folded(1, false, 'block').length, 2, 'moved as a block with its cache_control');
    assert.equal(folded(-1, false, 'string').length, 1, 'one character over: stays');
  });
});

describe('inline-system fold: nothing to fold, nothing touched', () => {
  const countdown: Message[] = [firstUserMessage(), environmentMessage(), countdownMessage(990_000)];

  test('a body without a system role is the same Buffer, and was never parsed', () => {
    const body = fullBody({ billing: null });
    assert.equal(mayHoldInlineSystem(body), false, 'the top-level "system" key is not a system role');
    const result = fold(body);
    assert.equal(result.body, body);
    assert.equal(result.members, null, 'no parse');
  });

  test('"system" inside text, as an escaped quote, does not count', () => {
    const body = bodyOf([user('the \\"system\\" role, and "system" quoted')]);
    assert.equal(mayHoldInlineSystem(body), false);
    assert.equal(fold(body).members, null);
  });

  test('keep, and the off mode, forward system messages as sent', () => {
    const body = fullBody({ billing: null, messages: countdown });
    assert.equal(rewriteRequestBody(body, 'drop', null, { inlineSystem: 'keep' }).body, body);
    assert.equal(rewriteRequestBody(body, 'drop').body, body, 'keep is the pure function\'s default');
    assert.equal(rewriteRequestBody(body, 'off', null, { inlineSystem: 'fold' }).body, body);
  });

  test('malformed bodies with a system role are forwarded untouched', () => {
    const good = bodyOf([user('hi'), system('note')]).toString('utf8');
    for (const bad of [good.slice(0, -1), good.replace('"role":"system"', '"role":"system",'), `${good}x`, good.replace('{"role":"system"', '{"role":"system","role":"system"')]) {
      const body = Buffer.from(bad);
      // The last one is valid JSON, but its role is ambiguous: not a system message we can name.
      assert.equal(fold(body).body, body, bad);
    }
  });
});

describe('inline-system fold: per model family', () => {
  const messages = [user('hi'), system(ENVIRONMENT), assistant([toolUse('t1')]), user([toolResult('t1')]), system('<total_tokens>9 tokens left</total_tokens>')];
  const withFamily = (family: 'template' | 'qwen3-coder' | 'qwen3.5' | null): RewriteResult =>
    rewriteRequestBody(bodyOf(messages), 'drop', null, { inlineSystem: 'fold', familyOf: (model) => (model === 'qwen3:test' ? family : null) });

  test('qwen3.5 keeps system messages where they stand: forwarded as sent', () => {
    const body = bodyOf(messages);
    const result = rewriteRequestBody(body, 'drop', null, { inlineSystem: 'fold', familyOf: () => 'qwen3.5' });
    assert.equal(result.changed, false);
    assert.equal(result.body, body);
  });

  test('the template path, qwen3-coder and an unknown renderer fold alike', () => {
    const expected = withFamily(null).body.toString('utf8');
    assert.equal(withFamily('template').body.toString('utf8'), expected);
    assert.equal(withFamily('qwen3-coder').body.toString('utf8'), expected);
    assert.deepEqual(messagesOf(withFamily('qwen3-coder').body), [
      user('hi'), assistant([toolUse('t1')]), user([toolResult('t1'), reminder('<total_tokens>9 tokens left</total_tokens>')]),
    ]);
  });

  test('a system array the billing rule empties takes the opening context without a stray comma', () => {
    const body = Buffer.from(JSON.stringify({
      model: 'm', system: [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.332.461; cc_entrypoint=sdk-cli;' }],
      messages: [user('hi'), system(ENVIRONMENT)],
    }));
    const result = fold(body);
    assert.deepEqual(result.rules, ['billing-block-dropped', 'inline-system-folded']);
    assert.deepEqual(JSON.parse(result.body.toString('utf8')), { model: 'm', system: [text(`\n\n${ENVIRONMENT}`)], messages: [user('hi')] });
  });
});

describe('inline-system fold: recorded Claude Code 2.1.332 sessions', () => {
  const foldedCalls = (name: string): { messages: WireMessage[]; raw: WireMessage[] }[] =>
    loadRecording(name).calls.filter((c) => c.path.startsWith('/v1/messages')).map((c) => ({
      messages: messagesOf(fold(Buffer.from(c.body)).body),
      raw: messagesOf(Buffer.from(c.body)),
    }));
  const firstBlocks = (message: WireMessage): Block[] => (typeof message.content === 'string' ? [text(message.content)] : message.content);

  test('nested subagents: the agent types note stands in front of the task, where the sibling that takes the slot next finds it', () => {
    const calls = foldedCalls('cc-2.1.332-nested-subagent');
    // Calls 4 and 5: the nested subagent and its parent, each after its first tool result.
    for (const index of [3, 4]) {
      const [attribution, agentTypes, task] = firstBlocks(calls[index]!.messages[0]!);
      const rawFirst = firstBlocks(calls[index]!.raw[0]!);
      assert.deepEqual(attribution, rawFirst[0], `call ${index + 1}: the client's reminder stays first`);
      assert.ok(String(agentTypes?.text).startsWith('<system-reminder>\nAvailable agent types for the Agent tool:'), `call ${index + 1}`);
      assert.deepEqual(task, rawFirst[1], `call ${index + 1}: the task follows`);
      assert.ok(calls[index]!.messages.every((m) => m.role !== 'system'));
      assertValidConversation(calls[index]!.messages, `call ${index + 1}`);
    }
    const sibling = (index: number): string => JSON.stringify(firstBlocks(calls[index]!.messages[0]!).slice(0, 2));
    assert.equal(sibling(3), sibling(4), 'both agents send the same bytes up to their tasks');
  });

  test('the countdown\'s notes are short: each stays after its tool result, the first user message as sent', () => {
    const calls = foldedCalls('cc-2.1.332-countdown');
    for (const [index, call] of calls.entries()) {
      assert.deepEqual(firstBlocks(call.messages[0]!), firstBlocks(call.raw[0]!), `call ${index + 1}`);
    }
    const last = calls[calls.length - 1]!.messages;
    assert.equal(last.filter((m) => m.role === 'user' && JSON.stringify(m.content).includes('tokens left')).length, 4);
  });
});
