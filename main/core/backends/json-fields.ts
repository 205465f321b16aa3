// Reading a backend's JSON defensively: a field of the wrong type is left out
// rather than trusted, and an unexpected shape never throws.

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** The entries of `body[field]` that are objects; [] when it is not an array. */
export function objects(body: unknown, field: string): Json[] {
  const list = isObject(body) ? body[field] : undefined;
  return Array.isArray(list) ? list.filter(isObject) : [];
}

/** Drops undefined fields so states compare and serialise cleanly. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
