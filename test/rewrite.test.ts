import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BILLING_PREFIX, normalizeBillingLine, REWRITE_MODES, rewriteRequestBody, type RewriteMode, type RewriteResult, type RewriteRule } from '../main/core/rewrite/index.js';
import {
  BILLING_VARIANTS,
  bareBody,
  bareRequest,
  billingLine,
  encodeBody,
  firstUserMessage,
  fullRequest,
  type BillingVariant,
  type MessagesRequest,
} from './support/claude-code-bodies.js';
import { JSON_NOISE, seededRandom } from './support/corruption.js';

/** What normalize turns each variant's line into, whatever its volatile values. */
const NORMALIZED: Record<BillingVariant, string> = {
  cch: 'x-anthropic-billing-header: cc_version=0; cc_entrypoint=0; cch=0;',
  suffix: 'x-anthropic-billing-header: cc_version=0; cc_entrypoint=0;',
  workload: 'x-anthropic-billing-header: cc_version=0; cc_entrypoint=0; cc_workload=0;',
  subagent: 'x-anthropic-billing-header: cc_version=0; cc_entrypoint=0; cc_is_subagent=0;',
  'workload-subagent': 'x-anthropic-billing-header: cc_version=0; cc_entrypoint=0; cc_workload=0; cc_is_subagent=0;',
  json: 'x-anthropic-billing-header: {"cc_is_subagent":0}',
};

const SYSTEM_FORMS = ['array', 'string', 'missing'] as const;

function assertUntouched(input: Buffer, result: RewriteResult): void {
  assert.equal(result.body, input, 'the very same Buffer instance comes back');
  assert.equal(result.changed, false);
  assert.deepEqual(result.rules, []);
}

/** The request as the rewrite should leave it, computed on the object rather than the bytes. */
function expectedRequest(request: MessagesRequest, mode: RewriteMode): MessagesRequest {
  const expected = structuredClone(request);
  const isBilling = (text: string): boolean => text.startsWith(BILLING_PREFIX);
  if (typeof expected.system === 'string' && isBilling(expected.system)) {
    const newline = expected.system.indexOf('\n');
    const [line, rest] = newline < 0 ? [expected.system, ''] : [expected.system.slice(0, newline), expected.system.slice(newline)];
    expected.system = mode === 'drop' ? rest.slice(1) : normalizeBillingLine(line) + rest;
  } else if (Array.isArray(expected.system)) {
    expected.system = mode === 'drop'
      ? expected.system.filter((block) => !isBilling(block.text))
      : expected.system.map((block) => (isBilling(block.text) ? { ...block, text: normalizeBillingLine(block.text) } : block));
  }
  return expected;
}

const encoders = {
  compact: (request: MessagesRequest) => encodeBody(request),
  pretty: (request: MessagesRequest) => Buffer.from(JSON.stringify(request, null, 2)),
};

describe('rewriteRequestBody: every billing variant × system form × mode', () => {
  const builders = { bare: bareRequest, full: fullRequest };
  for (const [size, build] of Object.entries(builders)) {
    for (const variant of BILLING_VARIANTS) {
      for (const system of SYSTEM_FORMS) {
        for (const mode of REWRITE_MODES) {
          for (const [encoding, encode] of Object.entries(encoders)) {
            test(`${size} body, ${variant}, ${system} system, ${mode}, ${encoding}`, () => {
              const request = build({ billing: variant, system });
              const input = encode(request);
              const result = rewriteRequestBody(input, mode);
              if (mode === 'off' || system === 'missing') {
                assertUntouched(input, result);
                return;
              }
              const expected = expectedRequest(request, mode);
              assert.equal(result.changed, true);
              assert.notEqual(result.body, input);
              assert.deepEqual(result.rules, [mode === 'normalize' ? 'billing-line-normalized' : system === 'array' ? 'billing-block-dropped' : 'billing-line-dropped']);
              assert.deepEqual(JSON.parse(result.body.toString('utf8')), expected);
              // Byte identity: the output is exactly what encoding the expected
              // object gives, so nothing outside the billing line moved.
              assert.equal(result.body.toString('utf8'), encode(expected).toString('utf8'));
              if (mode === 'drop') assert.ok(result.pieces.every((piece) => piece.buffer === input.buffer), 'dropping copies nothing: every piece is a view of the input');
              if (mode === 'normalize') {
                const text = Array.isArray(expected.system) ? expected.system[0]!.text : expected.system!.split('\n')[0];
                assert.equal(text, NORMALIZED[variant]);
              }
            });
          }
        }
      }
    }
  }
});

