// Ollama's JSON, read defensively: a field of the wrong type is left out
// rather than trusted, and an unexpected shape never throws.
import type { LoadedModel, ListedModel } from './types.js';
import { BackendRequestError } from './http.js';
import { compact, isObject, objects, positive, str } from './json-fields.js';

function date(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}


/** GET /api/version. Throws when the answer is not Ollama's, so the monitor reports it as down. */
export function parseVersion(body: unknown): string {
  const version = isObject(body) ? str(body.version) : undefined;
  if (!version) throw new BackendRequestError('/api/version answered without a version; is this Ollama?', true);
  return version;
}

/** GET /api/tags: the installed models, sorted by name for a stable menu. */
export function parseTags(body: unknown): ListedModel[] {
  return objects(body, 'models')
    .flatMap((entry): ListedModel[] => {
      const name = str(entry.name) ?? str(entry.model);
      if (!name) return [];
      const details = isObject(entry.details) ? entry.details : {};
      return [compact({
        name,
        parameterSize: str(details.parameter_size),
        quantization: str(details.quantization_level),
        contextLength: positive(details.context_length) ?? positive(entry.context_length),
      })];
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** GET /api/ps: the models in memory, in Ollama's order. */
export function parsePs(body: unknown): LoadedModel[] {
  return objects(body, 'models').flatMap((entry): LoadedModel[] => {
    const name = str(entry.name) ?? str(entry.model);
    if (!name) return [];
    return [compact({
      name,
      contextLength: positive(entry.context_length),
      expiresAt: date(entry.expires_at),
      sizeVram: positive(entry.size_vram),
    })];
  });
}
