// The engine bench's method, held to what it claims: the ideal client's bytes,
// the replay's timing, loss causes read from what the engine did, and targets
// that fail the run (with a real run of each bench whose target cannot be met).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { familyFigures, familyLine, familyPerConversationLine, perfectBelow, pointsBelow } from '../bench/engine/family-figures.js';
import { family, ONE_SLOT, perfectReuses, slotReuses } from '../bench/engine/families.js';
import { idealClientBody } from '../bench/engine/ideal-client.js';
import { engineUnavailable } from '../bench/engine/llama.js';
import { lossCause, namesTrueCause, type EngineEvent } from '../bench/engine/loss.js';
import { planSession, replaySession } from '../bench/engine/replay.js';
import type { CallMeasure } from '../bench/engine/routes.js';
import { answerId } from '../bench/engine/tap.js';
import { bestRunGap, bestRunNoise, limitFromEnv, median, spread, verdict, type Target } from '../bench/stats.js';
import { loadRecording } from './support/recordings.js';
import { needsEngine } from './support/requirements.js';

describe('ideal client: the bytes CLAUDE_CODE_ATTRIBUTION_HEADER=0 sends', () => {
  it('drops the billing block and the comma that joined it, every other byte as recorded', () => {
    const body = '{"model":"m","system":[{"type":"text","text":"x-anthropic-billing-header: cc_version=2.1.139.8cd; cch=f31a8;"},{"type":"text","text":"You are Claude."}],"messages":[]}';
    assert.equal(idealClientBody(body), '{"model":"m","system":[{"type":"text","text":"You are Claude."}],"messages":[]}');
    assert.equal(idealClientBody('{"system":"x-anthropic-billing-header: a=1;\\nYou are Claude."}'), '{"system":"You are Claude."}');
    assert.equal(idealClientBody('{"system":[{"type":"text","text":"You are Claude."}]}'), '{"system":[{"type":"text","text":"You are Claude."}]}');
  });

  it('on a real recording, removes exactly the billing block', () => {
    const raw = loadRecording('cc-2.1.139-bare-resume').calls[0]!.body;
    const ideal = idealClientBody(raw);
    const system = (JSON.parse(raw) as { system: { text: string }[] }).system;
    assert.deepEqual((JSON.parse(ideal) as { system: unknown }).system, system.slice(1));
    assert.equal(raw.length - ideal.length, JSON.stringify(system[0]).length + 1);
  });
});

