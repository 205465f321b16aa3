// The rewrite hands back the bytes to forward as views around its edits;
// whoever reads them by range must see exactly the joined bytes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { joinPieces, piecesLength, sliceOfPieces } from '../main/core/rewrite/index.js';

/** Every way to cut `whole` into three pieces, empty ones included. */
function cuts(whole: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  for (let a = 0; a <= whole.length; a++) {
    for (let b = a; b <= whole.length; b++) out.push([whole.subarray(0, a), whole.subarray(a, b), whole.subarray(b)]);
  }
  return out;
}

describe('pieces of a rewritten body', () => {
  const whole = Buffer.from('{"a":[1,2],"é":"x"}');

  test('every range of every cut reads as the same range of the whole', () => {
    for (const pieces of cuts(whole)) {
      assert.equal(piecesLength(pieces), whole.length);
      assert.ok(joinPieces(pieces).equals(whole));
      for (let start = 0; start <= whole.length; start++) {
        for (let end = start; end <= whole.length; end++) {
          assert.ok(sliceOfPieces(pieces, start, end).equals(whole.subarray(start, end)), `[${start}, ${end}) of ${pieces.map((p) => p.length).join('+')}`);
        }
      }
    }
  });

  test('a range within one piece is a view of it, not a copy', () => {
    const pieces = [whole.subarray(0, 5), whole.subarray(5)];
    const view = sliceOfPieces(pieces, 6, 10);
    assert.equal(view.buffer, whole.buffer);
    assert.equal(view.byteOffset, whole.byteOffset + 6);
    assert.equal(joinPieces([whole]), whole, 'one piece is the body itself');
  });
});
