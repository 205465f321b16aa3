// Our own hybrid GGUF models, in llama.cpp's `qwen35` architecture (Qwen 3.5
// and 3.6 dense): gated delta-net (recurrent) layers with one attention layer
// in every `full_attention_interval`, seeded random weights, the vocabulary
// of vocab.ts. Keys and tensor shapes follow llama.cpp's
// src/models/qwen35.cpp (load_arch_hparams, load_arch_tensors) at the release
// node-llama-cpp 3.22.1 bundles. Its cache behaves as a real Qwen 3.5's: the
// recurrent state cannot be cut back to an arbitrary position, so reuse past
// a divergence needs a saved state (a checkpoint).
import type { GgufValue, TensorSpec } from './gguf.js';
import { ensureGenerated, generatedFileName, tokenizerMetadata, weightMakers, writeChecked, type ModelSize } from './model.js';

export interface HybridShape {
  readonly embedding: number;
  /** Layers; every `attentionInterval`-th is an attention layer, the rest recurrent. */
  readonly layers: number;
  readonly attentionInterval: number;
  /** Attention layers: query heads (the query projection also yields a gate per head), key/value heads, head size. */
  readonly heads: number;
  readonly kvHeads: number;
  readonly headSize: number;
  /** M-RoPE sections (text uses the first only in effect); they sum to half the rotated dimensions. */
  readonly ropeSections: readonly [number, number, number, number];
  readonly feedForward: number;
  /** Recurrent layers: conv kernel, key/value head size (`ssm.state_size`), key heads (`group_count`), value heads (`time_step_rank`). */
  readonly convKernel: number;
  readonly stateSize: number;
  readonly keyHeads: number;
  readonly valueHeads: number;
  readonly contextLength: number;
  readonly seed: number;
}

/**
 * The hybrid counterparts of model.ts's sizes: the same embedding width,
 * vocabulary and feed-forward, three recurrent layers to one attention layer
 * as Qwen 3.5 has.
 */
export const HYBRID_SHAPES = {
  bench: {
    embedding: 1024, layers: 12, attentionInterval: 4, heads: 16, kvHeads: 4, headSize: 64, ropeSections: [16, 8, 8, 0], feedForward: 2816,
    convKernel: 4, stateSize: 64, keyHeads: 8, valueHeads: 16, contextLength: 65536, seed: 0x35b0,
  },
  test: {
    embedding: 64, layers: 4, attentionInterval: 4, heads: 4, kvHeads: 2, headSize: 16, ropeSections: [4, 2, 2, 0], feedForward: 128,
    convKernel: 4, stateSize: 16, keyHeads: 2, valueHeads: 4, contextLength: 65536, seed: 0x35e7,
  },
} as const satisfies Record<ModelSize, HybridShape>;

const ARCH = 'qwen35';

function shapeOf(size: ModelSize, copy: number): HybridShape {
  const shape = HYBRID_SHAPES[size];
  return copy === 0 ? shape : { ...shape, seed: shape.seed + copy };
}

function stemOf(size: ModelSize, copy: number): string {
  return `${size}-hybrid${copy === 0 ? '' : `-${copy}`}`;
}

function metadata(size: ModelSize, copy: number, shape: HybridShape): Map<string, GgufValue> {
  const u32 = (value: number): GgufValue => ({ type: 'u32', value });
  return new Map<string, GgufValue>([
    ['general.architecture', { type: 'string', value: ARCH }],
    ['general.name', { type: 'string', value: `llm-cache-proxy-${stemOf(size, copy)}` }],
    ['general.alignment', u32(32)],
    [`${ARCH}.context_length`, u32(shape.contextLength)],
    [`${ARCH}.embedding_length`, u32(shape.embedding)],
    [`${ARCH}.block_count`, u32(shape.layers)],
    [`${ARCH}.feed_forward_length`, u32(shape.feedForward)],
    [`${ARCH}.attention.head_count`, u32(shape.heads)],
    [`${ARCH}.attention.head_count_kv`, u32(shape.kvHeads)],
    [`${ARCH}.attention.key_length`, u32(shape.headSize)],
    [`${ARCH}.attention.value_length`, u32(shape.headSize)],
    [`${ARCH}.attention.layer_norm_rms_epsilon`, { type: 'f32', value: 1e-6 }],
    [`${ARCH}.rope.dimension_count`, u32(shape.headSize)],
    [`${ARCH}.rope.dimension_sections`, { type: 'i32s', value: Int32Array.from(shape.ropeSections) }],
    [`${ARCH}.rope.freq_base`, { type: 'f32', value: 10_000_000 }],
    [`${ARCH}.full_attention_interval`, u32(shape.attentionInterval)],
    [`${ARCH}.ssm.conv_kernel`, u32(shape.convKernel)],
    [`${ARCH}.ssm.state_size`, u32(shape.stateSize)],
    [`${ARCH}.ssm.group_count`, u32(shape.keyHeads)],
    [`${ARCH}.ssm.time_step_rank`, u32(shape.valueHeads)],
    [`${ARCH}.ssm.inner_size`, u32(shape.stateSize * shape.valueHeads)],
    ...tokenizerMetadata(),
  ]);
}

