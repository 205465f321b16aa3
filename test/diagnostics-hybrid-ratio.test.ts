// A hybrid model's checkpoints fall on token positions, and the estimate
// knows a model's characters per token only once the backend has reported a
// call's usage: a session's first call is estimated with the default ratio.
// The checkpoints that call left must still sit where the model's real ratio
// puts them when a later call resumes from one of them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CacheTracker } from '../main/core/diagnostics/tracker.js';
import type { Observation } from '../main/core/diagnostics/tracker-types.js';
import { GO_ENGINE_CHECKPOINTS, OLLAMA_CHECKPOINTS, type CheckpointRule } from '../main/core/diagnostics/checkpoints.js';
import { DEFAULT_CHARS_PER_TOKEN } from '../main/core/diagnostics/token-calibrator.js';
import { renderPrompt } from '../main/core/diagnostics/render.js';
import { startsUserTurn } from '../main/core/diagnostics/turns.js';
import { rewriteRequestBody } from '../main/core/rewrite/index.js';
import { parseBodyBytes } from '../main/core/rewrite/body-bytes.js';
import { isSideCall, type SideCallShape } from '../main/core/rewrite/side-call.js';
import { loadRecording } from './support/recordings.js';

/** The test model's characters per token on this session, as its usage reports them. */
const TRUE_RATIO = 2.83;

/** Replays the recorded session through a tracker whose ratio for each call is `ratio(call index)`. */
function replayThinking(ratio: (index: number) => number, rule: CheckpointRule = OLLAMA_CHECKPOINTS): Observation[] {
  let index = 0;
  const tracker = new CacheTracker({ hybrid: () => ({ rule, charsPerToken: ratio(index) }) });
  return loadRecording('cc-2.1.332-thinking').calls.map((call, i) => {
    index = i;
    const body = parseBodyBytes(rewriteRequestBody(Buffer.from(call.body, 'utf8'), 'drop').body);
    return tracker.observe({
      key: 'session', rendered: renderPrompt(body, 'qwen3.5'), rewriteMode: 'drop', userTurn: startsUserTurn(body), side: isSideCall(body as SideCallShape),
    });
  });
}

for (const rule of [OLLAMA_CHECKPOINTS, GO_ENGINE_CHECKPOINTS]) describe(`a hybrid model's checkpoints follow the ratio in force (${rule.kind})`, () => {
  test('the recorded thinking session: the call that drops the reasoning resumes where the real ratio put the checkpoints', () => {
    // The proxy's ratio: the default until the first call's usage is in, then the model's own.
    const learnt = replayThinking((i) => (i === 0 ? DEFAULT_CHARS_PER_TOKEN : TRUE_RATIO), rule);
    // The checkpoint rule with the true token positions throughout.
    const exact = replayThinking(() => TRUE_RATIO, rule);
    const main = (all: Observation[]): Observation[] => all.filter((o) => !o.side);
    const [estimated, truth] = [main(learnt), main(exact)];
    assert.equal(estimated.length, 4);
    // Call 3 drops call 2's reasoning near its end and resumes from a checkpoint. With the interval ring, call 1's
    // checkpoints left where the default ratio put them stood ~3,000 tokens short (the estimate said 74.4% where
    // the engine reused 91.9%).
    const third = estimated[2]!;
    assert.ok(third.reusedChars < (third.conversationChars ?? 0), 'call 3 parts from call 2 and resumes from a checkpoint');
    assert.ok(Math.abs(third.reuse - truth[2]!.reuse) <= 0.03, `call 3: estimated ${third.reuse}, exact positions ${truth[2]!.reuse}`);
    for (const [i, o] of estimated.entries()) assert.ok(Math.abs(o.reuse - truth[i]!.reuse) <= 0.03, `call ${i + 1}: ${o.reuse} against ${truth[i]!.reuse}`);
    if (rule.kind === 'llama-server') {
      // The engine, through the proxy, reused 16,530 of call 3's 17,262 tokens (95.8%): call 1's N − 512 checkpoint,
      // printed by `BENCH_ENGINE_FAMILIES=qwen3.5 BENCH_ENGINE_MODEL=test BENCH_ENGINE_RECORDINGS=cc-2.1.139-bare-resume
      // BENCH_ENGINE_RUNS=1 BENCH_ENGINE_WARM_START=0 npm run bench:engine`.
      assert.ok(Math.abs(third.reuse - 16_530 / 17_262) <= 0.03, `call 3: estimated ${third.reuse}, the engine 0.958`);
    }
  });
});
