import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pathAt, renderPrompt } from '../main/core/diagnostics/index.js';
import { DEFAULT_PROMPT, billingLine, conversation, fullRequest, bareRequest } from './support/claude-code-bodies.js';

function pathOf(body: unknown, needle: string): string {
  const rendered = renderPrompt(body);
  const at = rendered.text.indexOf(needle);
  assert.ok(at >= 0, `${needle.slice(0, 40)} is rendered`);
  return pathAt(rendered, at);
}

describe('renderPrompt', () => {
  test('a plain-string content renders like one text block or several adjacent ones', () => {
    const base = { model: 'm', system: 'sys' };
    const asString = renderPrompt({ ...base, messages: [{ role: 'user', content: 'hello there' }] });
    const asBlock = renderPrompt({ ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'hello there' }] }] });
    const asBlocks = renderPrompt({
      ...base,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello ' }, { type: 'text', text: 'there', cache_control: { type: 'ephemeral' } }] }],
    });
    assert.equal(asBlock.text, asString.text);
    assert.equal(asBlocks.text, asString.text);
    assert.equal(pathAt(asString, asString.text.indexOf('hello')), 'messages[0].content');
    assert.equal(pathAt(asBlock, asBlock.text.indexOf('hello')), 'messages[0].content[0].text');
    assert.equal(pathAt(asBlocks, asBlocks.text.indexOf('there')), 'messages[0].content[1].text');
  });

  test('system text blocks are concatenated with no separator, as Ollama does', () => {
    const blocks = renderPrompt({ system: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }], messages: [] });
    const string = renderPrompt({ system: 'onetwo', messages: [] });
    assert.equal(blocks.text, string.text);
    assert.equal(blocks.text, 'onetwo');
    assert.equal(pathAt(blocks, 3), 'system[1].text');
    assert.equal(pathAt(string, 3), 'system');
    assert.equal(blocks.systemEnd, 6);
  });

  test('cache_control is ignored wherever it sits', () => {
    const plain = fullRequest({ messages: conversation(1) });
    const marked = fullRequest({ messages: conversation(1) });
    for (const block of marked.system as { cache_control?: unknown }[]) block.cache_control = { type: 'ephemeral' };
    (marked.tools[marked.tools.length - 1] as { cache_control?: unknown }).cache_control = { type: 'ephemeral' };
    const first = marked.messages[0].content as { cache_control?: unknown }[];
    delete first[1].cache_control;
    assert.equal(renderPrompt(marked).text, renderPrompt(plain).text);
  });

  test('non-text system blocks are dropped and unknown body shapes render empty', () => {
    const withImage = renderPrompt({ system: [{ type: 'image', source: {} }, { type: 'text', text: 'kept' }], messages: [] });
    assert.equal(withImage.text, 'kept');
    const nothing = renderPrompt('not a body');
    assert.equal(nothing.text, '');
    assert.equal(nothing.hasMessages, false);
    assert.equal(nothing.model, null);
  });

  test('maps offsets to system blocks, tools and message blocks', () => {
    const body = fullRequest({ messages: conversation(1) });
    const rendered = renderPrompt(body);
    assert.equal(rendered.model, body.model);
    assert.deepEqual(rendered.toolNames, body.tools.map((tool) => tool.name));
    assert.equal(pathOf(body, 'You are Claude Code'), 'system[1].text');
    assert.equal(pathOf(body, "Today's date is"), 'system[2].text');
    assert.equal(pathOf(body, `{"name":"${body.tools[5].name}"`), 'tools[5]');
    assert.equal(pathOf(body, body.tools[5].description.slice(0, 60)), 'tools[5].description');
    assert.equal(pathOf(body, JSON.stringify(body.tools[5].input_schema)), 'tools[5]');
    assert.equal(pathOf(body, DEFAULT_PROMPT), 'messages[0].content[1].text');
    assert.equal(pathOf(body, 'Let me look at module 1'), 'messages[1].content[0].text');
    assert.equal(pathOf(body, 'src/module-1.ts"}'), 'messages[1].content[1].input');
    assert.equal(pathOf(body, 'export function step1_1('), 'messages[2].content[0].content');
    assert.equal(pathOf(body, "The TodoWrite tool hasn't"), 'messages[2].content[1].text');
  });

  test('tool results of a user turn render before its text, as Ollama orders them', () => {
    const rendered = renderPrompt({
      messages: [{
        role: 'user',
        content: [
          { type: 'text', text: 'USER TEXT' },
          { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'RESULT' }] },
        ],
      }],
    });
    assert.ok(rendered.text.indexOf('RESULT') < rendered.text.indexOf('USER TEXT'));
    assert.equal(pathAt(rendered, rendered.text.indexOf('RESULT')), 'messages[0].content[1].content[0].text');
  });

  test('tool_use, tool_result and image blocks render deterministically and differ when they differ', () => {
    const image = (data: string): unknown => ({
      messages: [
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_9', name: 'Read', input: { file_path: '/a' } }] },
        { role: 'user', content: [
          { type: 'tool_result', tool_use_id: 'toolu_9', content: 'file body', is_error: true },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data } },
        ] },
      ],
    });
    const one = renderPrompt(image('iVBORw0KGgo'.repeat(5000)));
    assert.equal(renderPrompt(image('iVBORw0KGgo'.repeat(5000))).text, one.text);
    assert.notEqual(renderPrompt(image('iVBORw0KGgo'.repeat(4999) + 'AAAAAAAAAAA')).text, one.text);
    assert.match(one.text, /<tool_use Read toolu_9>\{"file_path":"\/a"\}<\/tool_use>/);
    assert.match(one.text, /<\|tool toolu_9 error\|>\nfile body/);
    assert.ok(one.text.length < 500, 'image data is fingerprinted, not copied');
    assert.equal(pathAt(one, one.text.indexOf('[image')), 'messages[1].content[1]');
  });

  test('finds the billing line in a block array and in a plain-string system', () => {
    const line = billingLine('cch');
    for (const system of ['array', 'string'] as const) {
      const rendered = renderPrompt(bareRequest({ system }));
      assert.ok(rendered.billing !== null, system);
      assert.equal(rendered.text.slice(rendered.billing.start, rendered.billing.end), line);
    }
    assert.equal(renderPrompt(bareRequest({ billing: null })).billing, null);
  });

  test('records where each message begins', () => {
    const body = fullRequest({ messages: conversation(2) });
    const rendered = renderPrompt(body);
    assert.equal(rendered.messageStarts.length, body.messages.length);
    assert.equal(rendered.messageStarts[0], rendered.toolsEnd);
    assert.ok(rendered.messageStarts.every((start, i) => i === 0 || start > rendered.messageStarts[i - 1]));
    assert.equal(pathAt(rendered, rendered.messageStarts[3]), 'messages[3]');
  });
});
