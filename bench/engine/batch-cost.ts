// What llama.cpp's CPU build takes to read n new tokens at the end of a long
// cached prompt, as the engine's runners set it up (flash attention, batches
// of 512, two threads). The warm-start figures compare a new session's first
// call (a few dozen new tokens after a warm-up) with a resumed turn (a tool
// result of a hundred or more): on this build a tail of fewer than 64 tokens
// misses flash attention's tiled path (GGML_FA_TILE_Q) and is not cheaper,
// and this prints by how much, so that comparison is read for what it is.
//
//   npm run build && node dist/bench/engine/batch-cost.js [test|bench] [new-token counts...]
//
// Each count is measured five times, interleaved, on one sequence holding
// 17,381 cached tokens (the prefix two recorded 2.1.332 sessions share), with
// the tail erased between measurements as the engine erases a slot's tail.
import { loadLlama, type Token } from './llama.js';
import { ensureModel, isModelSize } from './model.js';
import { PROMPT_BATCH } from './slots.js';
import { spread } from '../stats.js';

const CACHED = 17_381;
const RUNS = 5;

const [sizeArg = 'test', ...countArgs] = process.argv.slice(2);
if (!isModelSize(sizeArg)) throw new Error(`batch-cost: ${sizeArg} is not a model size`);
const counts = countArgs.length > 0 ? countArgs.map(Number) : [16, 31, 63, 64, 144];

const llama = await loadLlama();
const model = await llama.loadModel({ modelPath: await ensureModel(sizeArg) });
const context = await model.createContext({ contextSize: 32_768, sequences: 1, threads: 2, batchSize: PROMPT_BATCH, flashAttention: true });
const sequence = context.getSequence();
// Distinct text, so no count's tail repeats another's.
const pool: Token[] = model.tokenize(Array.from({ length: 40_000 }, (_, i) => `w${(i * 7919) % 10_007}`).join(' '));
if (pool.length < CACHED + Math.max(...counts)) throw new Error('batch-cost: the text gave too few tokens');

await sequence.evaluateWithoutGeneratingNewTokens(pool.slice(0, CACHED));
const times = new Map<number, number[]>(counts.map((n) => [n, []]));
for (let run = 0; run < RUNS; run++) {
  for (const n of counts) {
    await sequence.eraseContextTokenRanges([{ start: CACHED, end: sequence.nextTokenIndex }]);
    const started = performance.now();
    await sequence.evaluateWithoutGeneratingNewTokens(pool.slice(CACHED, CACHED + n));
    times.get(n)!.push(performance.now() - started);
  }
}
for (const n of counts) {
  const s = spread(times.get(n)!);
  console.log(`batch cost, ${sizeArg} model: ${String(n).padStart(4)} new tokens after ${CACHED} cached: ${s.median.toFixed(0)} ms [${s.min.toFixed(0)}–${s.max.toFixed(0)}] (${RUNS} runs)`);
}
await context.dispose();
await model.dispose();