describe('rewriteRequestBody: the prefix is stable across calls', () => {
  for (const variant of BILLING_VARIANTS) {
    for (const mode of ['drop', 'normalize'] as const) {
      test(`${variant}, ${mode}: calls with different volatile values rewrite to identical bytes`, () => {
        const first = bareBody({ billing: variant, call: 0 });
        const later = bareBody({ billing: variant, call: 7 });
        assert.notDeepEqual(first, later, 'the fixture really varies per call');
        assert.deepEqual(rewriteRequestBody(first, mode).body, rewriteRequestBody(later, mode).body);
      });
    }
  }

  test('a resumed session whose version suffix changed (.915 -> .925) still matches', () => {
    const before = bareBody({ billing: { line: 'x-anthropic-billing-header: cc_version=2.1.139.915; cc_entrypoint=sdk-cli; cch=48755;' } });
    const after = bareBody({ billing: { line: 'x-anthropic-billing-header: cc_version=2.1.139.925; cc_entrypoint=sdk-cli; cch=01234;' } });
    for (const mode of ['drop', 'normalize'] as const) {
      assert.deepEqual(rewriteRequestBody(before, mode).body, rewriteRequestBody(after, mode).body);
    }
  });

  test('rewriting is idempotent: a rewritten body comes back untouched', () => {
    for (const mode of ['drop', 'normalize'] as const) {
      const once = rewriteRequestBody(bareBody(), mode).body;
      assertUntouched(once, rewriteRequestBody(once, mode));
    }
  });
});

