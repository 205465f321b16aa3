// The tray menu as plain data: the app turns it into Electron's Menu, tests
// read it directly. Actions are data too, so the app handles them in one switch.
import type { CallRecord, InFlightCall, WarmSetting, WarmStatus } from '../wire/types.js';
import type { RewriteMode } from '../rewrite/types.js';
import type { BackendState } from '../backends/types.js';
import type { BackendInfo } from '../wire/types.js';
import type { Settings } from '../settings/schema.js';
import type { Shell } from '../snippet/shells.js';
import type { KnownWindow } from '../backends/model-window.js';

export type ProxyRunState = 'running' | 'stopped' | 'port-busy' | 'error';

export interface ProxyView {
  readonly state: ProxyRunState;
  readonly host: string;
  readonly port: number;
  /** Ollama's base URL, e.g. http://127.0.0.1:11434. */
  readonly target: string;
  readonly error?: string;
}

/** Why the OS left launch at login off although it was asked to turn it on, and what the user can do. */
export interface LoginItemRefusal {
  readonly reason: string;
  /** Short enough for a menu item. */
  readonly remedy: string;
}

export interface LoginItemView {
  /** False where the OS offers no login item (e.g. unpackaged on Linux). */
  readonly supported: boolean;
  readonly enabled: boolean;
  /** macOS 13+: registered, but the user must allow it in System Settings. */
  readonly requiresApproval: boolean;
  /** Set after turning it on had no effect (macOS: the app runs from the disk image, translocated, or unsigned). */
  readonly refused?: LoginItemRefusal;
}

/** The settings the menu shows; `model` is empty when none is chosen. */
export type MenuSettings = Readonly<Pick<Settings, 'rewrite' | 'bare' | 'model' | 'keepModelLoaded' | 'warm'>>;

export interface AppState {
  readonly proxy: ProxyView;
  readonly backendState: BackendState;
  /** Which engine answers at the target (absent in states built without a monitor). */
  readonly backend?: BackendInfo;
  /** Until when the keep-alive holds the model; null when off or not known. */
  readonly keepAliveExpiresAt: Date | null;
  /** The most recent call, or null before the first. */
  readonly lastCall: Pick<CallRecord, 'reuse' | 'bust'> | null;
  readonly settings: MenuSettings;
  readonly loginItem: LoginItemView;
  /** The user's shell, resolved (never 'auto'). */
  readonly shell: Shell;
  /** The claudel snippet against the model's window: too small, or the copied one out of date. */
  readonly snippet?: SnippetState;
  /** The call that has waited longest for its first token, once it has waited more than a few seconds. */
  readonly waiting?: InFlightCall | null;
  /** Warm start's mode and last warm-up (absent in states built without one). */
  readonly warm?: WarmStatus | null;
}

export interface SnippetState {
  /** The model's window as the backend (or the settings) gives it; null when unknown. */
  readonly window: KnownWindow | null;
  /** A menu label when the window is too small for Claude Code; null when it fits or is unknown. */
  readonly tooSmall: string | null;
  /** Why the copied function is out of date; null while it is right or nothing was copied. */
  readonly outdated: string | null;
}

export type MenuAction =
  | { readonly type: 'start-proxy' }
  | { readonly type: 'stop-proxy' }
  | { readonly type: 'set-stabilize'; readonly enabled: boolean }
  | { readonly type: 'set-rewrite-mode'; readonly mode: RewriteMode }
  | { readonly type: 'set-bare'; readonly enabled: boolean }
  | { readonly type: 'select-model'; readonly model: string }
  | { readonly type: 'copy-snippet'; readonly shell: Shell }
  | { readonly type: 'set-keep-loaded'; readonly enabled: boolean }
  | { readonly type: 'set-warm'; readonly setting: WarmSetting }
  | { readonly type: 'set-launch-at-login'; readonly enabled: boolean }
  | { readonly type: 'open-login-items-settings' }
  | { readonly type: 'open-ollama-download' }
  | { readonly type: 'open-activity' }
  | { readonly type: 'open-config-file' }
  | { readonly type: 'quit' };

export interface MenuItemModel {
  /** Stable and unique within the whole menu, submenus included. */
  readonly id: string;
  readonly label: string;
  readonly type: 'normal' | 'checkbox' | 'radio' | 'separator' | 'submenu';
  readonly enabled: boolean;
  readonly checked?: boolean;
  readonly action?: MenuAction;
  readonly submenu?: readonly MenuItemModel[];
}

export type TrayIconVariant = 'running' | 'stopped' | 'error';
