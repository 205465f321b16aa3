// The fold against the ideal client and direct on a backend with one cache
// slot, as Ollama runs a model by default: every recorded session's calls in
// their order, each rendered the way the engine renders its family
// (bench/engine/render.ts, render-qwen.ts), each reusing what it shares with
// the prompt the call before it left in the slot, whichever agent sent that.
// Sibling agents of one session take the slot in turn, so a note every agent
// receives counts for what the next agent finds there. Characters stand in for
// tokens; no llama.cpp needed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { convertRequest, type MessagesBody } from '../bench/engine/convert.js';
import { family, FAMILY_NAMES, type FamilyName } from '../bench/engine/families.js';
import { idealClientBody } from '../bench/engine/ideal-client.js';
import { rewriteRequestBody } from '../main/core/rewrite/index.js';
import { loadRecording, RECORDING_NAMES } from './support/recordings.js';
import { commonPrefixChars } from '../main/core/common-prefix.js';
import { CheckpointRing, GO_ENGINE_CHECKPOINTS, OLLAMA_CHECKPOINTS, type CheckpointRule } from '../main/core/diagnostics/checkpoints.js';

const BILLING_LINE = /x-anthropic-billing-header:(?: ?[\w.-]+=[\w.-]*;)*/;

/**
 * Per call, the characters its prompt shares with the previous call's (0 for
 * the first), not counting what of a billing line the two share: direct, that
 * line is the client's own text the proxy drops, no reuse the proxy could match.
 */
function oneSlotReuse(prompts: readonly string[], rule: CheckpointRule | null = null): number[] {
  const ring = rule === null ? null : new CheckpointRing(rule);
  return prompts.map((prompt, i) => {
    const shared = i === 0 ? 0 : commonPrefixChars(prompts[i - 1]!, prompt);
    // A hybrid model keeps only up to a checkpoint when the prompt parts from the slot (checkpoints.ts).
    const common = ring === null ? shared : ring.restore(i === 0 ? 0 : prompts[i - 1]!.length, Math.min(shared, prompt.length - 1));
    ring?.evaluate(common, prompt.length);
    const billing = BILLING_LINE.exec(prompt);
    if (billing === null || common <= billing.index) return common;
    return Math.max(billing.index, common - billing[0].length);
  });
}

/** A body as the proxy forwards it with default settings, its model rendered by `name`. */
function proxied(raw: string, name: FamilyName): string {
  return rewriteRequestBody(Buffer.from(raw), 'drop', null, { inlineSystem: 'fold', familyOf: () => name }).body.toString('utf8');
}

function render(name: FamilyName, raw: string): string {
  return family(name).render(convertRequest(JSON.parse(raw) as MessagesBody));
}

/** Every route's one-slot reuse of a recording on a family (under a hybrid model's checkpoint rule, if given). */
function routes(recording: string, name: FamilyName, rule: CheckpointRule | null = null): { proxy: number[]; ideal: number[]; direct: number[] } {
  const raws = loadRecording(recording).calls.filter((c) => c.path.startsWith('/v1/messages')).map((c) => c.body);
  return {
    proxy: oneSlotReuse(raws.map((raw) => render(name, proxied(raw, name))), rule),
    ideal: oneSlotReuse(raws.map((raw) => render(name, idealClientBody(raw))), rule),
    direct: oneSlotReuse(raws.map((raw) => render(name, raw)), rule),
  };
}

describe('the fold on one cache slot, call by call, never reuses less than the ideal client or direct', () => {
  for (const name of FAMILY_NAMES) {
    for (const recording of RECORDING_NAMES) {
      it(`${name}, ${recording}`, () => {
        const { proxy, ideal, direct } = routes(recording, name);
        proxy.forEach((chars, i) => {
          assert.ok(chars >= ideal[i]!, `call ${i + 1}: ${chars} characters reused through the proxy, ${ideal[i]} by the ideal client`);
          assert.ok(chars >= direct[i]!, `call ${i + 1}: ${chars} characters reused through the proxy, ${direct[i]} direct`);
        });
      });
    }
  }

  // The rules in characters, at 3 a token (the test model's ratio on these sessions is 2.8 to 3): taken as they
  // are, N − 4 would stand 4 characters before the end, short of the `<think>\n` a previous prompt ends with
  // (one token, in tokens), and the fold's prompt, which parts right there, would seem to lose N − 4.
  const inChars = (rule: CheckpointRule): CheckpointRule => (rule.kind === 'go-engine'
    ? { ...rule, minPos: rule.minPos * 3, interval: rule.interval * 3, batch: rule.batch * 3 }
    : { ...rule, minStep: rule.minStep * 3, batch: rule.batch * 3, nearEnd: rule.nearEnd.map((o) => o * 3) });
  for (const rule of [OLLAMA_CHECKPOINTS, GO_ENGINE_CHECKPOINTS].map(inChars)) {
    for (const recording of RECORDING_NAMES) {
      it(`qwen3.5 on a hybrid model (${rule.kind} checkpoints), ${recording}`, () => {
        const { proxy, ideal, direct } = routes(recording, 'qwen3.5', rule);
        proxy.forEach((chars, i) => {
          assert.ok(chars >= ideal[i]!, `call ${i + 1}: ${chars} characters reused through the proxy, ${ideal[i]} by the ideal client`);
          assert.ok(chars >= direct[i]!, `call ${i + 1}: ${chars} characters reused through the proxy, ${direct[i]} direct`);
        });
      });
    }
  }

  it('a nested subagent leaves the agent types note where its parent subagent finds it (template path)', () => {
    // Call 4 is the nested subagent after its first tool result; call 5 its
    // parent's next call, into the slot call 4 left. Both carry the same
    // "Available agent types" system message; their tasks differ.
    const { proxy, ideal } = routes('cc-2.1.332-nested-subagent', 'template');
    const raws = loadRecording('cc-2.1.332-nested-subagent').calls.map((c) => c.body);
    const prompts = raws.map((raw) => render('template', proxied(raw, 'template')));
    const agentTypes = prompts[4]!.indexOf('Available agent types for the Agent tool');
    assert.ok(agentTypes > 0 && proxy[4]! > agentTypes, 'call 5 reuses the note from the slot');
    assert.ok(proxy[4]! >= ideal[4]!);
  });
});