describe('per-family figures', () => {
  /** Calls of one session: [reused, perfect, estimate] each; evaluated makes each prompt 1,000 tokens. */
  const calls = (...c: [number, number, number | null][]): CallMeasure[] => c.map(([reused, perfect, estimate], index) => ({
    index, role: 'main', status: 200, error: null, ttftMs: 1, evaluated: 1000 - reused, reused, perfect, perfectPrompt: 1000,
    perConversation: perfect, perConversationPrompt: 1000, proxyEstimate: estimate, proxyCause: null, proxyRemedy: null, loss: null,
  }));

  it('holds the proxy against direct and the ideal client call by call, against the family\'s perfect', () => {
    const f = familyFigures('qwen3.5', [{
      recording: 'r',
      direct: calls([0, 0, null], [500, 900, null], [900, 900, null]),
      ideal: calls([0, 0, null], [900, 900, null], [900, 900, null]),
      proxy: calls([0, 0, 0], [900, 900, 0.9], [810, 900, 0.85]),
    }]);
    assert.equal(f.worstVsDirect.toFixed(6), '-10.000000');
    assert.equal(f.worstVsIdeal.toFixed(6), '-10.000000');
    assert.equal(pointsBelow(f).toFixed(6), '10.000000');
    assert.equal(f.worstAt, 'r call 3 (vs direct)');
    assert.equal(familyLine(f), 'family qwen3.5: reuse through proxy 95.0% of perfect, direct 77.8%, ideal client 100.0%, worst call vs direct -10.0 points; estimate error 4.0 points');
  });

  it("holds a shorter prompt (a renderer that drops system messages) to perfect's share, not its token count", () => {
    const short = (reused: number, evaluated: number): CallMeasure => ({ ...calls([reused, 900, null])[0]!, index: 1, evaluated });
    // Direct sent 800 tokens where the perfect prompt has 1,000: reusing 720 of them is perfect's 90%.
    const f = familyFigures('qwen3-coder', [{ recording: 'r', direct: [calls([0, 0, null])[0]!, short(720, 80)], ideal: [calls([0, 0, null])[0]!, short(700, 100)], proxy: calls([0, 0, 0], [900, 900, 0.9]) }]);
    assert.equal(f.direct, 1);
    assert.equal(f.ideal.toFixed(4), (700 / 720).toFixed(4));
    assert.equal(pointsBelow(f), 0);
  });

  it('counts reuse beyond perfect as perfect, and a missing estimate as a failed measurement', () => {
    const f = familyFigures('qwen3-coder', [{ recording: 'r', direct: calls([0, 0, null], [990, 900, null]), ideal: calls([0, 0, null], [900, 900, null]), proxy: calls([0, 0, 0], [900, 900, null]) }]);
    assert.equal(f.direct, 1);
    assert.equal(pointsBelow(f), 0);
    assert.ok(Number.isNaN(f.estimateError));
  });

  it('names the worst recording, and every loss the proxy did not name by the cause the engine saw', () => {
    const lost = (cause: string | null, loss: CallMeasure['loss']): CallMeasure => ({ ...calls([100, 900, 0.1])[0]!, index: 1, proxyCause: cause, loss });
    const f = familyFigures('template', [
      { recording: 'good', direct: calls([0, 0, null], [900, 900, null]), ideal: calls([0, 0, null], [900, 900, null]), proxy: calls([0, 0, 0], [900, 900, 0.9]) },
      { recording: 'bad', direct: calls([0, 0, null], [900, 900, null]), ideal: calls([0, 0, null], [900, 900, null]), proxy: [calls([0, 0, 0])[0]!, lost('slot-evicted', 'main-call-evicted-slot')] },
      { recording: 'worse', direct: calls([0, 0, null], [900, 900, null]), ideal: calls([0, 0, null], [900, 900, null]), proxy: [calls([0, 0, 0])[0]!, lost('history-rewritten', 'billing-header')] },
    ]);
    assert.equal(f.worstRecording.recording, 'bad');
    assert.equal(f.worstRecording.proxy.toFixed(4), (100 / 900).toFixed(4));
    assert.deepEqual(f.unnamed, ['worse call 2: billing-header, the proxy said history-rewritten']);
    assert.equal(namesTrueCause('system-reminder-hoisted', 'inline-system'), true);
    assert.equal(namesTrueCause('side-call-evicted-slot', 'slot-evicted'), false);
    assert.equal(namesTrueCause('unexplained', 'history-rewritten'), false, 'what the engine cannot explain is never counted as named');
  });

  describe('perfect on the engine as configured, and with a slot per conversation', () => {
    // Tokens as numbers: the main agent's system prompt and tools, a subagent's, and what each call adds.
    const main = Array.from({ length: 100 }, (_, i) => 1000 + i);
    const main1 = [...main, 1, 2, 3];
    const main2 = [...main1, 4, 5];
    const session = (subagent: readonly number[]): number[][] => [main1, [...subagent, 7], [...subagent, 7, 8, 9], main2];
    const template = family('template');

    it('on one slot without a prompt cache the main agent returning after a subagent can reuse only what the subagent left in it; more slots or another file keep its prefix', () => {
      const prompts = session(Array.from({ length: 100 }, (_, i) => 5000 + i));
      // The old definition: every conversation keeps a slot of its own.
      assert.deepEqual(perfectReuses(template, prompts), [0, 0, 101, 103]);
      assert.deepEqual(slotReuses(template, prompts, { slots: 1, promptCache: false }), [0, 0, 101, 0]);
      assert.deepEqual(slotReuses(template, prompts, { slots: 2, promptCache: false }), [0, 0, 101, 103]);
      assert.deepEqual(slotReuses(template, prompts, { slots: 1, runners: ['main', 'sub', 'sub', 'main'], promptCache: false }), [0, 0, 101, 103], 'a subagent on another weights file');
    });

    it('on one slot with llama-server\'s prompt cache (Ollama 0.30+) the subagent saves the main conversation to RAM and its next call loads it back', () => {
      const prompts = session(Array.from({ length: 100 }, (_, i) => 5000 + i));
      assert.deepEqual(slotReuses(template, prompts, ONE_SLOT), [0, 0, 101, 103]);
    });

    it('on two slots a subagent that shares over a tenth of its prompt with the main slot takes it, as llama-server picks, and keeping over half of it saves no copy', () => {
      const prompts = session([...main.slice(0, 60), ...Array.from({ length: 100 }, (_, i) => 5000 + i)]);
      for (const promptCache of [false, true]) assert.deepEqual(slotReuses(template, prompts, { slots: 2, promptCache }), [0, 60, 161, 60]);
      assert.equal(perfectReuses(template, prompts)[3], 103);
    });

    it('on one slot a subagent keeping under half of the main slot saves it, and the main agent gets it back', () => {
      // 40 of the main prompt's 103 tokens shared: chosen by similarity (over a tenth of the subagent's prompt), keeping under half.
      const prompts = session([...main.slice(0, 40), ...Array.from({ length: 100 }, (_, i) => 5000 + i)]);
      assert.deepEqual(slotReuses(template, prompts, { slots: 1, promptCache: false }), [0, 40, 141, 40]);
      assert.deepEqual(slotReuses(template, prompts, ONE_SLOT), [0, 40, 141, 103]);
    });

    it('still catches a proxy that reuses less than the slot allows, and keeps the remedy figure visible', () => {
      // The subagent shares the main agent's first 60 tokens (its tools), so one slot still serves 60 of main2's 105.
      const prompts = session([...main.slice(0, 60), ...Array.from({ length: 100 }, (_, i) => 5000 + i)]);
      const onBackend = slotReuses(template, prompts, ONE_SLOT);
      const perConversation = perfectReuses(template, prompts);
      assert.equal(onBackend[3], 60);
      assert.equal(perConversation[3], 103);
      const measures = (reused: readonly number[]): CallMeasure[] => prompts.map((p, i) => ({
        index: i, role: i === 1 || i === 2 ? 'subagent' : 'main', status: 200, error: null, ttftMs: 1, evaluated: p.length - reused[i]!, reused: reused[i]!,
        perfect: onBackend[i]!, perfectPrompt: p.length, perConversation: perConversation[i]!, perConversationPrompt: p.length,
        proxyEstimate: reused[i]! / p.length, proxyCause: null, proxyRemedy: null, loss: null,
      }));
      const direct = measures([0, 0, 0, 0]);
      const sound = familyFigures('template', [{ recording: 'r', direct, ideal: measures(onBackend), proxy: measures(onBackend) }]);
      assert.equal(sound.worstRecording.proxy, 1, 'all the slot allows is perfect on this engine');
      // Against a slot per conversation the same calls reuse 60 + 161 + 60 of 60 + 161 + 103: what more slots would add.
      assert.equal(sound.perConversation.proxy.toFixed(4), ((60 + 161 + 60) / (60 + 161 + 103)).toFixed(4));
      assert.match(familyPerConversationLine(sound), /^ {2}family template with a slot per conversation \(what a remedy could reach\): reuse through proxy 86\.7% of that perfect/);
      // A regression: the proxy loses the shared tools at main2 (say, a rewrite that moved them).
      const regressed = familyFigures('template', [{ recording: 'r', direct, ideal: measures(onBackend), proxy: measures([0, 60, 161, 0]) }]);
      assert.ok(regressed.worstRecording.proxy < 0.99, `caught: ${regressed.worstRecording.proxy}`);
      assert.equal(pointsBelow(regressed), 100, 'below the ideal client on that call by all of it');
      // Perfect never below what a client reused: a client that beat it would be listed.
      assert.deepEqual(sound.perfectBelow, []);
      assert.deepEqual(perfectBelow('r direct', measures([0, 60, 161, 103])), ['r direct call 4: reused 103 and evaluated 2, where perfect reuses 60 and leaves 45']);
      // A client's prompt that holds 8 tokens perfect drops (the billing line), reused, still leaves more to evaluate: no flattery.
      const billing = { ...measures([0, 60, 161, 60])[3]!, reused: 68, evaluated: 105 - 60 };
      assert.deepEqual(perfectBelow('r direct', [billing]), []);
      // qwen3-coder direct drops the reminders perfect delivers: a shorter prompt, a larger share reused and fewer
      // tokens left, but fewer tokens reused than perfect (cc-2.1.332-countdown call 2, BENCH_ENGINE_QUICK=1 npm run bench:engine).
      const dropped = { ...measures([0, 60, 161, 60])[3]!, reused: 14148, evaluated: 131, perfect: 17479, perfectPrompt: 17646 };
      assert.deepEqual(perfectBelow('r direct', [dropped]), []);
      // The same family's subagent: direct reuses the shared billing line (35 tokens against perfect's 27) of a prompt
      // 2,768 tokens shorter than perfect's (cc-2.1.332-subagent call 2 in docs/bench-output/bench-engine.families-full.txt).
      const subagent = { ...measures([0, 60, 161, 60])[3]!, reused: 35, evaluated: 8658, perfect: 27, perfectPrompt: 11461 };
      assert.deepEqual(perfectBelow('r direct', [subagent]), []);
    });
  });

  it("reads the answer's message id, streamed or whole, by which the tap finds the engine's record", () => {
    assert.equal(answerId('event: message_start\ndata: {"type":"message_start","message":{"id":"msg_abc123","type":"message"}}\n\n'), 'msg_abc123');
    assert.equal(answerId('{"id":"msg_x9","type":"message","usage":{"input_tokens":5,"output_tokens":1}}'), 'msg_x9');
    assert.equal(answerId('{"type":"error","error":{"type":"invalid_request_error"}}'), null);
  });
});