describe('rewriteRequestBody: raw bytes are spliced, never re-encoded', () => {
  const billingBlock = '{"type":"text","text":"x-anthropic-billing-header: cc_version=2.1.139.915; cc_entrypoint=sdk-cli; cch=48755;"}';
  // Escapes JSON.stringify would never write (\/, \u00e9, \u2028), a raw U+2028,
  // emoji, CJK, and escaped quotes and backslashes, all before the system key.
  const messages = String.raw`"messages":[{"role":"user","content":"caf\u00e9 \/ \u2028 \"quoted\" back\\slash \\\" emoji 🚀 数据 ` + '\u2028 raw' + String.raw` \ud83d\ude80"}]`;
  const tail = String.raw`{"type":"text","text":"You are Claude Code.\n\u00e9t\u00e9 \"x\"","cache_control":{"type":"ephemeral"}}`;

  test('drop removes exactly the billing block and its comma', () => {
    const input = Buffer.from(`{"model":"m",${messages},"system":[${billingBlock},${tail}],"tools":[],"stream":true}`);
    const result = rewriteRequestBody(input, 'drop');
    assert.equal(result.body.toString('utf8'), `{"model":"m",${messages},"system":[${tail}],"tools":[],"stream":true}`);
    assert.deepEqual(result.rules, ['billing-block-dropped']);
  });

  test('normalize replaces only the line inside the block', () => {
    const input = Buffer.from(`{"model":"m",${messages},"system":[${billingBlock},${tail}],"stream":true}`);
    const result = rewriteRequestBody(input, 'normalize');
    const frozen = '{"type":"text","text":"x-anthropic-billing-header: cc_version=0; cc_entrypoint=0; cch=0;"}';
    assert.equal(result.body.toString('utf8'), `{"model":"m",${messages},"system":[${frozen},${tail}],"stream":true}`);
  });

  const stringSystemCases: { name: string; system: string; dropped: string; normalized: string }[] = [
    {
      name: 'a \\n escape ends the line',
      system: String.raw`"x-anthropic-billing-header: cc_version=2.1.197.ce1; cc_entrypoint=sdk-cli;\n\u00e9t\u00e9 \/ \"q\" 🚀"`,
      dropped: String.raw`"\u00e9t\u00e9 \/ \"q\" 🚀"`,
      normalized: String.raw`"x-anthropic-billing-header: cc_version=0; cc_entrypoint=0;\n\u00e9t\u00e9 \/ \"q\" 🚀"`,
    },
    {
      name: 'a \\u000A escape ends the line',
      system: String.raw`"x-anthropic-billing-header: {\"cc_is_subagent\":true}\u000Arest\nmore"`,
      dropped: String.raw`"rest\nmore"`,
      normalized: String.raw`"x-anthropic-billing-header: {\"cc_is_subagent\":0}\u000Arest\nmore"`,
    },
    {
      name: 'the whole string is the billing line',
      system: '"x-anthropic-billing-header: cc_version=2.1.139.915; cc_entrypoint=sdk-cli; cch=48755;"',
      dropped: '""',
      normalized: '"x-anthropic-billing-header: cc_version=0; cc_entrypoint=0; cch=0;"',
    },
  ];
  for (const { name, system, dropped, normalized } of stringSystemCases) {
    test(`string system: ${name}`, () => {
      const wrap = (value: string): string => `{${messages},"system":${value},"tools":[{"name":"t"}]}`;
      const input = Buffer.from(wrap(system));
      assert.equal(rewriteRequestBody(input, 'drop').body.toString('utf8'), wrap(dropped));
      assert.equal(rewriteRequestBody(input, 'normalize').body.toString('utf8'), wrap(normalized));
    });
  }

  test('pretty-printed arrays keep their layout when block 0 goes', () => {
    const input = Buffer.from(`{\n  "system": [\n    ${billingBlock},\n    ${tail}\n  ],\n  "stream": true\n}\n`);
    assert.equal(rewriteRequestBody(input, 'drop').body.toString('utf8'), `{\n  "system": [\n    ${tail}\n  ],\n  "stream": true\n}\n`);
  });

  const positions: { name: string; system: string; expected: string; rule: RewriteRule }[] = [
    { name: 'in the middle', system: `["a",${billingBlock},"b"]`, expected: '["a","b"]', rule: 'billing-block-dropped' },
    { name: 'last, with spaces', system: `[ "a" , ${billingBlock} ]`, expected: '[ "a" ]', rule: 'billing-block-dropped' },
    { name: 'the only block', system: `[ ${billingBlock} ]`, expected: '[  ]', rule: 'billing-block-dropped' },
    { name: 'twice, first and last', system: `[${billingBlock}, "a", ${billingBlock}]`, expected: '["a"]', rule: 'billing-block-dropped' },
    { name: 'twice in a row at the end', system: `["a", ${billingBlock}, ${billingBlock}]`, expected: '["a"]', rule: 'billing-block-dropped' },
    {
      name: 'a block with more text after the line keeps that text',
      system: String.raw`[{"text":"x-anthropic-billing-header: cch=1;\nkeep \u00e9","type":"text"},"a"]`,
      expected: String.raw`[{"text":"keep \u00e9","type":"text"},"a"]`,
      rule: 'billing-line-dropped',
    },
    {
      name: 'a block whose text is the line plus a newline',
      system: String.raw`[{"type":"text","text":"x-anthropic-billing-header: cch=1;\n"},"a"]`,
      expected: '["a"]',
      rule: 'billing-block-dropped',
    },
  ];
  for (const { name, system, expected, rule } of positions) {
    test(`drop: billing block ${name}`, () => {
      const result = rewriteRequestBody(Buffer.from(`{"messages":[],"system":${system},"n":1}`), 'drop');
      assert.equal(result.body.toString('utf8'), `{"messages":[],"system":${expected},"n":1}`);
      assert.deepEqual(result.rules, [rule]);
    });
  }

  test('an escaped key still names system', () => {
    const result = rewriteRequestBody(Buffer.from(String.raw`{"sys\u0074em":[${billingBlock},"a"]}`), 'drop');
    assert.equal(result.body.toString('utf8'), String.raw`{"sys\u0074em":["a"]}`);
  });

  const keys: { key: string; names: boolean }[] = [
    { key: '"system"', names: true },
    { key: String.raw`"\u0073\u0079\u0073\u0074\u0065\u006d"`, names: true },
    { key: String.raw`"\u0073\u0079\u0073\u0074\u0065\u006d "`, names: false },
    { key: String.raw`"sys\/tem"`, names: false },
    { key: '"System"', names: false },
    { key: '"systen"', names: false },
    { key: '"syste"', names: false },
    { key: '"systems"', names: false },
    { key: '"sÿstem"', names: false },
    { key: '""', names: false },
    { key: `"${'s'.repeat(100)}"`, names: false },
  ];
  for (const { key, names } of keys) {
    test(`the key ${key.length > 40 ? `${key.slice(0, 12)}…(${key.length} bytes)` : key} ${names ? 'names' : 'does not name'} system`, () => {
      const body = `{${key}:[${billingBlock},"a"]}`;
      const result = rewriteRequestBody(Buffer.from(body), 'drop');
      assert.equal(result.changed, names);
      assert.equal(result.body.toString('utf8'), names ? `{${key}:["a"]}` : body);
    });
  }
});

