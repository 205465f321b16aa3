// Which model a name asks for: the weights file (so the runner, see
// runners.ts) and the family (so the renderer, see families.ts). As Ollama, a
// name is a manifest that points at a weights file: aliases name the same file
// and share its runner. Unlike Ollama, a name nobody listed is not a 404 but
// the default file, so a recording replays whatever model it names.
import { family, libraryFamily, withCheckpoints, type CheckpointEngine, type Family, type FamilyName } from './families.js';
import type { ModelSize } from './model.js';

export interface ModelEntry {
  /** The generated weights file: its size (default: the engine's). */
  readonly size?: ModelSize;
  /** Another file of that size (other weights) when > 0; names with the same size and copy are aliases. */
  readonly copy?: number;
  /** The renderer its config names (default: the family Ollama's library gives the name). */
  readonly family?: FamilyName;
}

export interface ResolvedModel {
  readonly name: string;
  readonly size: ModelSize;
  readonly copy: number;
  readonly family: Family;
  /** The weights file is the generated hybrid model (hybrid-model.ts), not the dense one. */
  readonly hybrid: boolean;
  /**
   * The runner's key: the weights file. Our stand-in for a hybrid model is the
   * dense file read under the hybrid checkpoint rule; a real hybrid model is a
   * file of its own, so it keys a runner of its own here too.
   */
  readonly fileKey: string;
}

export interface CatalogOptions {
  readonly size: ModelSize;
  /** The family of every name not in `models` (default: by the name, as Ollama's library). */
  readonly family?: FamilyName;
  readonly models?: Readonly<Record<string, ModelEntry>>;
  /** Hybrid families run on the generated hybrid model instead of the dense stand-in. */
  readonly hybrid?: boolean;
  /** Hybrid families' checkpoints: llama-server's (Ollama ≥ 0.30, the default) or Ollama's Go engine's (< 0.30). */
  readonly checkpoints?: CheckpointEngine;
}

export function resolveModel(options: CatalogOptions, name: string): ResolvedModel {
  const entry = options.models?.[name] ?? {};
  const size = entry.size ?? options.size;
  const copy = entry.copy ?? 0;
  const f = withCheckpoints(family(entry.family ?? options.family ?? libraryFamily(name)), options.checkpoints ?? 'llama-server');
  const file = `${size}${copy === 0 ? '' : `-${copy}`}`;
  const hybrid = options.hybrid === true && f.checkpoints !== null;
  return { name, size, copy, family: f, hybrid, fileKey: f.checkpoints === null ? file : `${file}${hybrid ? '-hybrid' : '+checkpoints'}` };
}

/**
 * What /api/version answers: an Ollama that runs hybrid models as the engine
 * does (0.30 and later on llama-server; the Go engine's last release before),
 * so the proxy picks the same checkpoint rule by the version, as on Ollama.
 */
export function engineVersion(options: CatalogOptions): string {
  return options.checkpoints === 'go-engine' ? '0.29.0-go-engine' : '0.30.0-llama.cpp-engine';
}

/** The names /api/tags lists: the default model's, then the configured ones. */
export function listedNames(options: CatalogOptions): string[] {
  return [`llm-cache-proxy-${options.size}:latest`, ...Object.keys(options.models ?? {})];
}
