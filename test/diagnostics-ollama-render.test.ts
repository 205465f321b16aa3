// The prompt the diagnostics compare is the one Ollama builds (ollama/ollama
// anthropic/anthropic.go FromMessagesRequest + template/template.go collate):
// each rule of that conversion, then what it means for a new inline system
// message in call N.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CacheTracker, pathAt, renderPrompt, REMEDIES } from '../main/core/diagnostics/index.js';
import { countdownMessages, ENVIRONMENT, foldedInPlace, inlineRequest, tokensLeft } from './support/inline-system-bodies.js';
import { loadRecording } from './support/recordings.js';
import { rewriteRequestBody } from '../main/core/rewrite/index.js';
import { parseBodyBytes } from '../main/core/rewrite/body-bytes.js';
import { startsUserTurn } from '../main/core/diagnostics/turns.js';

/** The recorded session's calls as the tracker sees them, billing line dropped, inline system messages kept. */
function replay(name: string, tracker = new CacheTracker()) {
  return loadRecording(name).calls.map((call) => {
    const body = parseBodyBytes(rewriteRequestBody(Buffer.from(call.body, 'utf8'), 'drop').body);
    return tracker.observe({ key: 'session', rendered: renderPrompt(body), rewriteMode: 'drop', userTurn: startsUserTurn(body) });
  });
}

const user = (content: unknown) => ({ role: 'user' as const, content });
const assistant = (content: unknown) => ({ role: 'assistant' as const, content });
const system = (content: unknown) => ({ role: 'system' as const, content });

describe('renderPrompt renders what Ollama renders', () => {
  test('every role:"system" message joins the system prompt at the top, after the top-level one, with \\n\\n', () => {
    const rendered = renderPrompt({ system: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }], messages: [user('hi'), system('ENV'), assistant('ok'), system([{ type: 'text', text: 'LEFT', cache_control: { type: 'ephemeral' } }])] });
    assert.equal(rendered.text.slice(0, rendered.systemEnd), 'AB\n\nENV\n\nLEFT');
    assert.equal(pathAt(rendered, rendered.text.indexOf('ENV')), 'messages[1].content');
    assert.equal(pathAt(rendered, rendered.text.indexOf('LEFT')), 'messages[3].content[0].text');
    assert.equal(pathAt(rendered, 2), 'messages[1]', 'the separator belongs to the message that brought it');
    assert.doesNotMatch(rendered.text.slice(rendered.toolsEnd), /ENV|LEFT/, 'nothing of them stays in the conversation');
  });

  test('with no top-level system prompt the first system message starts it, with no separator', () => {
    const rendered = renderPrompt({ messages: [user('hi'), system('ENV')] });
    assert.equal(rendered.text.slice(0, rendered.systemEnd), 'ENV');
  });

  test('consecutive messages of one role merge with \\n\\n; a system message between them keeps them apart', () => {
    const merged = renderPrompt({ messages: [user('one'), user([{ type: 'text', text: 'two' }]), assistant('ok')] });
    assert.match(merged.text, /\n<\|user\|>\none\n\ntwo\n<\|assistant\|>\nok$/);
    assert.equal(pathAt(merged, merged.text.indexOf('\n\ntwo')), 'messages[1]');
    assert.equal(merged.messageStarts[1], merged.text.indexOf('\n\ntwo'));
    const apart = renderPrompt({ messages: [user('one'), system('S'), user('two')] });
    assert.match(apart.text, /\n<\|user\|>\none\n<\|user\|>\ntwo$/);
  });

  test('a merged message keeps only the later message\'s content, as collate does', () => {
    const rendered = renderPrompt({ messages: [user('q'), assistant([{ type: 'text', text: 'first' }]), assistant([{ type: 'text', text: 'second' }, { type: 'tool_use', id: 't1', name: 'Read', input: {} }])] });
    assert.match(rendered.text, /first\n\nsecond$/);
    assert.doesNotMatch(rendered.text, /tool_use/);
  });

  test('tool results are tool messages of their own and never merge', () => {
    const rendered = renderPrompt({ messages: [user([
      { type: 'tool_result', tool_use_id: 'a', content: 'RA' },
      { type: 'tool_result', tool_use_id: 'b', content: 'RB' },
    ])] });
    assert.equal(rendered.text, '\n<|tool a|>\nRA\n<|tool b|>\nRB');
  });

  test("thinking renders only after the last user message: an earlier turn's thinking drops out", () => {
    const loop = [user('q1'), assistant([{ type: 'thinking', thinking: 'PLAN' }, { type: 'text', text: 'reading' }, { type: 'tool_use', id: 't1', name: 'Read', input: {} }]),
      user([{ type: 'tool_result', tool_use_id: 't1', content: 'body' }])];
    const inLoop = renderPrompt({ messages: loop });
    assert.match(inLoop.text, /<think>PLAN<\/think>reading<tool_use Read t1>/);
    const nextTurn = renderPrompt({ messages: [...loop, assistant('done'), user('q2')] });
    assert.doesNotMatch(nextTurn.text, /PLAN/);
    assert.match(nextTurn.text, /\n<\|assistant\|>\nreading<tool_use Read t1>/);
  });

  test('empty messages render nothing, as Ollama drops them', () => {
    const rendered = renderPrompt({ messages: [user('q'), assistant(''), system(''), user([{ type: 'text', text: '' }])] });
    assert.equal(rendered.text, '\n<|user|>\nq');
    assert.equal(rendered.messageStarts.length, 4);
  });
});

