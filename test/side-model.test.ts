// The `side-model` rule of the rewrite: a side call goes to the side model
// with only its `model` changed, in every rewrite mode, and is named among
// the rules that fired; any other body keeps its model.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteRequestBody, ScanMemo } from '../main/core/rewrite/index.js';
import { fullBody } from './support/claude-code-bodies.js';
import { MAIN_MODEL, titleRequest } from './support/side-call-bodies.js';

const SIDE_MODEL = 'qwen3:4b';

function title(model = MAIN_MODEL): Buffer {
  return Buffer.from(JSON.stringify(titleRequest('What is a KV cache?', model)));
}

function modelOf(body: Buffer): unknown {
  return (JSON.parse(body.toString('utf8')) as { model?: unknown }).model;
}

describe('the side-model rule', () => {
  test('with the rewrite off, a title call goes to the side model and nothing else changes', () => {
    const input = title();
    const result = rewriteRequestBody(input, 'off', null, { sideModel: SIDE_MODEL });
    assert.equal(result.changed, true);
    assert.deepEqual(result.rules, ['side-model']);
    assert.equal(result.body.toString('utf8'), input.toString('utf8').replace(JSON.stringify(MAIN_MODEL), JSON.stringify(SIDE_MODEL)));
  });

  test('after the billing rule, in the order they fired, with member spans that fit the routed bytes', () => {
    const memo = new ScanMemo();
    const stabilised = rewriteRequestBody(title(), 'drop', memo);
    const result = rewriteRequestBody(title(), 'drop', memo, { sideModel: SIDE_MODEL });
    assert.ok(stabilised.rules.length > 0, 'the recorded title call carries a billing line');
    assert.deepEqual(result.rules, [...stabilised.rules, 'side-model']);
    assert.equal(modelOf(result.body), SIDE_MODEL);
    const model = result.members!.find((member) => result.body.toString('utf8', member.key.start, member.key.end) === '"model"')!;
    assert.equal(result.body.toString('utf8', model.value.start, model.value.end), JSON.stringify(SIDE_MODEL));
  });

  test('a main call, a call already on the side model, or no side model: the rule does not fire', () => {
    for (const [what, body, sideModel] of [
      ['a main call', fullBody(), SIDE_MODEL],
      ['already on the side model', title(SIDE_MODEL), SIDE_MODEL],
      ['no side model', title(), ''],
    ] as const) {
      const result = rewriteRequestBody(body, 'off', null, { sideModel });
      assert.deepEqual(result.rules, [], what);
      assert.equal(result.body, body, `${what}: the very same Buffer`);
    }
  });
});
