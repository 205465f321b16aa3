import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseSlot, SLOT_PROMPT_SIMILARITY } from '../main/core/diagnostics/slot-choice.js';

// llama-server's get_available_slot (tools/server/server-context.cpp), which the engine and the estimate share.
describe("chooseSlot: llama-server's slot for a prompt", () => {
  test('the slot whose shared prefix is the largest share of the prompt, even when it holds more than the prompt begins with', () => {
    // Slot 1 shares 60 of 100 tokens but holds 500: Ollama's old runner would have moved to the idle slot.
    assert.equal(chooseSlot([20, 60, null], [3, 1, 0], 100), 1);
    // A tie goes to the first such slot.
    assert.equal(chooseSlot([60, 60], [2, 1], 100), 0);
  });

  test('at most a tenth in common: the least recently used slot, a never-used one first, the last on a tie', () => {
    assert.equal(SLOT_PROMPT_SIMILARITY, 0.1);
    assert.equal(chooseSlot([10, 5], [1, 2], 100), 0, 'a tenth exactly is not above it');
    assert.equal(chooseSlot([10, 5], [2, 1], 100), 1);
    assert.equal(chooseSlot([null, null, null], [0, 0, 0], 100), 2);
    assert.equal(chooseSlot([50, null], [5, 0], 1000), 1);
  });

  test('an empty slot is never picked for its likeness; one slot is always the one', () => {
    assert.equal(chooseSlot([null, 40], [0, 1], 100), 1);
    assert.equal(chooseSlot([0], [7], 100), 0);
    assert.equal(chooseSlot([null], [0], 0), 0);
  });
});
