// The one contract between the Activity + Settings page and whoever hosts it:
// the app (preload over IPC) or the headless proxy (HTTP). Pure types, so the
// renderer, the sandboxed preload and the main process all `import type` it;
// nothing here may pull a runtime module into the renderer's build.
import type { CallRecord, InFlightEvent, ProxyStatus, WarmUpRecord } from '../wire/types.js';

export type Unsubscribe = () => void;

/** What the page can do where it runs. */
export interface UiCapabilities {
  /** The Settings view works; false in a browser, where the page only watches. */
  readonly settings: boolean;
}

/** Whether completed calls are reaching the page. */
export type FeedState = 'live' | 'reconnecting' | 'stopped';

/** The settings the window edits (a subset of the settings file, same names and types). */
export interface SettingsValues {
  readonly port: number;
  readonly host: string;
  readonly token: string;
  readonly target: string;
  readonly backend: string;
  readonly router: string;
  readonly rewrite: string;
  readonly inlineSystem: string;
  readonly cacheUsage: boolean;
  readonly slots: number;
  readonly model: string;
  readonly sideModel: string;
  readonly subagentModel: string;
  readonly contextTokens: number;
  readonly bare: boolean;
  readonly shell: string;
  readonly launchAtLogin: boolean;
}

export type SettingsField = keyof SettingsValues;

export type SettingValue = SettingsValues[SettingsField];

/**
 * An edit as the form read it. Types are checked by validation, not here: a
 * number field left unparsable arrives as NaN (null after JSON) and is
 * reported, never guessed.
 */
export type SettingsPatch = { readonly [K in SettingsField]?: SettingValue | null };

/** How to show and check one field, taken from the settings schema. */
export interface FieldInfo {
  readonly type: 'integer' | 'string' | 'boolean';
  readonly title: string;
  readonly description: string;
  readonly enum?: readonly string[];
  readonly minimum?: number;
  readonly maximum?: number;
}

export interface SettingsForm {
  readonly values: SettingsValues;
  readonly fields: { readonly [K in SettingsField]: FieldInfo };
  /** Models Ollama has installed; empty while it is down. */
  readonly models: readonly string[];
}

/** `field` is a setting's name, or '' for a problem with the edit as a whole. */
/** What is wrong with one field of an edit; the Settings window shows the message next to that field. */
export interface SettingsProblem {
  /** The setting's key; empty when the problem is the edit as a whole. */
  readonly field: string;
  readonly message: string;
}

export type ApplyOutcome = { readonly ok: true } | { readonly ok: false; readonly errors: readonly SettingsProblem[] };

export interface SnippetView {
  /** The shell this text is for. */
  readonly shell: string;
  /** Every shell a snippet can be written for. */
  readonly shells: readonly string[];
  readonly text: string;
  /** Said plainly beside the snippet when the model's window is too small for Claude Code; null when it fits or is unknown. */
  readonly warning?: string | null;
}

export interface UiBridge {
  readonly capabilities: UiCapabilities;
  /** A snapshot of the proxy; null while it is stopped. */
  getStatus(): Promise<ProxyStatus | null>;
  /** Each completed call, as it completes. */
  onCall(listener: (record: CallRecord) => void): Unsubscribe;
  /** Calls starting, getting their first token and ending. */
  onInFlight(listener: (event: InFlightEvent) => void): Unsubscribe;
  /** Warm start re-sending what the backend lost: as it starts and ends. */
  onWarmUp(listener: (record: WarmUpRecord) => void): Unsubscribe;
  /** The page's view may be stale (the proxy restarted, or the feed reconnected): fetch the status again. */
  onStatusReset(listener: () => void): Unsubscribe;
  onFeedState(listener: (state: FeedState) => void): Unsubscribe;
  /** The `claudel` function; without a shell, for the user's own. */
  getSnippet(shell?: string): Promise<SnippetView>;
  copySnippet(shell: string): Promise<void>;
  /** The rest needs `capabilities.settings`; without it they reject. */
  getSettings(): Promise<SettingsForm>;
  /** Checks the edit against the current settings without applying it. */
  validateSettings(patch: SettingsPatch): Promise<readonly SettingsProblem[]>;
  /** Saves and applies the edit (restarting the proxy when needed), or says per field why not. */
  applySettings(patch: SettingsPatch): Promise<ApplyOutcome>;
}

/** The preload exposes the bridge as `window.llmCacheProxy`. */
export type UiGlobalName = 'llmCacheProxy';

// IPC: one channel per request method (ipcRenderer.invoke ↔ ipcMain.handle)
// and one per push event (webContents.send ↔ ipcRenderer.on). The preload
// cannot import runtime code, so the names are types both sides must match.
export type UiRequestMethod = 'getStatus' | 'getSnippet' | 'copySnippet' | 'getSettings' | 'validateSettings' | 'applySettings';

export interface UiPushEvents {
  readonly call: CallRecord;
  readonly 'in-flight': InFlightEvent;
  readonly 'warm-up': WarmUpRecord;
  readonly 'status-reset': null;
  readonly 'feed-state': FeedState;
}

export type UiChannelPrefix = 'llm-cache-proxy:';
export type UiRequestChannel<M extends UiRequestMethod = UiRequestMethod> = `${UiChannelPrefix}${M}`;
export type UiPushChannel<E extends keyof UiPushEvents = keyof UiPushEvents> = `${UiChannelPrefix}${E}`;