describe('replay timing', () => {
  it('sends calls recorded under 50 ms apart together, and waits for the answers before a later one', () => {
    const steps = planSession([{ t: 0 }, { t: 198 }, { t: 943 }, { t: 943.9 }], 50);
    assert.deepEqual(steps.map((s) => s.concurrent), [false, false, false, true]);
    assert.ok(Math.abs(steps[3]!.delayMs - 0.9) < 1e-9);
    assert.equal(steps[1]!.gapMs, 198);
  });

  it('over HTTP: a concurrent call reaches the server before the first is answered, a later one only after', async () => {
    const events: string[] = [];
    const server = http.createServer((req, res) => {
      const id = String(req.headers['x-id']);
      events.push(`arrive ${id}`);
      req.resume();
      setTimeout(() => {
        events.push(`answer ${id}`);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      }, id === 'a' ? 150 : 10);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const call = (t: number, id: string): { t: number; path: string; headers: Record<string, string>; body: string } => ({ t, path: '/v1/messages', headers: { 'x-id': id }, body: '{}' });
    const waited: number[] = [];
    try {
      const results = await replaySession(url, [call(0, 'a'), call(1, 'b'), call(400, 'c')], { concurrentMs: 50 }, async (i) => { waited.push(i); });
      assert.deepEqual(results.map((r) => r.status), [200, 200, 200]);
    } finally {
      server.close();
    }
    assert.deepEqual(events, ['arrive a', 'arrive b', 'answer b', 'answer a', 'arrive c', 'answer c']);
    assert.deepEqual(waited, [0, 2], 'the keep-alive hook runs only while the engine is idle');
  });
});

describe('loss causes from the engine record', () => {
  const served = (call: number, conversation: string, prompt: string, extra: Partial<Extract<EngineEvent, { kind: 'served' }>> = {}): EngineEvent => ({
    kind: 'served', call, conversation, role: conversation === 'side' ? 'side' : 'main', runner: 'm', slot: 0, prompt, messagesAt: prompt.indexOf('USER'), inlineSystem: false, ...extra,
  });
  const billing = (cch: string): string => `<s>x-anthropic-billing-header: cc_version=2.1.139.8cd; cch=${cch};You are Claude.</s>USER hi`;

  it('names what last held the slot: another conversation, an unload, or nothing', () => {
    assert.equal(lossCause([served(0, 'main', 'A USER'), served(1, 'side', 'T USER'), served(2, 'main', 'A USER more')], 2), 'side-call-evicted-slot');
    assert.equal(lossCause([served(0, 'main', 'A USER'), { kind: 'unloaded', runner: 'm' }, served(1, 'main', 'A USER more')], 2), 'keep-alive-expired');
    // Another runner's unload, or another slot's call, is not this slot's history.
    assert.equal(lossCause([served(0, 'main', 'A USER'), { kind: 'unloaded', runner: 'x' }, served(1, 'side', 'T', { slot: 1 }), served(2, 'main', 'A USER more')], 3), 'unexplained');
    assert.equal(lossCause([served(0, 'side', 'T', { runner: 'x' }), served(1, 'main', 'A USER')], 1), 'empty-slot');
  });

  it('within one conversation, names the place its prompt first differs', () => {
    assert.equal(lossCause([served(0, 'main', billing('f31a8')), served(1, 'main', billing('74e44'))], 1), 'billing-header');
    const hoisted = (reminder: string): EngineEvent => served(1, 'main', `<s>You are Claude.${reminder}</s>USER hi`, { inlineSystem: true });
    assert.equal(lossCause([hoisted(''), hoisted('\n\nreminder')], 1), 'system-reminder-hoisted');
    // The same change with no role:system message in either body is not the template's doing.
    assert.equal(lossCause([served(0, 'main', '<s>You are Claude.</s>USER hi'), served(1, 'main', '<s>You are Claude!</s>USER hi')], 1), 'unexplained');
  });
});

describe('bench targets', () => {
  const target = (value: number, limit: number): Target => ({ name: 'speedup', value, limit, unit: '×', lowerIsBetter: false, enforced: true, variable: 'BENCH_X' });

  it('takes a limit from its variable, and refuses one that is not a number', () => {
    assert.equal(limitFromEnv('BENCH_X', 2, {}), 2);
    assert.equal(limitFromEnv('BENCH_X', 2, { BENCH_X: '1000' }), 1000);
    assert.throws(() => limitFromEnv('BENCH_X', 2, { BENCH_X: 'fast' }), /BENCH_X must be a number/);
  });

  it('fails on a missed target or any problem, naming the variable', () => {
    assert.deepEqual(verdict([target(5, 2)], []).failures, []);
    assert.deepEqual(verdict([target(5, 1000)], []).failures, ['missed target speedup: 5.000 ×, needs ≥ 1000 × (set by BENCH_X)']);
    assert.deepEqual(verdict([target(5, 2)], ['call 2: HTTP 500']).failures, ['failed: call 2: HTTP 500']);
  });

  it('prints a guide it cannot judge, without failing the run on it', () => {
    const guide = { ...target(5, 1000), enforced: false };
    const { lines, failures } = verdict([guide], []);
    assert.deepEqual(failures, []);
    assert.match(lines[0]!, /^MISS {2}guide {3}speedup/);
  });

  it('refuses a spread with a failed measurement in it instead of skipping it', () => {
    assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3 });
    assert.throws(() => spread([1, Number.NaN, 2]), /a measurement is missing/);
  });

  it("holds what the proxy adds over the ideal client on each turn's quickest run: a cost paid every run shows, a slow spell does not", () => {
    // Two turns, three runs each, in seconds: the proxy pays 4 ms on every run.
    const ideal = [[0.020, 0.021, 0.020], [0.030, 0.030, 0.031]];
    const proxy = [[0.024, 0.025, 0.024], [0.034, 0.035, 0.034]];
    assert.ok(Math.abs(bestRunGap(ideal, proxy) - 0.004) < 1e-9);
    // Another tenant slows one run of either route by a quarter second: the gap is the same.
    const noisy = [[0.024, 0.274, 0.024], [0.034, 0.035, 0.284]];
    assert.ok(Math.abs(bestRunGap([[0.270, 0.021, 0.020], [0.030, 0.030, 0.031]], noisy) - 0.004) < 1e-9);
    // A ratio of medians reads the same machine as a proxy that costs a fifth of the turn.
    assert.ok(median([0.270, 0.021, 0.020]) / median([0.024, 0.274, 0.024]) < 0.9);
    // A cost the proxy pays on every run is never hidden, however noisy the others.
    assert.ok(bestRunGap(ideal, proxy.map((runs) => runs.map((t) => t + 0.03))) > 0.03);
    assert.throws(() => bestRunGap(ideal, [[0.02, Number.NaN, 0.02], [0.03, 0.03, 0.03]]), /a measurement is missing/);
  });

  it('gives the gap room for how far the next quickest run follows the quickest: none on a quiet run, more under load', () => {
    const quiet = [[0.020, 0.021, 0.020], [0.030, 0.030, 0.031]];
    assert.ok(Math.abs(bestRunNoise(quiet, [[0.024, 0.025, 0.024], [0.034, 0.035, 0.034]])) < 1e-9);
    // Under load: the ideal client's turns at 0.73, 0.78, 1.09 s; the proxy's at 0.54, 0.68, 0.79 s.
    const loaded = bestRunNoise([[0.73, 0.78, 1.09], [0.74, 0.80, 0.75]], [[0.54, 0.68, 0.79], [0.80, 0.66, 0.70]]);
    assert.ok(Math.abs(loaded - 0.09) < 1e-9, `${loaded}`);
    assert.equal(bestRunNoise([[0.02]], [[0.03]]), 0, 'one run: nothing to read the noise from');
  });
});