describe('rewriteRequestBody: leaves alone what is not the billing line of system', () => {
  const line = billingLine('cch');
  const untouched: { name: string; body: string }[] = [
    { name: 'billing text only in a message (string content)', body: JSON.stringify({ messages: [{ role: 'user', content: `${line}\nhi` }], system: [{ type: 'text', text: 'You are Claude Code.' }] }) },
    { name: 'billing text only in a message (text block)', body: JSON.stringify({ messages: [{ role: 'user', content: [{ type: 'text', text: line }] }], system: 'You are Claude Code.' }) },
    { name: 'billing text only in a message, no system', body: JSON.stringify({ messages: [{ role: 'user', content: line }] }) },
    { name: 'billing text in system but not at the start', body: JSON.stringify({ system: [{ type: 'text', text: `note: ${line}` }, `see ${line}`] }) },
    { name: 'billing text in a string system after the first line', body: JSON.stringify({ system: `You are Claude Code.\n${line}` }) },
    { name: 'a nested system key', body: JSON.stringify({ metadata: { system: [{ type: 'text', text: line }] }, messages: [] }) },
    { name: 'a system block that is not an object', body: JSON.stringify({ system: [line] }) },
    { name: 'a block whose billing text is not in `text`', body: JSON.stringify({ system: [{ type: 'text', title: line, text: 'x' }] }) },
    { name: 'system of another type', body: JSON.stringify({ system: { text: line } }) },
    { name: 'a duplicated system key (ambiguous)', body: `{"system":[{"type":"text","text":"${line}"}],"system":[{"type":"text","text":"${line}"}]}` },
    { name: 'a root that is an array', body: JSON.stringify([{ system: [{ type: 'text', text: line }] }]) },
    { name: 'a root that is a string', body: JSON.stringify(line) },
    { name: 'no billing text at all', body: JSON.stringify(bareRequest({ billing: null })) },
  ];
  for (const { name, body } of untouched) {
    test(name, () => {
      const input = Buffer.from(body);
      for (const mode of REWRITE_MODES) assertUntouched(input, rewriteRequestBody(input, mode));
    });
  }

  test('a real body with the billing line only in a message', () => {
    const input = bareBody({ billing: null, messages: [firstUserMessage(billingLine('suffix'))] });
    for (const mode of REWRITE_MODES) assertUntouched(input, rewriteRequestBody(input, mode));
  });

  test('off, or an unknown mode from bad settings, leaves a body with a billing block untouched', () => {
    const input = bareBody();
    assertUntouched(input, rewriteRequestBody(input, 'off'));
    assertUntouched(input, rewriteRequestBody(input, 'Drop' as RewriteMode));
  });
});

