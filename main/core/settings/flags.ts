// Command-line flags override the settings file for one run and are never
// written back. Flags arrive as util.parseArgs gives them (strings and
// booleans), named like the settings in camelCase or kebab-case.
import type { Settings } from './schema.js';
import { SETTINGS_SCHEMA, isSettingKey } from './schema.js';
import type { SettingsError, ValidateOptions } from './validate.js';
import { validateSettings } from './validate.js';

export type SettingsFlagValue = string | boolean | number | readonly string[] | undefined;
export type SettingsFlags = Readonly<Record<string, SettingsFlagValue>>;

export type SettingsFromFlags =
  | { readonly ok: true; readonly settings: Settings }
  | { readonly ok: false; readonly errors: readonly SettingsError[] };

function settingKeyOf(flag: string): keyof Settings {
  const key = flag.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
  if (!isSettingKey(key)) throw new TypeError(`--${flag} is not a setting`);
  return key;
}

/** Turns text from the command line into the type the schema asks for; anything else is left for validation to report. */
function coerce(key: keyof Settings, value: Exclude<SettingsFlagValue, undefined>): unknown {
  if (typeof value !== 'string') return value;
  switch (SETTINGS_SCHEMA[key].type) {
    case 'integer':
      return /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value;
    case 'array':
      return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
    case 'string':
      return value;
  }
}

/**
 * Pure: the settings for this run. Undefined flags (not given) leave the file's
 * value. Throws TypeError for a flag that names no setting, which is a bug in
 * the caller's parseArgs options, not a user error.
 */
export function settingsFromFlags(settings: Readonly<Settings>, flags: SettingsFlags, options: ValidateOptions = {}): SettingsFromFlags {
  const merged: Record<string, unknown> = { ...settings };
  for (const [flag, value] of Object.entries(flags)) {
    const key = settingKeyOf(flag);
    if (value !== undefined) merged[key] = coerce(key, value);
  }
  const validation = validateSettings(merged, options);
  return validation.ok ? { ok: true, settings: merged as Settings } : { ok: false, errors: validation.errors };
}
