// The engine bench names the call behind its estimate error, so a failed
// target says where to look.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateMissText, worstEstimate, worstOf } from '../bench/engine/estimate-miss.js';
import type { CallMeasure } from '../bench/engine/routes.js';

/** [evaluated, reused, estimate] per call. */
const calls = (...c: [number, number, number | null][]): CallMeasure[] => c.map(([evaluated, reused, estimate], index) => ({
  index, role: 'main', status: 200, error: null, ttftMs: 1, evaluated, reused, perfect: reused, perfectPrompt: evaluated + reused, perConversation: reused, perConversationPrompt: evaluated + reused,
  proxyEstimate: estimate, proxyCause: null, proxyRemedy: null, loss: null,
}));

describe('the worst estimate of a route', () => {
  it('names the call, both reused counts and the points between them', () => {
    const miss = worstEstimate('cc-2.1.332-subagent via proxy', calls([17040, 0, 0], [6019, 5120, 0], [689, 11139, 0.94]))!;
    assert.equal(miss.call, 2);
    assert.equal(miss.estimatedTokens, 0);
    assert.equal(miss.trueTokens, 5120);
    assert.equal(miss.points.toFixed(3), '45.965');
    assert.equal(estimateMissText(miss), 'cc-2.1.332-subagent via proxy call 2: estimated 0 of 11139 tokens reused (0.0%), the engine 5120 (46.0%): 46.0 points');
  });

  it('counts a missing estimate as the worst, and picks the worst of several routes', () => {
    const a = worstEstimate('a', calls([100, 900, 0.5], [100, 900, 0.9]));
    const b = worstEstimate('b', calls([100, 900, 0.9], [100, 900, null]));
    assert.equal(a!.call, 1);
    assert.equal(worstOf([a, null, b])!.where, 'b');
    assert.match(estimateMissText(b!), /call 2: no estimate, the engine 900 \(90\.0%\): no figure$/);
    assert.equal(worstEstimate('none', []), null);
  });
});
