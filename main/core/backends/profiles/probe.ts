// Shared by the profiles: a probe that turns "answered, but not like this
// engine" into null, and the OpenAI-style /v1/models list most engines serve.
import { BackendRequestError } from '../http.js';
import { compact, isObject, objects, positive, str } from '../json-fields.js';
import { contextCostFromWidth } from '../model-shape.js';
import type { GetJson } from '../profile.js';
import type { LoadedModel, ListedModel } from '../types.js';

/** The document at `path`, or null when the target answered with an error or not JSON. */
export async function probe(get: GetJson, path: string): Promise<unknown> {
  try {
    return await get(path);
  } catch (err) {
    if (err instanceof BackendRequestError && err.reachable) return null;
    throw err;
  }
}

/** The `version` string of the JSON at `path` (Ollama's /api/version, vLLM's /version); null when there is none. */
export async function versionAt(get: GetJson, path: string): Promise<string | null> {
  const body = await probe(get, path);
  return (isObject(body) ? str(body.version) : undefined) ?? null;
}

export interface OpenAiModel {
  readonly id: string;
  readonly ownedBy?: string;
  /** vLLM and SGLang: the served context window. */
  readonly maxModelLen?: number;
  /** llama-server: from the width in its `meta` (model-shape.ts). */
  readonly contextCost?: number;
}

/** GET /v1/models: `{"object":"list","data":[{"id","owned_by",...}]}`. */
export function parseOpenAiModels(body: unknown): OpenAiModel[] {
  return objects(body, 'data').flatMap((entry): OpenAiModel[] => {
    const id = str(entry.id);
    const contextCost = isObject(entry.meta) ? contextCostFromWidth(entry.meta.n_embd) ?? undefined : undefined;
    return id ? [compact({ id, ownedBy: str(entry.owned_by), maxModelLen: positive(entry.max_model_len), contextCost })] : [];
  });
}

/** Engines that serve what they load: every listed model is loaded, with its window where given. */
export function servedModels(models: readonly OpenAiModel[]): { models: ListedModel[]; loaded: LoadedModel[] } {
  return {
    models: models.map((m) => compact({ name: m.id, contextLength: m.maxModelLen })),
    loaded: models.map((m) => compact({ name: m.id, contextLength: m.maxModelLen })),
  };
}