describe('a new inline system message in call N, as Ollama lifts it', () => {
  test('countdown: each call is a miss before the whole conversation, named inline-system, with the remedy', () => {
    const tracker = new CacheTracker();
    const observe = (calls: number, fold = false) => {
      const messages = countdownMessages(calls);
      return tracker.observe({ key: 'k', rendered: renderPrompt(inlineRequest(fold ? foldedInPlace(messages) : messages)), rewriteMode: 'drop', userTurn: calls === 1 });
    };
    assert.equal(observe(1).bust, null);
    for (let calls = 2; calls <= 4; calls++) {
      const o = observe(calls);
      assert.equal(o.bust?.cause, 'inline-system', `call ${calls}`);
      assert.equal(o.bust?.remedy, REMEDIES['inline-system']);
      assert.match(o.bust!.remedy, /--inline-system fold/);
      assert.match(o.bust!.remedy, /CLAUDE_CODE_TOTAL_TOKENS_REMINDER=off/);
      assert.match(o.bust!.path, /^messages\[\d+\]/, 'the path names the system message that moved');
      assert.match(o.bust!.after, /^\n?<total_tokens>/);
      assert.ok(o.reuse < 0.2, `call ${calls}: only the system prompt is reused (${o.reuse})`);
      assert.deepEqual([o.turn, o.call], [1, calls]);
    }
  });

  test('folded in place, the same loop reuses everything it had', () => {
    const tracker = new CacheTracker();
    for (let calls = 1; calls <= 4; calls++) {
      const o = tracker.observe({ key: 'k', rendered: renderPrompt(inlineRequest(foldedInPlace(countdownMessages(calls)))), rewriteMode: 'drop' });
      assert.equal(o.bust, null, `call ${calls}`);
      if (calls > 1) assert.equal(o.conversationReuse, 1);
    }
  });

  test('a date changed inside the lifted environment message is a date change, not a new message', () => {
    const tracker = new CacheTracker();
    const withDate = (date: string) => inlineRequest([user('q'), system(`${ENVIRONMENT}\n - Today's date: ${date}\n${'x'.repeat(400)}`), assistant('a'), user('q2')]);
    tracker.observe({ key: 'k', rendered: renderPrompt(withDate('2026-11-28')), rewriteMode: 'drop' });
    assert.equal(tracker.observe({ key: 'k', rendered: renderPrompt(withDate('2026-11-29')), rewriteMode: 'drop' }).bust?.cause, 'date-changed');
  });

  test('a system message dropped from the history is a miss of the same kind', () => {
    const tracker = new CacheTracker();
    const messages = countdownMessages(3);
    tracker.observe({ key: 'k', rendered: renderPrompt(inlineRequest(messages)), rewriteMode: 'drop' });
    const without = messages.filter((m) => !(m.role === 'system' && String(m.content) === tokensLeft(987_633)));
    assert.equal(tracker.observe({ key: 'k', rendered: renderPrompt(inlineRequest(without)), rewriteMode: 'drop' }).bust?.cause, 'inline-system');
  });
});

describe('the recorded 2.1.332 sessions, inline system messages kept', () => {
  test('countdown: every call after the first is an inline-system miss before the conversation', () => {
    const [first, ...rest] = replay('cc-2.1.332-countdown');
    assert.equal(first!.bust, null);
    assert.equal(rest.length, 4);
    for (const o of rest) {
      assert.equal(o.bust?.cause, 'inline-system');
      assert.match(o.bust!.after, /<total_tokens>\d+ tokens left/);
      assert.ok(o.reuse < 0.5, `${o.reuse}`);
    }
    assert.deepEqual(rest.map((o) => [o.turn, o.call]), [[1, 2], [1, 3], [1, 4], [1, 5]]);
  });

  test('a subagent whose first call carries a system message still opens a conversation of its own', () => {
    const [main, sub, subNext, mainNext] = replay('cc-2.1.332-subagent');
    assert.doesNotMatch(main!.session, /\//);
    assert.match(sub!.session, /\/2$/, 'a second conversation in the session');
    assert.equal(sub!.bust, null, 'not "system-changed"');
    assert.equal(subNext!.bust?.cause, 'inline-system', 'the subagent\'s own new system message after its tool result');
    assert.equal(mainNext!.bust?.cause, 'slot-evicted', 'the main agent lost the only slot to its subagent');
  });
});