const skip = needsEngine(engineUnavailable());

function runBench(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = fileURLToPath(new URL(`../bench/${script}`, import.meta.url));
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { env: { ...process.env, BENCH_RECORD: '', ...env }, timeout: 300_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

describe('a bench whose target is missed exits 1 and names it', { skip }, () => {
  it('bench:engine, quick, with BENCH_ENGINE_MIN_SPEEDUP=1000', async () => {
    // One short recording for the per-family lines keeps this under a minute; the family code still runs on every family.
    const { code, stdout, stderr } = await runBench('engine-bench.js', {
      BENCH_ENGINE_QUICK: '1', BENCH_ENGINE_RUNS: '1', BENCH_ENGINE_WARM_START: '0', BENCH_ENGINE_MIN_SPEEDUP: '1000', BENCH_ENGINE_FAMILY_RECORDINGS: 'cc-2.1.139-bare-resume',
    });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /missed target speedup over direct, cc-2\.1\.139-bare-resume: [\d.]+ ×, needs ≥ 1000 × \(set by BENCH_ENGINE_MIN_SPEEDUP\)/);
    const last = stdout.trimEnd().split('\n').at(-1)!;
    assert.match(last, /^engine: resumed-turn first token direct [\d.]+ s \[[\d.]+–[\d.]+\], ideal client [\d.]+ s, through proxy [\d.]+ s \[[\d.]+–[\d.]+\], speedup [\d.]+x over direct, [\d.]+x over ideal client; token reuse through proxy 100\.0% \(default settings\); estimate error [\d.]+ points; runs 1$/);
    assert.match(stdout, /loss at call 2 via direct: billing-header/);
    for (const f of ['template', 'qwen3-coder', 'qwen3.5']) {
      assert.match(stdout, new RegExp(`^family ${f.replace('.', '\\.')}: reuse through proxy [\\d.]+% of perfect, direct [\\d.]+%, ideal client [\\d.]+%, worst call vs direct [+-][\\d.]+ points; estimate error [\\d.]+ points$`, 'm'));
    }
  });

  it('bench:prediction, quick, with BENCH_PREDICTION_MAX_MEDIAN_ERROR=-1', async () => {
    const { code, stdout, stderr } = await runBench('prefill-prediction.js', {
      BENCH_PREDICTION_QUICK: '1', BENCH_PREDICTION_RECORDINGS: 'cc-2.1.139-bare-resume', BENCH_PREDICTION_MAX_MEDIAN_ERROR: '-1',
    });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /missed target median \|error\| of judged calls: [\d.]+ %, needs ≤ -1 % \(set by BENCH_PREDICTION_MAX_MEDIAN_ERROR\)/);
    assert.match(stdout, /prediction: median \|error\| [\d.]+%, worst [+-]?\d+% \(cc-2\.1\.139-bare-resume call 3\), over 1 uncached calls/);
  });
});
