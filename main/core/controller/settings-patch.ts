// Pure: checks an edit from the Settings window (which arrives over IPC, so
// its shape is not trusted) against the current settings.
import type { Settings } from '../settings/schema.js';
import { isSettingKey } from '../settings/schema.js';
import { validateSettings } from '../settings/validate.js';
import type { SettingsProblem } from '../ui/bridge.js';

export type PatchVerdict =
  | { readonly ok: true; readonly next: Settings; readonly changed: readonly (keyof Settings)[] }
  | { readonly ok: false; readonly errors: readonly SettingsProblem[] };

export function checkSettingsPatch(current: Readonly<Settings>, patch: unknown): PatchVerdict {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    return { ok: false, errors: [{ field: '', message: 'Settings must be sent as an object of fields.' }] };
  }
  const errors: SettingsProblem[] = [];
  for (const key of Object.keys(patch)) {
    if (!isSettingKey(key)) errors.push({ field: key, message: `"${key}" is not a setting.` });
    // The version describes the file's shape; only migrations may change it.
    else if (key === 'schemaVersion') errors.push({ field: key, message: 'The settings version is managed by the app.' });
  }
  if (errors.length > 0) return { ok: false, errors };

  const candidate: Record<string, unknown> = { ...current, ...patch };
  const validation = validateSettings(candidate);
  if (!validation.ok) return { ok: false, errors: validation.errors };
  const next = candidate as Settings;
  const changed = (Object.keys(patch) as (keyof Settings)[])
    .filter((key) => JSON.stringify(current[key]) !== JSON.stringify(next[key]));
  return { ok: true, next, changed };
}
