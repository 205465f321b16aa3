// Our own GGUF models: llama architecture, seeded random weights, the byte +
// word-piece vocabulary of vocab.ts. No weights can be downloaded here, and
// the engine's speed depends only on the shapes, so random weights measure
// what a user feels: prefill time against tokens reused.
// Written on first use to a cache folder outside git and checked by loading.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { constantF32, randomQ8_0, writeGguf, xorshift32, type GgufValue, type TensorSpec } from './gguf.js';
import { loadLlama } from './llama.js';
import { buildVocabulary } from './vocab.js';

export interface ModelShape {
  readonly embedding: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly feedForward: number;
  readonly contextLength: number;
  readonly seed: number;
}

/**
 * `bench`: a 3,000-token prefill takes several seconds on a 2-core CPU, as a
 * 30B model's does on a laptop (6–9 s cold with these shapes, on 2 threads).
 * `test`: tiny, so tests stay fast; same vocabulary, same token counts.
 */
export const MODEL_SHAPES = {
  bench: { embedding: 1024, layers: 12, heads: 16, kvHeads: 4, feedForward: 2816, contextLength: 65536, seed: 0x11ca },
  test: { embedding: 64, layers: 2, heads: 4, kvHeads: 2, feedForward: 128, contextLength: 65536, seed: 0x7e57 },
} as const satisfies Record<string, ModelShape>;

export type ModelSize = keyof typeof MODEL_SHAPES;

export function isModelSize(s: string): s is ModelSize {
  return Object.hasOwn(MODEL_SHAPES, s);
}

/** `LLM_CACHE_PROXY_MODELS` overrides; otherwise the user's cache folder. */
export function modelsDir(): string {
  return process.env['LLM_CACHE_PROXY_MODELS'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'llm-cache-proxy', 'models');
}

/** Weight std of the random matrices; small enough that activations stay finite. */
const WEIGHT_STD = 0.02;
/** Uniform int8 in [-128, 127] has std 73.9; the Q8_0 scale turns that into WEIGHT_STD. */
const Q8_SCALE = WEIGHT_STD / 73.9;

/** The tokenizer's GGUF keys (vocab.ts), the same in every generated file whatever its architecture. */
export function tokenizerMetadata(): [string, GgufValue][] {
  const vocab = buildVocabulary();
  return [
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'strings', value: vocab.tokens }],
    ['tokenizer.ggml.scores', { type: 'f32s', value: vocab.scores }],
    ['tokenizer.ggml.token_type', { type: 'i32s', value: vocab.types }],
    ['tokenizer.ggml.unknown_token_id', { type: 'u32', value: 0 }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: 1 }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 2 }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
    ['tokenizer.ggml.add_space_prefix', { type: 'bool', value: false }],
  ];
}

function metadata(size: ModelSize, shape: ModelShape, copy: number): Map<string, GgufValue> {
  const headSize = shape.embedding / shape.heads;
  return new Map<string, GgufValue>([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: `llm-cache-proxy-${stemOf(size, copy)}` }],
    ['general.alignment', { type: 'u32', value: 32 }],
    ['llama.context_length', { type: 'u32', value: shape.contextLength }],
    ['llama.embedding_length', { type: 'u32', value: shape.embedding }],
    ['llama.block_count', { type: 'u32', value: shape.layers }],
    ['llama.feed_forward_length', { type: 'u32', value: shape.feedForward }],
    ['llama.attention.head_count', { type: 'u32', value: shape.heads }],
    ['llama.attention.head_count_kv', { type: 'u32', value: shape.kvHeads }],
    ['llama.rope.dimension_count', { type: 'u32', value: headSize }],
    ['llama.rope.freq_base', { type: 'f32', value: 10000 }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-5 }],
    ...tokenizerMetadata(),
  ]);
}

/** Makers of seeded random weight matrices and norms of one file, in the order they are called. */
export function weightMakers(seed: number): {
  matrix: (name: string, cols: number, rows: number) => TensorSpec;
  constant: (name: string, dims: readonly number[], value: number) => TensorSpec;
  embedding: (cols: number, rows: number) => TensorSpec;
} {
  const next = xorshift32(seed);
  return {
    matrix: (name, cols, rows) => ({ name, dims: [cols, rows], type: 'q8_0', fill: randomQ8_0(next, Q8_SCALE) }),
    constant: (name, dims, value) => ({ name, dims, type: 'f32', fill: constantF32(value) }),
    // Embeddings of std 1, so the first RMS norm sees unit activations.
    embedding: (cols, rows) => ({ name: 'token_embd.weight', dims: [cols, rows], type: 'q8_0', fill: randomQ8_0(next, 1 / 73.9) }),
  };
}

