// Public surface of the settings module. cli-settings.ts is left out on
// purpose: it loads conf, which the app (using electron-store) does not need.
export type { FieldSchema, Settings, SettingsSchema, ShellPreference } from './schema.js';
export {
  CURRENT_SCHEMA_VERSION, DEFAULT_SETTINGS, LOG_LEVELS, SETTINGS_SCHEMA, SETTING_KEYS, SHELL_PREFERENCES,
  defaultSettings, isSettingKey,
} from './schema.js';
export type { SettingsError, SettingsValidation, ValidateOptions } from './validate.js';
export { isLoopbackHost, validateSettings } from './validate.js';
export type { MigrationResult } from './migrations.js';
export { migrateSettings } from './migrations.js';
export type { OpenSettingsOptions, OpenedSettings, SettingsFileVerdict, SettingsRecovery, SettingsStoreOptions } from './open.js';
export { backupPathFor, examineSettingsText, openSettings } from './open.js';
export type { SettingsFlagValue, SettingsFlags, SettingsFromFlags } from './flags.js';
export { settingsFromFlags } from './flags.js';
export { CONFIG_DIR_ENV, CONFIG_FILE_NAME, PRODUCT_NAME, defaultConfigDir, xdgConfigHome } from './paths.js';
