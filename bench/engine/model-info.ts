// What Ollama's `POST /api/show` answers as `model_info`: the model file's
// GGUF keys, flattened to their dotted names (server/routes.go GetModelInfo →
// getModelData): arrays over 5 entries emptied unless verbose, and
// general.name and tokenizer.chat_template left out.
type Metadata = Readonly<Record<string, unknown>>;

const ELIDED_ARRAY_OVER = 5;
const LEFT_OUT = new Set(['general.name', 'tokenizer.chat_template']);

function isPlainObject(value: unknown): value is Metadata {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** node-llama-cpp's nested metadata (model.fileInfo.metadata) → Ollama's flat model_info. */
export function ollamaModelInfo(metadata: Metadata): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (node: Metadata, prefix: string): void => {
    for (const [key, value] of Object.entries(node)) {
      const name = prefix + key;
      if (isPlainObject(value)) walk(value, `${name}.`);
      else if (LEFT_OUT.has(name)) continue;
      else if (Array.isArray(value)) out[name] = value.length > ELIDED_ARRAY_OVER ? [] : value;
      // GGUF's 64-bit integers arrive as BigInt, which JSON cannot carry.
      else out[name] = typeof value === 'bigint' ? Number(value) : value;
    }
  };
  walk(metadata, '');
  return out;
}
