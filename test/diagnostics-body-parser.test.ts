// The diagnostics parse each forwarded body member by member, with the
// member spans the rewrite found, and hand back the very object parsed
// before for a large member that recurs byte for byte. Every answer must be
// what JSON.parse gives for the whole body.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteRequestBody, ScanMemo } from '../main/core/rewrite/index.js';
import { JsonScanner } from '../main/core/rewrite/json-scan.js';
import { BodyParser } from '../main/core/diagnostics/body-parser.js';
import { parseBodyBytes } from '../main/core/rewrite/body-bytes.js';
import { renderPrompt } from '../main/core/diagnostics/index.js';
import { bareBody, billingLine, conversation, fullBody, fullRequest, encodeBody } from './support/claude-code-bodies.js';

function membersOf(body: Buffer): NonNullable<ReturnType<JsonScanner['rootMembers']>> {
  const members = new JsonScanner(body).rootMembers();
  assert.ok(members, 'a well-formed body');
  return members;
}

describe('rewriteRequestBody: members of the returned body', () => {
  const block = `{"type":"text","text":"${billingLine('cch')}"}`;
  const cases: Record<string, string> = {
    'a dropped block': `{"model":"m","system":[${block},{"type":"text","text":"x"}],"tools":[{"name":"t"}],"stream":true}`,
    'a dropped line of a string system': `{"a":1,"system":"${billingLine('cch')}\\nrest","z":[1,{"b":"c"}]}`,
    'a line normalised to a different length': `{"system":[{"type":"text","text":"${billingLine('workload')}\\nmore"}],"after":"é"}`,
    'every block dropped': `{"system":[${block},${block}],"after":{"k":[true,null]}}`,
    'a duplicated system key (left alone)': `{"system":[${block}],"system":"again","x":2}`,
    'no system at all': `{"messages":[],"note":"${billingLine('cch')}"}`,
  };
  for (const [name, text] of Object.entries(cases)) {
    test(name, () => {
      for (const mode of ['drop', 'normalize'] as const) {
        const result = rewriteRequestBody(Buffer.from(text), mode);
        assert.ok(result.members, 'the rewrite read the body');
        const parsed = JSON.parse(result.body.toString('utf8')) as Record<string, unknown>;
        const keys = result.members.map(({ key }) => JSON.parse(result.body.toString('utf8', key.start, key.end)) as string);
        assert.deepEqual([...new Set(keys)], Object.keys(parsed));
        result.members.forEach(({ value }, i) => {
          const last = keys.lastIndexOf(keys[i]!) === i;
          if (last) assert.deepEqual(JSON.parse(result.body.toString('utf8', value.start, value.end)), parsed[keys[i]!], `${mode}: ${keys[i]}`);
        });
      }
    });
  }

  test('null when the rewrite did not read the body', () => {
    assert.equal(rewriteRequestBody(fullBody({ billing: null }), 'drop').members, null, 'no billing text: no scan');
    assert.equal(rewriteRequestBody(fullBody(), 'off').members, null);
    assert.equal(rewriteRequestBody(Buffer.from('{"system":"x-anthropic-billing-header: "'), 'drop').members, null, 'malformed');
  });
});

describe('BodyParser', () => {
  test('parses as JSON.parse does, keys and all', () => {
    const bodies = [
      fullBody(),
      bareBody({ messages: [{ role: 'user', content: 'caf\u00e9 🚀 "q" \\ 数据' }] }),
      Buffer.from('{"__proto__":{"polluted":true},"a":1,"a":[2],"b":"x"}'),
      Buffer.from(' { "sp ace" : { } , "\\u0074ools" : [ ] } '),
    ];
    for (const body of bodies) {
      const parser = new BodyParser({ minBytes: 1 });
      const parsed = parser.parse([body], membersOf(body));
      assert.deepEqual(parsed, parseBodyBytes(body));
      assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
      assert.deepEqual(Object.keys(parsed as object), Object.keys(parseBodyBytes(body) as object));
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('without member spans it parses the whole body, and still throws on malformed JSON', () => {
    const parser = new BodyParser();
    assert.deepEqual(parser.parse([bareBody()], null), parseBodyBytes(bareBody()));
    assert.throws(() => parser.parse([Buffer.from('{"a":'), Buffer.from('1')], null), SyntaxError);
    assert.deepEqual(parser.parse([Buffer.from('{"a":'), Buffer.from('1}')], null), { a: 1 }, 'pieces are read as one body');
  });

  test("hands back the previous turn's tools and system, and parses the new messages", () => {
    const parser = new BodyParser();
    const memo = new ScanMemo();
    const turns = [0, 1, 2].map((n) => rewriteRequestBody(fullBody({ call: n, messages: conversation(n, 3000) }), 'drop', memo));
    const parsed = turns.map((turn) => parser.parse(turn.pieces, turn.members) as ReturnType<typeof fullRequest>);
    turns.forEach((turn, n) => assert.deepEqual(parsed[n], parseBodyBytes(turn.body), `turn ${n}`));
    assert.equal(parsed[1]!.tools, parsed[0]!.tools, 'the same tools object');
    assert.equal(parsed[2]!.system, parsed[0]!.system, 'the same system text, billing block dropped');
    assert.notEqual(parsed[2]!.messages, parsed[1]!.messages, 'messages that changed are parsed anew');
    assert.equal(parser.reused, 4);
  });

  test('a value that differs by one byte is parsed anew', () => {
    const parser = new BodyParser();
    const request = fullRequest();
    const first = encodeBody(request);
    request.tools[3]!.description += '.';
    const second = encodeBody(request);
    const a = parser.parse([first], membersOf(first)) as typeof request;
    const b = parser.parse([second], membersOf(second)) as typeof request;
    assert.notEqual(b.tools, a.tools);
    // The diagnostics read text as its UTF-8 bytes, one character per byte.
    assert.equal(b.tools[3]!.description, Buffer.from(request.tools[3]!.description).toString('latin1'));
  });

  test('keeps only a few values, most recently used first', () => {
    const parser = new BodyParser({ values: 2, minBytes: 1 });
    const bodies = ['{"a":[1]}', '{"a":[2]}', '{"a":[3]}'].map((t) => Buffer.from(t));
    const parse = (body: Buffer): unknown => (parser.parse([body], membersOf(body)) as { a: unknown }).a;
    const one = parse(bodies[0]!);
    parse(bodies[1]!);
    assert.equal(parse(bodies[0]!), one, 'still kept, and now the most recent');
    parse(bodies[2]!);
    assert.equal(parse(bodies[0]!), one, 'kept; [2] was the one evicted');
    const reusedBefore = parser.reused;
    parse(bodies[1]!);
    assert.equal(parser.reused, reusedBefore, '[2] had to be parsed again');
  });
});

describe('renderPrompt with a tools array it has rendered before', () => {
  test('renders exactly as a fresh copy of the same body', () => {
    const request = fullRequest({ messages: conversation(2, 500) });
    const first = renderPrompt(request);
    const again = renderPrompt(request);
    const fresh = renderPrompt(structuredClone(request));
    assert.deepEqual(again, first);
    assert.deepEqual(fresh, first);
    const noSystem = renderPrompt({ ...request, system: undefined });
    const noSystemFresh = renderPrompt(structuredClone({ ...request, system: undefined }));
    assert.deepEqual(noSystem, noSystemFresh, 'the tools segment lands at its new offsets');
    assert.deepEqual(noSystem.toolNames, first.toolNames);
  });
});
