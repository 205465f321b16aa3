// What the app controller needs from its host (Electron, or a test) and what
// it offers back. Only plain interfaces here: the Electron glue implements the
// services, tests implement them with fakes, and the controller stays Node-only.
import type { CallRecord, InFlightEvent, WarmUpRecord } from '../wire/types.js';
import type { AppState, LoginItemRefusal } from '../menu/types.js';
import type { Clock } from '../backends/clock.js';
import type { Settings } from '../settings/schema.js';

/** The part of conf's (and electron-store's) API the controller uses. */
export interface SettingsStore {
  /** The whole file, as stored. */
  readonly store: Settings;
  set(patch: Partial<Settings>): void;
  /** Where the file lives, for "Open Config File". */
  readonly path: string;
}

export interface LoginItemStatus {
  readonly enabled: boolean;
  /** macOS 13+: registered, but waiting for the user's approval in System Settings. */
  readonly requiresApproval: boolean;
}

/** Launch at login, as the operating system sees it (the OS, not our settings file, is the truth). */
export interface LoginItemService {
  /** False where there is nothing sensible to register (e.g. an unpackaged app on macOS). */
  readonly supported: boolean;
  /** Async because on Linux it reads the XDG autostart file. */
  get(): Promise<LoginItemStatus>;
  set(enabled: boolean): Promise<void>;
  /** Why a set(true) the OS accepted without error may still leave the item off (macOS does that silently). */
  refusal?(): LoginItemRefusal;
}

export interface Notice {
  readonly title: string;
  readonly body: string;
}

/** Side effects that belong to the desktop, injected so the controller can run (and be tested) without one. */
export interface PlatformServices {
  /** Async: Electron 45's clipboard resolves once the text is on the pasteboard. */
  writeClipboard(text: string): Promise<void>;
  openUrl(url: string): Promise<void>;
  openPath(path: string): Promise<void>;
  notify(notice: Notice): void;
  openActivity(): void;
  /** Asks the host to quit; the host is expected to call shutdown() before it exits. */
  quit(): void;
  /** True on battery power, false on mains, null where the platform does not tell (warm start waits for mains). */
  onBattery(): boolean | null;
}

export interface AppControllerOptions {
  readonly settings: SettingsStore;
  readonly loginItem: LoginItemService;
  readonly platform: PlatformServices;
  /** `$SHELL`, to pick the snippet's shell when the setting says `auto`. */
  readonly shellPath?: string | undefined;
  readonly os?: NodeJS.Platform;
  /** Used by the Ollama monitor and the keep-alive. */
  readonly fetch?: typeof fetch;
  readonly clock?: Clock;
}

export interface AppControllerEvents {
  /** Anything the tray or the window shows changed. */
  state: [state: AppState];
  /** The settings file changed through the controller. */
  settings: [settings: Readonly<Settings>];
  /** A call to /v1/messages completed (from whichever proxy instance served it). */
  call: [record: CallRecord];
  /** A call started, got its first token or ended (from whichever proxy instance serves it). */
  'in-flight': [event: InFlightEvent];
  /** Warm start began or finished re-sending what the backend lost. */
  'warm-up': [record: WarmUpRecord];
}
