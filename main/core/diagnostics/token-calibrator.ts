// Ollama does not serve /v1/messages/count_tokens, so the proxy answers it
// with an estimate: the prompt's rendered length divided by the
// characters-per-token ratio the same model showed on recent real calls.

/** A common ratio for code and English prose; rounded down so estimates err high. */
export const DEFAULT_CHARS_PER_TOKEN = 3.5;

/** Ratios outside this range come from a miscount, not from a tokenizer. */
const MIN_RATIO = 1;
const MAX_RATIO = 10;

export interface TokenCalibratorOptions {
  /** Recent calls kept per model; default 32. */
  readonly samplesPerModel?: number;
  /** Models remembered, least recently used out; default 16. */
  readonly maxModels?: number;
}

interface Samples {
  readonly chars: number[];
  readonly tokens: number[];
}

export class TokenCalibrator {
  readonly #samplesPerModel: number;
  readonly #maxModels: number;
  readonly #models = new Map<string, Samples>();

  constructor(options: TokenCalibratorOptions = {}) {
    this.#samplesPerModel = Math.max(1, Math.floor(options.samplesPerModel ?? 32));
    this.#maxModels = Math.max(1, Math.floor(options.maxModels ?? 16));
  }

  /**
   * Records a real call: the rendered prompt's length and the input_tokens
   * the backend reported (before any cache-read estimate is taken off).
   */
  record(model: string | null, promptChars: number, inputTokens: number): void {
    if (!(promptChars > 0) || !(inputTokens > 0)) return;
    const ratio = promptChars / inputTokens;
    if (ratio < MIN_RATIO || ratio > MAX_RATIO) return;
    const name = model ?? '';
    const samples = this.#models.get(name) ?? { chars: [], tokens: [] };
    this.#models.delete(name);
    this.#models.set(name, samples);
    samples.chars.push(promptChars);
    samples.tokens.push(inputTokens);
    if (samples.chars.length > this.#samplesPerModel) {
      samples.chars.shift();
      samples.tokens.shift();
    }
    while (this.#models.size > this.#maxModels) this.#models.delete(this.#models.keys().next().value as string);
  }

  /** The model's recent ratio, else that of all models seen, else the default. */
  charsPerToken(model: string | null): number {
    const own = this.#models.get(model ?? '');
    if (own !== undefined) return ratioOf([own]);
    if (this.#models.size > 0) return ratioOf([...this.#models.values()]);
    return DEFAULT_CHARS_PER_TOKEN;
  }

  estimate(model: string | null, promptChars: number): number {
    if (!(promptChars > 0)) return 0;
    return Math.ceil(promptChars / this.charsPerToken(model));
  }
}

function ratioOf(groups: readonly Samples[]): number {
  let chars = 0;
  let tokens = 0;
  for (const group of groups) {
    for (const n of group.chars) chars += n;
    for (const n of group.tokens) tokens += n;
  }
  return chars / tokens;
}