/** Tensor names and shapes of llama.cpp's LLM_ARCH_LLAMA; `output.weight` is left out (tied to the embedding). */
function tensors(shape: ModelShape, vocabSize: number): TensorSpec[] {
  const { matrix, constant, embedding } = weightMakers(shape.seed);
  const kv = (shape.embedding / shape.heads) * shape.kvHeads;
  const norm = (name: string): TensorSpec => constant(name, [shape.embedding], 1);
  const out: TensorSpec[] = [embedding(shape.embedding, vocabSize), norm('output_norm.weight')];
  for (let i = 0; i < shape.layers; i++) {
    out.push(
      norm(`blk.${i}.attn_norm.weight`),
      matrix(`blk.${i}.attn_q.weight`, shape.embedding, shape.embedding),
      matrix(`blk.${i}.attn_k.weight`, shape.embedding, kv),
      matrix(`blk.${i}.attn_v.weight`, shape.embedding, kv),
      matrix(`blk.${i}.attn_output.weight`, shape.embedding, shape.embedding),
      norm(`blk.${i}.ffn_norm.weight`),
      matrix(`blk.${i}.ffn_gate.weight`, shape.embedding, shape.feedForward),
      matrix(`blk.${i}.ffn_down.weight`, shape.feedForward, shape.embedding),
      matrix(`blk.${i}.ffn_up.weight`, shape.embedding, shape.feedForward),
    );
  }
  return out;
}

/** The shape of copy `copy` of a size: another weights file (another seed), same shape and vocabulary. */
function shapeOf(size: ModelSize, copy: number): ModelShape {
  const shape = MODEL_SHAPES[size];
  return copy === 0 ? shape : { ...shape, seed: shape.seed + copy };
}

/**
 * File name carries a digest of everything that shapes the file, so a changed vocabulary or shape writes a new one.
 * `stem` names the file (size, copy > 0: another file of the same shape, other weights; what a second model costs).
 */
export function generatedFileName(stem: string, shape: object): string {
  // Token types count too: a token that turns USER_DEFINED keeps its text but tokenizes otherwise.
  const { tokens, types } = buildVocabulary();
  const digest = createHash('sha256').update(JSON.stringify({ shape, vocab: tokens, types: Array.from(types), format: 1 })).digest('hex').slice(0, 12);
  return `llm-cache-proxy-${stem}-${digest}.gguf`;
}

function stemOf(size: ModelSize, copy: number): string {
  return `${size}${copy === 0 ? '' : `-${copy}`}`;
}

export function modelFileName(size: ModelSize, copy = 0): string {
  return generatedFileName(stemOf(size, copy), shapeOf(size, copy));
}

/** Writes a GGUF file (atomically) and checks it by loading it with llama.cpp and tokenizing a line. */
export async function writeChecked(path: string, meta: ReadonlyMap<string, GgufValue>, specs: (vocabSize: number) => TensorSpec[]): Promise<void> {
  const tokens = meta.get('tokenizer.ggml.tokens') as { value: readonly string[] };
  const partial = `${path}.${process.pid}.partial`;
  try {
    writeGguf(partial, meta, specs(tokens.value.length));
    const llama = await loadLlama();
    const model = await llama.loadModel({ modelPath: partial });
    try {
      const sample = 'Hello, world: {"type": "text"}\n';
      if (model.detokenize(model.tokenize(sample)) !== sample) throw new Error('the written model does not round-trip text through its tokenizer');
    } finally {
      await model.dispose();
    }
    renameSync(partial, path);
  } finally {
    rmSync(partial, { force: true });
  }
}

/** Path of generated file `fileName` in the cache folder, written by `write` first if it is not there yet. */
export async function ensureGenerated(fileName: string, write: (path: string) => Promise<void>): Promise<string> {
  const dir = modelsDir();
  const path = join(dir, fileName);
  if (existsSync(path) && statSync(path).size > 0) return path;
  mkdirSync(dir, { recursive: true });
  await write(path);
  return path;
}

/** Path of the model of this size (and copy), written first if it is not in the cache folder yet. */
export function ensureModel(size: ModelSize, copy = 0): Promise<string> {
  const shape = shapeOf(size, copy);
  return ensureGenerated(modelFileName(size, copy), (path) => writeChecked(path, metadata(size, shape, copy), (vocabSize) => tensors(shape, vocabSize)));
}
