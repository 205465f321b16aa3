// How much dearer a prefilled token gets per token of context it attends to,
// read from a model's shape. A token's fixed cost is its weight matrices (one
// multiply-add per weight of a layer); attention adds, per earlier token, one
// dot product with its key and one weighted sum of its value (heads × key
// width + heads × value width multiply-adds). So
//   ms per token = base · (1 + contextCost · context)
// with contextCost = attention width / weights per layer. This is what lets the
// first long prompt of a session be predicted from a rate measured on short
// ones (docs/in-flight.md). It counts arithmetic only, and engines run the two
// parts at different efficiencies: on a CPU without flash attention attention
// is slower than its share, while on a toy model per-token overheads outweigh
// the weights. So it is a starting estimate, which the calls' own fit replaces
// once their lengths spread.
import { isObject, positive, str, type Json } from './json-fields.js';

/** A number, or the largest of a per-layer array (GGUF allows both for some keys). */
function perLayer(value: unknown): number | undefined {
  if (Array.isArray(value)) {
    const numbers = value.map(positive).filter((n): n is number => n !== undefined);
    return numbers.length > 0 ? Math.max(...numbers) : undefined;
  }
  return positive(value);
}

/**
 * From GGUF metadata flattened to dotted keys, as Ollama's `POST /api/show`
 * gives it in `model_info` (`llama.embedding_length`, …). Dense and
 * mixture-of-experts layers alike (only the experts a token is routed to count).
 * Null when the keys it needs are missing.
 */
export function contextCostFromModelInfo(modelInfo: unknown): number | null {
  if (!isObject(modelInfo)) return null;
  const arch = str(modelInfo['general.architecture']);
  if (arch === undefined) return null;
  const key = (name: string): number | undefined => perLayer(modelInfo[`${arch}.${name}`]);
  const width = key('embedding_length');
  const heads = key('attention.head_count');
  if (width === undefined || heads === undefined) return null;
  const kvHeads = key('attention.head_count_kv') ?? heads;
  const keyWidth = key('attention.key_length') ?? width / heads;
  const valueWidth = key('attention.value_length') ?? keyWidth;
  // The query, key, value and output projections.
  const attention = width * heads * keyWidth + width * kvHeads * keyWidth + width * kvHeads * valueWidth + heads * valueWidth * width;
  const routed = key('expert_used_count');
  const expertWidth = key('expert_feed_forward_length');
  // Some mixtures also run shared experts for every token.
  const sharedExpert = key('expert_shared_feed_forward_length');
  const sharedWidth = sharedExpert === undefined ? 0 : sharedExpert * (key('expert_shared_count') ?? 1);
  // Gated feed-forward (gate, up, down): three matrices of width × hidden.
  const hidden = routed !== undefined && expertWidth !== undefined ? routed * expertWidth + sharedWidth : key('feed_forward_length');
  if (hidden === undefined) return null;
  const weightsPerLayer = attention + 3 * width * hidden;
  return (heads * keyWidth + heads * valueWidth) / weightsPerLayer;
}

/**
 * From the embedding width alone (llama-server's `/v1/models` meta.n_embd):
 * a classic layer holds about 12 · width² weights (4 for attention, 8 for a
 * 4×-wide feed-forward), and attention reads 2 · width per earlier token.
 */
export function contextCostFromWidth(width: unknown): number | null {
  const w = positive(width);
  return w === undefined ? null : 1 / (6 * w);
}

/** `POST /api/show`'s answer → its model_info, or undefined. */
export function modelInfoOf(show: unknown): Json | undefined {
  return isObject(show) && isObject(show.model_info) ? show.model_info : undefined;
}
