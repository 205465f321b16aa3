// Opens the settings file for either store class (conf in the CLI,
// electron-store in the app) after our own checks, so that a damaged or
// outdated file never stops the program: outdated files are migrated in place,
// damaged ones are moved aside and replaced by defaults, and the caller learns
// which happened so it can tell the user.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from './atomic-write.js';
import { migrateSettings } from './migrations.js';
import { CONFIG_FILE_NAME } from './paths.js';
import type { Settings, SettingsSchema } from './schema.js';
import { SETTINGS_SCHEMA, defaultSettings } from './schema.js';
import { validateSettings } from './validate.js';

/** Options understood alike by conf 15 and electron-store 11 (which passes them on to conf). */
export interface SettingsStoreOptions {
  readonly cwd: string;
  readonly schema: SettingsSchema;
  readonly defaults: Settings;
  /** We recover from bad files ourselves, keeping a backup; conf would silently discard them. */
  readonly clearInvalidConfig: false;
  /** The file may hold the access token. */
  readonly configFileMode: number;
}

export interface SettingsRecovery {
  /** Where the unusable file was moved. */
  readonly backupPath: string;
  /** Why it was unusable, in words fit for a notification. */
  readonly reason: string;
}

export interface OpenedSettings<S> {
  readonly store: S;
  readonly recovered: SettingsRecovery | null;
  /** The schema version the file was migrated from, when it was. */
  readonly migratedFrom: number | null;
}

export interface OpenSettingsOptions {
  /** Folder of config.json (see defaultConfigDir). */
  readonly dir: string;
  readonly now?: () => Date;
}

const CONFIG_FILE_MODE = 0o600;

export type SettingsFileVerdict =
  | { readonly ok: true; readonly settings: Record<string, unknown>; readonly from: number; readonly changed: boolean }
  | { readonly ok: false; readonly reason: string };

/** Pure: what to do with the text of a settings file. */
export function examineSettingsText(text: string): SettingsFileVerdict {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `${CONFIG_FILE_NAME} is not valid JSON (${(error as Error).message}).` };
  }
  let migrated: ReturnType<typeof migrateSettings>;
  try {
    migrated = migrateSettings(raw);
  } catch (error) {
    return { ok: false, reason: `${CONFIG_FILE_NAME} is unusable: ${(error as Error).message}.` };
  }
  const validation = validateSettings(migrated.settings);
  if (!validation.ok) {
    return { ok: false, reason: `${CONFIG_FILE_NAME} has invalid settings: ${validation.errors.map((error) => error.message).join(' ')}` };
  }
  return { ok: true, ...migrated };
}

/** `config.json.bak-2025-01-31T09-05-00.000Z`: ISO time without the colons Windows forbids. */
export function backupPathFor(file: string, time: Date): string {
  return `${file}.bak-${time.toISOString().replace(/:/g, '-')}`;
}

function moveAside(file: string, time: Date): string {
  const base = backupPathFor(file, time);
  let backupPath = base;
  for (let n = 2; fs.existsSync(backupPath); n += 1) backupPath = `${base}-${n}`;
  fs.renameSync(file, backupPath);
  return backupPath;
}

/**
 * A settings file that cannot be used, saying whether reading or writing
 * failed: a read-only folder is a different fix from an unreadable file.
 */
export class SettingsFileError extends Error {
  constructor(readonly action: 'read' | 'write', readonly file: string, cause: unknown) {
    const error = cause as NodeJS.ErrnoException;
    super(`cannot ${action} ${file}: ${error.code ?? error.message}`, { cause });
  }
}

/** What is at the settings path when it is not a regular file (a named pipe would block the read for good). */
function notAFile(stat: fs.Stats): string | null {
  if (stat.isFile()) return null;
  if (stat.isFIFO()) return 'a named pipe';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isSocket()) return 'a socket';
  return stat.isCharacterDevice() || stat.isBlockDevice() ? 'a device' : 'not a regular file';
}

type FileContent = { readonly text: string } | { readonly notAFile: string } | null;

function readIfPresent(file: string): FileContent {
  let fd: number;
  try {
    // Non-blocking, so a named pipe with no writer cannot hang start-up; checked before any read.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if ((error as NodeJS.ErrnoException).code === 'EISDIR') return { notAFile: 'a directory' };
    throw new SettingsFileError('read', file, error);
  }
  try {
    const kind = notAFile(fs.fstatSync(fd));
    if (kind !== null) return { notAFile: kind };
    return { text: fs.readFileSync(fd, 'utf8') };
  } catch (error) {
    throw new SettingsFileError('read', file, error);
  } finally {
    fs.closeSync(fd);
  }
}

/** Runs a step that writes in the settings folder, so that its failure says so. */
function writing<T>(file: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    // conf's own verdict on the file's content is not a write failure: the caller recovers from it.
    if (error instanceof SettingsFileError || isRejectedFileError(error)) throw error;
    throw new SettingsFileError('write', file, error);
  }
}

/** What conf throws when it dislikes the file it reads. */
function isRejectedFileError(error: unknown): error is Error {
  return error instanceof SyntaxError || (error instanceof Error && error.message.startsWith('Config schema violation:'));
}

export function openSettings<S>(factory: (options: SettingsStoreOptions) => S, options: OpenSettingsOptions): OpenedSettings<S> {
  const dir = path.resolve(options.dir);
  const file = path.join(dir, CONFIG_FILE_NAME);
  const now = options.now ?? (() => new Date());
  const storeOptions = (): SettingsStoreOptions => ({
    cwd: dir,
    schema: SETTINGS_SCHEMA,
    defaults: defaultSettings(),
    clearInvalidConfig: false,
    configFileMode: CONFIG_FILE_MODE,
  });

  let recovered: SettingsRecovery | null = null;
  let migratedFrom: number | null = null;
  const content = readIfPresent(file);
  if (content !== null && 'notAFile' in content) {
    recovered = { backupPath: writing(file, () => moveAside(file, now())), reason: `${CONFIG_FILE_NAME} is ${content.notAFile}, not a file.` };
  } else if (content !== null) {
    const verdict = examineSettingsText(content.text);
    if (!verdict.ok) {
      recovered = { backupPath: writing(file, () => moveAside(file, now())), reason: verdict.reason };
    } else if (verdict.changed) {
      writing(file, () => writeFileAtomicSync(file, JSON.stringify(verdict.settings, null, '\t'), CONFIG_FILE_MODE));
      migratedFrom = verdict.from;
    }
  }

  try {
    // The file was read above; what fails in the store now is its folder or its writing.
    return { store: writing(file, () => factory(storeOptions())), recovered, migratedFrom };
  } catch (error) {
    // Only reachable if the file changed after we read it, or if conf's
    // validator is stricter than ours; either way, the same recovery applies once.
    if (recovered !== null || !isRejectedFileError(error)) throw error;
    recovered = { backupPath: writing(file, () => moveAside(file, now())), reason: `${CONFIG_FILE_NAME} was rejected: ${error.message}` };
    return { store: writing(file, () => factory(storeOptions())), recovered, migratedFrom };
  }
}