describe('rewriteRequestBody: malformed bodies are forwarded untouched', () => {
  const block = `{"type":"text","text":"${billingLine('cch')}"}`;
  const valid = `{"messages":[{"role":"user","content":"hi"}],"system":[${block},{"type":"text","text":"x"}],"max_tokens":1,"stream":true}`;
  const malformed: Record<string, string> = {
    'trailing garbage': `${valid}x`,
    'a second document': `${valid} {}`,
    'an extra closing bracket': `${valid}]`,
    'unbalanced: missing the final brace': valid.slice(0, -1),
    'unbalanced: array closed by a brace': valid.replace('"hi"}]', '"hi"}}'),
    'a missing comma': valid.replace('"max_tokens":1,', '"max_tokens":1 '),
    'a trailing comma': valid.replace(',"stream":true}', ',"stream":true,}'),
    'a trailing comma in system': valid.replace('"text":"x"}]', '"text":"x"},]'),
    'a missing colon': valid.replace('"max_tokens":1', '"max_tokens" 1'),
    'an unquoted key': valid.replace('"max_tokens"', 'max_tokens'),
    'single quotes': valid.replace('"hi"', "'hi'"),
    'an invalid escape': valid.replace('"hi"', String.raw`"h\xi"`),
    'a short unicode escape': valid.replace('"hi"', String.raw`"\u12"`),
    'a raw control byte in a string': valid.replace('"hi"', '"h\u0001i"'),
    'a raw newline in a string': valid.replace('"hi"', '"h\ni"'),
    'a raw tab in the billing text': valid.replace('cch=', 'cch=\t'),
    'a leading zero': valid.replace('"max_tokens":1', '"max_tokens":01'),
    'a bare minus': valid.replace('"max_tokens":1', '"max_tokens":-'),
    'a dangling decimal point': valid.replace('"max_tokens":1', '"max_tokens":1.'),
    'an empty exponent': valid.replace('"max_tokens":1', '"max_tokens":1e+'),
    'a misspelt literal': valid.replace('"stream":true', '"stream":tru'),
    'NaN': valid.replace('"max_tokens":1', '"max_tokens":NaN'),
    'a byte order mark': `\ufeff${valid}`,
    'an unterminated string at the end': `${valid.slice(0, -1)},"x":"abc`,
    'empty input': '',
    'whitespace only': ' \n',
  };
  for (const [name, text] of Object.entries(malformed)) {
    test(name, () => {
      assert.throws(() => JSON.parse(text), SyntaxError, 'the case really is malformed');
      const input = Buffer.from(text);
      for (const mode of REWRITE_MODES) assertUntouched(input, rewriteRequestBody(input, mode));
    });
  }

  test('the well-formed original does rewrite (so the cases above test the scanner)', () => {
    assert.equal(rewriteRequestBody(Buffer.from(valid), 'drop').changed, true);
  });

  test('every truncation of a real body', () => {
    const whole = bareBody();
    for (let length = 0; length < whole.length; length++) {
      const truncated = whole.subarray(0, length);
      assertUntouched(truncated, rewriteRequestBody(truncated, 'drop'));
    }
  });

  test('deeply nested input does not overflow the stack', () => {
    const depth = 200_000;
    const input = Buffer.from(`{"system":[${block}],"x":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    assert.equal(rewriteRequestBody(input, 'drop').changed, true);
    const unbalanced = Buffer.from(`{"system":[${block}],"x":${'['.repeat(depth)}}`);
    assertUntouched(unbalanced, rewriteRequestBody(unbalanced, 'drop'));
  });

  test('agrees with JSON.parse on randomly corrupted bodies', () => {
    // Deterministic byte flips: whenever JSON.parse rejects the input, the
    // body must come back untouched; whenever it is rewritten, both input and
    // output must parse, and the output must equal the input minus the block.
    const random = seededRandom(0x2f6b);
    const base = bareBody({ messages: [{ role: 'user', content: 'caf\u00e9 🚀 "q" \\ 数据' }] });
    const alphabet = JSON_NOISE;
    let rewritten = 0;
    for (let trial = 0; trial < 1500; trial++) {
      const input = Buffer.from(base);
      for (let flips = 1 + random(2); flips > 0; flips--) input[random(input.length)] = alphabet[random(alphabet.length)]!;
      let parsed: unknown;
      try {
        parsed = JSON.parse(input.toString('utf8'));
      } catch {
        assertUntouched(input, rewriteRequestBody(input, 'drop'));
        continue;
      }
      const result = rewriteRequestBody(input, 'drop');
      if (!result.changed) continue;
      rewritten++;
      const expected = parsed as MessagesRequest;
      assert.ok(Array.isArray(expected.system));
      expected.system = expected.system.filter((b) => !(typeof b.text === 'string' && b.text.startsWith(BILLING_PREFIX)));
      assert.deepEqual(JSON.parse(result.body.toString('utf8')), expected);
    }
    assert.ok(rewritten > 100, `enough corrupted-but-valid bodies were rewritten (${rewritten})`);
  });
});

describe('normalizeBillingLine', () => {
  const cases: [string, string][] = [
    ['x-anthropic-billing-header: cc_version=2.1.139.915; cc_entrypoint=sdk-cli; cch=48755;', NORMALIZED.cch],
    ['x-anthropic-billing-header:cc_version=2.1.139.925;cc_entrypoint=sdk-cli;cch=1  ', NORMALIZED.cch],
    ['x-anthropic-billing-header: cc_version=2.1.197.ce1; cc_entrypoint=sdk-cli; cc_workload=cron; cc_is_subagent=true;', NORMALIZED['workload-subagent']],
    ['x-anthropic-billing-header: {"cc_is_subagent":true}', NORMALIZED.json],
    ['x-anthropic-billing-header: { "cc_is_subagent": false, "cc_workload": "x" }', 'x-anthropic-billing-header: {"cc_is_subagent":0,"cc_workload":0}'],
    ['x-anthropic-billing-header: {"cc_is_subagent":', 'x-anthropic-billing-header:'],
    ['x-anthropic-billing-header: [1,2]', 'x-anthropic-billing-header:'],
    ['x-anthropic-billing-header: some free text 12345', 'x-anthropic-billing-header:'],
    ['x-anthropic-billing-header:', 'x-anthropic-billing-header:'],
  ];
  for (const [line, expected] of cases) {
    test(JSON.stringify(line), () => assert.equal(normalizeBillingLine(line), expected));
  }

  test('lines with the same keys give the same output', () => {
    const lines = [1, 2, 99].map((call) => billingLine('workload-subagent', call));
    assert.equal(new Set(lines).size, lines.length);
    assert.equal(new Set(lines.map(normalizeBillingLine)).size, 1);
  });
});
