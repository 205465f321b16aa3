// `node dist/bench/engine/family-reuse.js [recording…]`: replays recorded
// sessions straight into the engine (no proxy) once per model family and
// prints, per call, the prompt tokens the engine truly evaluated beside what a
// perfect stabiliser would leave to evaluate on that family, on that one-slot
// engine (families.ts perfectCalls). Token counts only: they are deterministic, unlike timings.
// FAMILY_REUSE_MODEL=bench for the big model; FAMILY_REUSE_HYBRID=1 replays
// only the hybrid families, on the generated hybrid model (real checkpoints)
// instead of the dense stand-in. FAMILY_REUSE_CHECKPOINTS=go-engine runs the
// hybrid family on Ollama 0.17.1–0.29's checkpoint ring instead of llama-server's.
import { loadRecording, RECORDING_NAMES } from '../../test/support/recordings.js';
import { CHECKPOINT_ENGINES, FAMILIES, perfectCalls, withCheckpoints, type CheckpointEngine, type Family } from './families.js';
import { engineUnavailable } from './llama.js';
import { isModelSize } from './model.js';
import { cacheRamMibOf, startEngine } from './open.js';
import { replay, type ReplayCall } from './replay.js';

interface Row {
  readonly promptTokens: number;
  readonly reused: number;
  /** What a perfect stabiliser would leave to evaluate, and how it would send the body. */
  readonly perfectEvaluated: number;
  readonly strategy: string;
}

async function replayFamily(calls: readonly ReplayCall[], f: Family, size: 'test' | 'bench', hybrid: boolean, checkpoints: CheckpointEngine): Promise<Row[]> {
  const longest = Math.max(...calls.map((c) => c.body.length));
  const engine = await startEngine({ size, slots: 1, family: f.name, hybrid, checkpoints, contextSize: Math.ceil((longest / 2 + 1024) / 1024) * 1024 });
  try {
    const perfect = perfectCalls(f, (text) => engine.tokenize(text), calls.map((c) => c.body), { slots: 1, promptCache: cacheRamMibOf({ checkpoints }) > 0 });
    const rows: Row[] = [];
    for (const [i, call] of calls.entries()) {
      const before = engine.calls.length;
      const result = await replay(engine.url, call);
      if (result.status !== 200) throw new Error(`call ${i}: ${result.status} ${result.error ?? ''}`);
      const truth = engine.calls[before]!;
      // The engine has one slot and serves every recorded name from one file: perfect on that backend.
      const best = perfect[i]!.onBackend;
      rows.push({ promptTokens: truth.promptTokens, reused: truth.reused, perfectEvaluated: best.promptTokens - best.reused, strategy: best.strategy });
    }
    return rows;
  } finally {
    await engine.close();
  }
}

async function main(): Promise<void> {
  const why = engineUnavailable();
  if (why !== null) throw new Error(`engine: ${why}`);
  const size = process.env['FAMILY_REUSE_MODEL'] ?? 'test';
  if (!isModelSize(size)) throw new Error('FAMILY_REUSE_MODEL must be test or bench');
  const hybrid = process.env['FAMILY_REUSE_HYBRID'] === '1';
  const rule = process.env['FAMILY_REUSE_CHECKPOINTS'] ?? 'llama-server';
  const checkpoints = CHECKPOINT_ENGINES.find((e) => e === rule);
  if (checkpoints === undefined) throw new Error(`FAMILY_REUSE_CHECKPOINTS must be ${CHECKPOINT_ENGINES.join(' or ')}`);
  const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : [...RECORDING_NAMES];
  for (const name of names) {
    const calls = loadRecording(name).calls;
    for (const each of FAMILIES.filter((fam) => !hybrid || fam.checkpoints !== null)) {
      // The perfect figures follow the engine's rule.
      const f = withCheckpoints(each, checkpoints);
      const rows = await replayFamily(calls, f, size, hybrid, checkpoints);
      const sum = (pick: (r: Row) => number): number => rows.reduce((n, r) => n + pick(r), 0);
      const perCall = rows.map((r) => `${r.promptTokens - r.reused}/${r.perfectEvaluated}(${r.strategy})`).join(' ');
      console.log(`${name} ${f.name}${hybrid ? ' (hybrid model)' : ''}: direct evaluated ${sum((r) => r.promptTokens - r.reused)} of ${sum((r) => r.promptTokens)} prompt tokens, perfect ${sum((r) => r.perfectEvaluated)}; per call direct/perfect evaluated: ${perCall}`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
