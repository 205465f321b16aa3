// The app's side of the bridge, free of Electron: what each request from the
// page returns, given the controller. The IPC glue (main/app/ipc.ts) only
// checks who is asking and forwards here; tests drive the same code from a
// real browser page. Everything the page sends is treated as untrusted.
import type { ProxyStatus } from '../wire/types.js';
import type { Settings } from '../settings/schema.js';
import { DEFAULT_SETTINGS, SETTINGS_SCHEMA } from '../settings/schema.js';
import { validateSettings } from '../settings/validate.js';
import type { Shell } from '../snippet/shells.js';
import type {
  ApplyOutcome, FieldInfo, SettingsField, SettingsForm, SettingsProblem, SettingsValues, SnippetView, UiRequestMethod,
} from './bridge.js';
import { requestedShell, snippetView } from './snippet-view.js';
import type { KnownWindow } from '../backends/model-window.js';

/** What the service needs from the app controller (AppController satisfies it). */
export interface UiHost {
  settings(): Readonly<Settings>;
  applySettings(patch: Partial<Settings>): Promise<ApplyOutcome>;
  proxyStatus(): ProxyStatus | null;
  state(): {
    readonly backendState: { readonly models: readonly { readonly name: string }[] };
    readonly shell: Shell;
    /** The model's window, where the host knows it (the app's monitor or its setting). */
    readonly snippet?: { readonly window: KnownWindow | null };
  };
}

/** The window's fields, read from the settings; the object literal makes the compiler check every field is mapped. */
export function settingsValues(settings: Readonly<Settings>): SettingsValues {
  return {
    port: settings.port,
    host: settings.host,
    token: settings.token,
    target: settings.target,
    backend: settings.backend,
    router: settings.router,
    rewrite: settings.rewrite,
    inlineSystem: settings.inlineSystem,
    cacheUsage: settings.cacheUsage,
    slots: settings.slots,
    model: settings.model,
    sideModel: settings.sideModel,
    subagentModel: settings.subagentModel,
    contextTokens: settings.contextTokens,
    bare: settings.bare,
    shell: settings.shell,
    launchAtLogin: settings.launchAtLogin,
  };
}

export const SETTINGS_FIELDS = Object.keys(settingsValues(DEFAULT_SETTINGS)) as readonly SettingsField[];

function isSettingsField(key: string): key is SettingsField {
  return (SETTINGS_FIELDS as readonly string[]).includes(key);
}

function fieldInfo(field: SettingsField): FieldInfo {
  const schema = SETTINGS_SCHEMA[field];
  if (schema.type === 'array') throw new TypeError(`${field} is a list; the window has no control for lists`);
  return {
    type: schema.type,
    title: schema.title,
    description: schema.description,
    ...(schema.enum ? { enum: schema.enum.map(String) } : {}),
    ...(schema.minimum === undefined ? {} : { minimum: schema.minimum }),
    ...(schema.maximum === undefined ? {} : { maximum: schema.maximum }),
  };
}

const FIELD_INFO = Object.fromEntries(SETTINGS_FIELDS.map((field) => [field, fieldInfo(field)])) as SettingsForm['fields'];

type PatchCheck = { readonly ok: true; readonly patch: Partial<Settings> } | { readonly ok: false; readonly errors: readonly SettingsProblem[] };

/**
 * Keeps the edit to the fields the window shows, so a compromised page cannot
 * reach settings it has no control for (allowed origins, body limit...).
 * Values are passed on as they are: validation names what is wrong with them.
 */
export function checkEditablePatch(patch: unknown): PatchCheck {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    return { ok: false, errors: [{ field: '', message: 'Settings must be sent as an object of fields.' }] };
  }
  const errors = Object.keys(patch).filter((key) => !isSettingsField(key))
    .map((key) => ({ field: key, message: `"${key}" cannot be changed from this window.` }));
  return errors.length > 0 ? { ok: false, errors } : { ok: true, patch: patch as Partial<Settings> };
}

export class UiService {
  constructor(private readonly host: UiHost) {}

  status(): ProxyStatus | null {
    return this.host.proxyStatus();
  }

  settingsForm(): SettingsForm {
    return {
      values: settingsValues(this.host.settings()),
      fields: FIELD_INFO,
      models: this.host.state().backendState.models.map((model) => model.name),
    };
  }

  /** Judged together with the current settings, because a rule may span fields (a LAN address needs a token). */
  validate(patch: unknown): readonly SettingsProblem[] {
    const checked = checkEditablePatch(patch);
    if (!checked.ok) return checked.errors;
    return validateSettings({ ...this.host.settings(), ...checked.patch }).errors;
  }

  apply(patch: unknown): Promise<ApplyOutcome> {
    const checked = checkEditablePatch(patch);
    return checked.ok ? this.host.applySettings(checked.patch) : Promise.resolve(checked);
  }

  snippet(shell?: unknown): SnippetView {
    const settings = this.host.settings();
    const state = this.host.state();
    return snippetView({ ...settings, window: state.snippet?.window ?? null }, requestedShell(shell, state.shell));
  }
}

export type UiRequestHandlers = { readonly [M in UiRequestMethod]: (...args: unknown[]) => unknown };

/**
 * What answers each request of the bridge, by method: the app's IPC handlers
 * and the browser tests' injected bridge dispatch through this same table.
 */
export function uiRequestHandlers(service: UiService, writeClipboard: (text: string) => void): UiRequestHandlers {
  return {
    getStatus: () => service.status(),
    getSnippet: (shell) => service.snippet(shell),
    copySnippet: (shell) => {
      writeClipboard(service.snippet(shell).text);
    },
    getSettings: () => service.settingsForm(),
    validateSettings: (patch) => service.validate(patch),
    applySettings: (patch) => service.apply(patch),
  };
}