/** Whether layer `i` is an attention layer (llama.cpp: recurrent unless (i + 1) % interval == 0). */
export function isAttentionLayer(shape: HybridShape, i: number): boolean {
  return (i + 1) % shape.attentionInterval === 0;
}

/** Tensors llama.cpp's qwen35 loader requires; `output.weight` is left out (tied to the embedding). */
function tensors(shape: HybridShape, vocabSize: number): TensorSpec[] {
  const { matrix, constant, embedding } = weightMakers(shape.seed);
  const n = shape.embedding;
  const keyDim = shape.stateSize * shape.keyHeads;
  const valueDim = shape.stateSize * shape.valueHeads;
  const out: TensorSpec[] = [embedding(n, vocabSize), constant('output_norm.weight', [n], 1)];
  for (let i = 0; i < shape.layers; i++) {
    const b = `blk.${i}`;
    out.push(constant(`${b}.attn_norm.weight`, [n], 1), constant(`${b}.post_attention_norm.weight`, [n], 1));
    if (isAttentionLayer(shape, i)) {
      const q = shape.headSize * shape.heads;
      const kv = shape.headSize * shape.kvHeads;
      out.push(
        matrix(`${b}.attn_q.weight`, n, q * 2),
        matrix(`${b}.attn_k.weight`, n, kv),
        matrix(`${b}.attn_v.weight`, n, kv),
        matrix(`${b}.attn_output.weight`, q, n),
        constant(`${b}.attn_q_norm.weight`, [shape.headSize], 1),
        constant(`${b}.attn_k_norm.weight`, [shape.headSize], 1),
      );
    } else {
      out.push(
        matrix(`${b}.attn_qkv.weight`, n, keyDim * 2 + valueDim),
        matrix(`${b}.attn_gate.weight`, n, valueDim),
        // A short averaging filter; random values would do as well, a constant keeps the file simple.
        constant(`${b}.ssm_conv1d.weight`, [shape.convKernel, keyDim * 2 + valueDim], 1 / shape.convKernel),
        constant(`${b}.ssm_dt.bias`, [shape.valueHeads], 0),
        // −exp(A_log) of a trained model: each value head's state decays by exp(−softplus(alpha)) a token.
        constant(`${b}.ssm_a`, [shape.valueHeads], -1),
        matrix(`${b}.ssm_beta.weight`, n, shape.valueHeads),
        matrix(`${b}.ssm_alpha.weight`, n, shape.valueHeads),
        constant(`${b}.ssm_norm.weight`, [shape.stateSize], 1),
        matrix(`${b}.ssm_out.weight`, valueDim, n),
      );
    }
    out.push(
      matrix(`${b}.ffn_gate.weight`, n, shape.feedForward),
      matrix(`${b}.ffn_down.weight`, shape.feedForward, n),
      matrix(`${b}.ffn_up.weight`, n, shape.feedForward),
    );
  }
  return out;
}

export function hybridModelFileName(size: ModelSize, copy = 0): string {
  return generatedFileName(stemOf(size, copy), { arch: ARCH, ...shapeOf(size, copy) });
}

/** Path of the hybrid model of this size (and copy), written first if it is not in the cache folder yet. */
export function ensureHybridModel(size: ModelSize, copy = 0): Promise<string> {
  const shape = shapeOf(size, copy);
  return ensureGenerated(hybridModelFileName(size, copy), (path) => writeChecked(path, metadata(size, copy, shape), (vocabSize) => tensors(shape, vocabSize)));
}
