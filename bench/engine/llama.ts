// Loads node-llama-cpp from bench/engine/node_modules, where `npm run
// engine:install` puts it; the root package never depends on it (the engine is
// a development tool: a user's install must not download it). The few parts we use
// are typed here so the root type-checks whether or not the engine is installed.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type Token = number;

export interface LlamaSequence {
  readonly contextTokens: Token[];
  readonly nextTokenIndex: number;
  /** Every token llama.cpp evaluated on this sequence, whatever asked for it (a restore's re-reading too). */
  readonly tokenMeter: { readonly usedInputTokens: number; readonly usedOutputTokens: number };
  /** True on a recurrent or hybrid model: its state can only go back to a checkpoint. */
  readonly needsCheckpoints: boolean;
  /**
   * On a recurrent or hybrid model, a cut the state cannot make restores the
   * latest checkpoint at or before it and re-evaluates the tokens between.
   */
  eraseContextTokenRanges(ranges: { start: number; end: number }[]): Promise<void>;
  clearHistory(): Promise<void>;
  evaluate(tokens: Token[], options?: { temperature?: number; seed?: number }): AsyncGenerator<Token, void, void | Token | Token[]>;
  evaluateWithoutGeneratingNewTokens(tokens: Token[]): Promise<void>;
  /** Evaluates `input`; for an item marked `generateNext`, samples the token after it. */
  controlledEvaluate(input: (Token | [Token, { generateNext: { token: true; options?: { temperature?: number } } }])[]): Promise<({ next: { token?: Token | null } } | undefined)[]>;
  /** Saves the recurrent state where the sequence stands (at most `checkpoints.max` are kept, the oldest dropped). */
  takeCheckpoint(): Promise<void>;
  /**
   * The same under its own name, of which at most `max` are kept apart from the
   * unnamed ones. Not in node-llama-cpp's typings (it is `@internal`); the
   * version is pinned in bench/engine/package.json.
   */
  _takeNamedCheckpoint(name: string, max: number): Promise<void>;
  /** Writes the sequence's state (its cells' KV and recurrent state, and its tokens; not its checkpoints) to a file. */
  saveStateToFile(filePath: string): Promise<{ fileSize: number }>;
  /** Replaces the sequence's state and tokens with a saved one (the same model's). */
  loadStateFromFile(filePath: string, acceptRisk: { acceptRisk: true }): Promise<void>;
  dispose(): void;
}

export interface LlamaContext {
  readonly contextSize: number;
  /** `checkpoints`: how many a recurrent or hybrid model's sequence keeps, and every how many tokens it takes one by itself (false: never). */
  getSequence(options?: { checkpoints?: { max?: number; interval?: number | false } }): LlamaSequence;
  dispose(): Promise<void>;
}

export interface LlamaModel {
  readonly trainContextSize: number;
  /** The GGUF file's metadata, nested by dotted key (general.architecture → general: { architecture }). */
  readonly fileInfo: { readonly metadata: Readonly<Record<string, unknown>> };
  readonly size: number;
  tokenize(text: string, specialTokens?: boolean): Token[];
  detokenize(tokens: readonly Token[], specialTokens?: boolean, lastTokens?: readonly Token[]): string;
  createContext(options: { contextSize: number; sequences: number; threads?: number; batchSize?: number; seed?: number; flashAttention?: boolean }): Promise<LlamaContext>;
  dispose(): Promise<void>;
}

export interface Llama {
  loadModel(options: { modelPath: string; gpuLayers?: number; useMmap?: boolean }): Promise<LlamaModel>;
  dispose(): Promise<void>;
}

interface NodeLlamaCpp {
  getLlama(options: { gpu: false; build: 'never'; skipDownload: true; logLevel?: string; progressLogs?: boolean }): Promise<Llama>;
}

/** The repository root, from this file's place in the source or in dist/. */
export const REPO_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'bench', 'engine', 'package.json'))) {
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('cannot find the repository root (bench/engine/package.json)');
    dir = up;
  }
  return dir;
})();

const ENTRY = join(REPO_ROOT, 'bench', 'engine', 'node_modules', 'node-llama-cpp', 'dist', 'index.js');
const INSTALL_HINT = 'the llama.cpp engine is not installed: run `npm run engine:install`';

/** Why the engine cannot run here, or null when it can (installed, with a prebuilt build for this machine). */
export function engineUnavailable(): string | null {
  if (!existsSync(ENTRY)) return INSTALL_HINT;
  if (!existsSync(join(REPO_ROOT, 'bench', 'engine', 'node_modules', '.engine-install.json'))) return INSTALL_HINT;
  const os = { linux: 'linux', darwin: 'mac', win32: 'win' }[process.platform as string];
  const arch = process.arch === 'arm' ? 'armv7l' : process.arch;
  const suffix = os === 'mac' && arch === 'arm64' ? '-metal' : '';
  if (!existsSync(join(REPO_ROOT, 'bench', 'engine', 'node_modules', '@node-llama-cpp', `${os}-${arch}${suffix}`, 'bins'))) {
    return `node-llama-cpp has no prebuilt CPU build installed for ${process.platform}-${process.arch}`;
  }
  return null;
}

let llama: Promise<Llama> | null = null;

/** The CPU build of llama.cpp; never downloads or compiles (throws instead). */
export function loadLlama(): Promise<Llama> {
  const why = engineUnavailable();
  if (why !== null) return Promise.reject(new Error(why));
  llama ??= (import(pathToFileURL(ENTRY).href) as Promise<NodeLlamaCpp>).then((m) =>
    m.getLlama({ gpu: false, build: 'never', skipDownload: true, logLevel: 'error', progressLogs: false }),
  );
  return llama;
}
