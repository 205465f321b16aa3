// Ollama's JSON, read defensively: a field of the wrong type is left out
// rather than trusted, and an unexpected shape never throws.
import type { LoadedModel, OllamaModel } from './types.js';
import { OllamaRequestError } from './http.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

function date(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

/** Drops undefined fields so states compare and serialise cleanly. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function modelEntries(body: unknown): Json[] {
  return isObject(body) && Array.isArray(body.models) ? body.models.filter(isObject) : [];
}

/** GET /api/version. Throws when the answer is not Ollama's, so the monitor reports it as down. */
export function parseVersion(body: unknown): string {
  const version = isObject(body) ? str(body.version) : undefined;
  if (!version) throw new OllamaRequestError('/api/version answered without a version; is this Ollama?');
  return version;
}

/** GET /api/tags: the installed models, sorted by name for a stable menu. */
export function parseTags(body: unknown): OllamaModel[] {
  return modelEntries(body)
    .flatMap((entry): OllamaModel[] => {
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
  return modelEntries(body).flatMap((entry): LoadedModel[] => {
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
