// Pure, chained migrations of the settings file: MIGRATIONS[n] turns the shape
// of version n into the shape of version n + 1. They only rename and convert
// what they know; validation happens afterwards, on the result.
import { CURRENT_SCHEMA_VERSION } from './schema.js';

type RawSettings = Record<string, unknown>;

/**
 * Version 1 (the first release) said `stabilize: boolean` where version 2 has
 * the three-way `rewrite` mode, and `bareMode` where version 2 has `bare`.
 * A file without `schemaVersion` predates the field and is version 1.
 */
function v1ToV2(v1: RawSettings): RawSettings {
  const { stabilize, bareMode, ...rest } = v1;
  const v2: RawSettings = { ...rest, schemaVersion: 2 };
  // Version 1's stabilizing removed the whole billing block, which is `drop` now.
  if (stabilize !== undefined && !Object.hasOwn(rest, 'rewrite')) v2['rewrite'] = stabilize === false ? 'off' : 'drop';
  if (bareMode !== undefined && !Object.hasOwn(rest, 'bare')) v2['bare'] = bareMode;
  return v2;
}

const MIGRATIONS: Readonly<Record<number, (raw: RawSettings) => RawSettings>> = {
  1: v1ToV2,
};

export interface MigrationResult {
  readonly settings: RawSettings;
  /** The version the input was in. */
  readonly from: number;
  /** False when the input was already current (or newer) and is returned as is. */
  readonly changed: boolean;
}

export function isPlainObject(value: unknown): value is RawSettings {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function versionOf(raw: RawSettings): number {
  const version = raw['schemaVersion'];
  if (version === undefined) return 1;
  if (typeof version === 'number' && Number.isInteger(version) && version >= 1) return version;
  throw new TypeError(`schemaVersion must be a whole number of at least 1, got ${JSON.stringify(version)}`);
}

/**
 * Brings a parsed settings file up to CURRENT_SCHEMA_VERSION. A file from a
 * newer version of the app is left alone (unknown fields are kept) rather than
 * guessed at. Throws TypeError when the input is not a settings object at all.
 */
export function migrateSettings(raw: unknown): MigrationResult {
  if (!isPlainObject(raw)) throw new TypeError('settings must be a JSON object');
  const from = versionOf(raw);
  let settings = raw;
  for (let version = from; version < CURRENT_SCHEMA_VERSION; version += 1) {
    const migrate = MIGRATIONS[version];
    if (migrate === undefined) throw new Error(`no settings migration from version ${version}`);
    settings = migrate(settings);
  }
  return { settings, from, changed: settings !== raw };
}
