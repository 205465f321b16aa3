// The scan memo lets a body's validation skip what it shares with a body
// accepted before. Skipping must never change a verdict: every test here
// compares the memo's answer with a whole scan of the same bytes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteRequestBody, type RewriteResult } from '../main/core/rewrite/index.js';
import { hasForbiddenControlByte } from '../main/core/rewrite/control-bytes.js';
import { JsonScanner } from '../main/core/rewrite/json-scan.js';
import { ScanMemo, sharedPrefixLength, sharedSuffixLength } from '../main/core/rewrite/scan-memo.js';
import { bareBody, conversation, fullBody } from './support/claude-code-bodies.js';
import { JSON_NOISE, seededRandom } from './support/corruption.js';

function memoOf(...bodies: Buffer[]): ScanMemo {
  const memo = new ScanMemo();
  for (const body of bodies) assert.equal(rewriteRequestBody(body, 'drop', memo).changed, true, 'the base is a valid body');
  return memo;
}

function assertSameResult(actual: RewriteResult, expected: RewriteResult, input: Buffer, what: string): void {
  assert.equal(actual.changed, expected.changed, `${what}: changed`);
  assert.deepEqual(actual.rules, expected.rules, `${what}: rules`);
  assert.ok(actual.body.equals(expected.body), `${what}: bytes`);
  if (!actual.changed) assert.equal(actual.body, input, `${what}: the very same Buffer when unchanged`);
}

describe('sharedPrefixLength / sharedSuffixLength', () => {
  function naive(a: Buffer, b: Buffer, fromEnd: boolean): number {
    const n = Math.min(a.length, b.length);
    let i = 0;
    while (i < n && (fromEnd ? a[a.length - 1 - i] === b[b.length - 1 - i] : a[i] === b[i])) i++;
    return i;
  }

  test('agree with a byte loop around block edges and for unequal lengths', () => {
    const random = seededRandom(7);
    const base = Buffer.alloc(3 * 4096 + 17, 'abcdefgh');
    for (const at of [0, 1, 4095, 4096, 4097, 8191, 8192, 3 * 4096, base.length - 1]) {
      const other = Buffer.from(base);
      other[at] = 0x5a;
      assert.equal(sharedPrefixLength(base, other), at, `prefix, change at ${at}`);
      assert.equal(sharedSuffixLength(base, other), base.length - 1 - at, `suffix, change at ${at}`);
    }
    for (let trial = 0; trial < 200; trial++) {
      const a = Buffer.from(base.subarray(0, random(base.length)));
      const b = Buffer.concat([a.subarray(0, random(a.length + 1)), Buffer.from('xyz'.repeat(random(3))), a.subarray(random(a.length + 1))]);
      assert.equal(sharedPrefixLength(a, b), naive(a, b, false));
      assert.equal(sharedSuffixLength(a, b), naive(a, b, true));
      const limit = random(a.length + 1);
      assert.equal(sharedSuffixLength(a, b, limit), Math.min(limit, naive(a, b, true)));
    }
    assert.equal(sharedPrefixLength(Buffer.alloc(0), base), 0);
    assert.equal(sharedSuffixLength(base, base), base.length);
  });
});

describe('ScanMemo', () => {
  test("reuses nearly all of the previous turn's body", () => {
    const turns = [0, 1, 2, 3].map((n) => fullBody({ call: n, messages: conversation(n) }));
    const memo = new ScanMemo();
    for (const [n, body] of turns.entries()) {
      const reuse = memo.reuseFor(body);
      const scanner = new JsonScanner(body, reuse);
      assert.ok(scanner.rootMembers(), `turn ${n} is accepted`);
      if (n > 0) {
        assert.ok(reuse, `turn ${n} finds the turn before`);
        const fresh = body.length - reuse.prefix - reuse.suffix;
        assert.ok(fresh < body.length * 0.25, `turn ${n} leaves ${fresh} of ${body.length} bytes to read`);
        assert.ok(scanner.reusedValues >= 20, `turn ${n} reused ${scanner.reusedValues} values (tools, messages, system blocks)`);
      }
      memo.remember(scanner.accepted());
    }
  });

  test('keeps a few bodies, newest first, within its byte budget', () => {
    const [a, b, c] = [0, 1, 2].map((call) => bareBody({ call }));
    const memo = new ScanMemo({ bodies: 2, bytes: a!.length * 3 });
    const remember = (body: Buffer): void => memo.remember(new JsonScanner(body).accepted());
    remember(a!);
    remember(b!);
    remember(c!);
    assert.equal(memo.size, 2);
    assert.equal(memo.reuseFor(c!)?.base.body, c, 'an identical body is the best base');
    assert.equal(memo.reuseFor(a!)?.base.body !== a, true, 'the oldest was dropped');
    const tight = new ScanMemo({ bytes: a!.length + 10 });
    tight.remember(new JsonScanner(a!).accepted());
    tight.remember(new JsonScanner(b!).accepted());
    assert.equal(tight.size, 1, 'two bodies would pass the byte budget');
    tight.remember(new JsonScanner(fullBody()).accepted());
    assert.equal(tight.size, 1, 'a body over the whole budget is not kept, and evicts nothing');
  });

  test('gives every corrupted body the verdict a whole scan gives', () => {
    // Flips, deletions and insertions shift the bytes after them, which
    // exercises reuse from the shared suffix as well as the prefix.
    const random = seededRandom(0x51ce);
    const alphabet = JSON_NOISE;
    const bases = [0, 1, 2].map((call) => bareBody({ call, messages: conversation(1, 300) }));
    let accepted = 0;
    let reusedSomething = 0;
    for (let trial = 0; trial < 1500; trial++) {
      const base = bases[random(bases.length)]!;
      let input: Buffer = Buffer.from(base);
      for (let edits = 1 + random(2); edits > 0; edits--) {
        const at = random(input.length);
        const junk = Buffer.from(Array.from({ length: random(4) }, () => alphabet[random(alphabet.length)]!));
        const kind = random(3);
        if (kind === 0) input[at] = alphabet[random(alphabet.length)]!;
        else if (kind === 1) input = Buffer.concat([input.subarray(0, at), input.subarray(at + 1 + random(12))]);
        else input = Buffer.concat([input.subarray(0, at), junk, input.subarray(at)]);
      }
      const memo = memoOf(...bases);
      const withMemo = rewriteRequestBody(input, 'drop', memo);
      assertSameResult(withMemo, rewriteRequestBody(input, 'drop'), input, `trial ${trial}`);
      if (withMemo.changed) accepted++;
      const scanner = new JsonScanner(input, memo.reuseFor(input));
      if (scanner.rootMembers() && scanner.reusedValues > 0) reusedSomething++;
    }
    assert.ok(accepted > 150, `enough corrupted bodies stayed valid and were rewritten (${accepted})`);
    assert.ok(reusedSomething > 150, `and their scans did reuse values (${reusedSomething})`);
  });

  test('a body accepted with reuse is as good a base as one read whole', () => {
    const memo = new ScanMemo();
    const turns = Array.from({ length: 6 }, (_, n) => fullBody({ call: n, messages: conversation(n % 3) }));
    for (const body of [...turns, ...turns]) {
      assertSameResult(rewriteRequestBody(body, 'drop', memo), rewriteRequestBody(body, 'drop'), body, `call ${body.length}`);
      assertSameResult(rewriteRequestBody(body, 'normalize', memo), rewriteRequestBody(body, 'normalize'), body, `normalize ${body.length}`);
    }
  });

  test('a valid base does not make a malformed body look valid', () => {
    const base = bareBody();
    const memo = memoOf(base);
    const text = base.toString('latin1');
    const broken = [
      text.slice(0, -1),
      `${text} x`,
      text.replace('"stream":true', '"stream":true,'),
      text.replace('"messages":[', '"messages":[['),
      text.replace('"max_tokens"', '"max_tokens\u0001"'),
    ];
    for (const body of broken.map((t) => Buffer.from(t, 'latin1'))) {
      assert.throws(() => JSON.parse(body.toString('utf8')));
      assert.equal(rewriteRequestBody(body, 'drop', memo).body, body);
    }
  });
});

describe('hasForbiddenControlByte', () => {
  test('finds each control byte at every position and alignment, and nothing else', () => {
    const storage = Buffer.alloc(64 + 3, 'a');
    for (let offset = 0; offset < 4; offset++) {
      // Up to ten words: two groups of four tested together, and single words after them.
      for (let length = 0; length <= 43; length++) {
        const view = storage.subarray(offset, offset + length);
        assert.equal(hasForbiddenControlByte(view), false);
        for (let at = 0; at < length; at++) {
          for (let byte = 0; byte < 0x100; byte++) {
            view[at] = byte;
            const forbidden = byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d;
            assert.equal(hasForbiddenControlByte(view), forbidden, `byte ${byte} at ${at} of ${length} (offset ${offset})`);
          }
          view[at] = 0x61;
        }
      }
    }
  });

  test('looks past words whose low bytes are only tab, CR and LF', () => {
    // Every group holds allowed whitespace, so each is looked at closely; the forbidden byte is in none but one.
    const body = Buffer.from('\t'.padEnd(16, 'a').repeat(64));
    assert.equal(hasForbiddenControlByte(body), false);
    for (const at of [1, 15, 16, 17, 500, body.length - 1]) {
      const copy = Buffer.from(body);
      copy[at] = 0x1f;
      assert.equal(hasForbiddenControlByte(copy), true, `at ${at}`);
    }
  });
});
