// The menu-bar app's brain, free of Electron. It holds the settings file and
// carries out the menu's actions, and hands the work to one part per job:
// running the proxy (ProxyRunner), keeping the login item in step
// (LoginItemSync) and living with the backend (BackendFollower, around the
// host's session). It turns all of them into one AppState for the tray and
// the window. The Electron glue only forwards clicks here and renders what
// comes back.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { CallRecord, InFlightEvent, ProxyStatus, WarmUpRecord } from '../wire/types.js';
import type { AppState, MenuAction } from '../menu/types.js';
import type { ApplyOutcome } from '../ui/bridge.js';
import type { Clock } from '../backends/clock.js';
import { realClock } from '../backends/clock.js';
import { hostConfigFromSettings, ProxyHost, type HostConfig } from '../host/proxy-host.js';
import { fileWarmStore } from '../warm/warm-store.js';
import type { RewriteMode } from '../rewrite/types.js';
import type { Settings } from '../settings/schema.js';
import { claudelSnippet } from '../snippet/claudel.js';
import type { Shell } from '../snippet/shells.js';
import { buildAppState, snippetShell } from './app-state.js';
import { BackendFollower } from './backend-follower.js';
import { APP_TITLE, LOGIN_ITEMS_SETTINGS_URL, OLLAMA_DOWNLOAD_URL } from './links.js';
import { LoginItemSync } from './login-item-sync.js';
import { needsRestart } from './proxy-config.js';
import { ProxyRunner } from './proxy-runner.js';
import { checkSettingsPatch } from './settings-patch.js';
import { WaitWatch } from './wait-watch.js';
import type { SnippetInputs } from './snippet-freshness.js';
import { snippetInputs } from './snippet-freshness.js';
import type {
  AppControllerEvents, AppControllerOptions, PlatformServices, SettingsStore,
} from './types.js';

/** A stop from the menu still lets the answer being streamed finish, briefly. */
const STOP_GRACE_MS = 5000;

type StabilizeMode = Exclude<RewriteMode, 'off'>;

export class AppController extends EventEmitter<AppControllerEvents> {
  readonly #store: SettingsStore;
  readonly #platform: PlatformServices;
  readonly #clock: Clock;
  readonly #shellPath: string | undefined;
  readonly #os: NodeJS.Platform;

  #settings: Readonly<Settings>;
  readonly #host: ProxyHost;
  readonly #runner: ProxyRunner;
  readonly #backend: BackendFollower;
  readonly #loginItem: LoginItemSync;
  readonly #wait: WaitWatch;
  #lastCall: Pick<CallRecord, 'reuse' | 'bust'> | null = null;
  /** What "Stabilize prompt cache" turns back on after it was switched off. */
  #stabilizeMode: StabilizeMode;
  #started = false;
  #shuttingDown = false;
  /** Changes to the proxy and the settings run one at a time, so double clicks cannot interleave restarts. */
  #queue: Promise<unknown> = Promise.resolve();
  /** What the last copied claudel function was written from, so the menu can say when it goes stale. */
  #copiedSnippet: SnippetInputs | null = null;

  constructor(options: AppControllerOptions) {
    super();
    this.#store = options.settings;
    this.#platform = options.platform;
    this.#clock = options.clock ?? realClock;
    this.#shellPath = options.shellPath;
    this.#os = options.os ?? process.platform;
    this.#settings = this.#store.store;
    this.#stabilizeMode = this.#settings.rewrite === 'off' ? 'drop' : this.#settings.rewrite;
    const fetch = options.fetch ?? globalThis.fetch;
    const notify = (message: string): void => this.#notify(message);
    const onChange = (): void => this.#emitState();
    this.#host = new ProxyHost(this.#hostConfig(), {
      fetch,
      clock: this.#clock,
      // The remembered prefix lives beside the settings file, as private as it is.
      warmStore: fileWarmStore(path.dirname(this.#store.path)),
      onBattery: () => this.#platform.onBattery(),
    });
    this.#runner = new ProxyRunner(this.#host, notify);
    const warmer = this.#host.warmer;
    this.#backend = new BackendFollower(this.#host.session, this.#settings, {
      fetch, clock: this.#clock, notify, onChange, onRenewed: (model) => warmer.ownRequest(model),
    });
    warmer.on('warm-up', (record) => {
      this.emit('warm-up', record);
      onChange();
    });
    this.#loginItem = new LoginItemSync(options.loginItem, onChange);
    this.#wait = new WaitWatch(this.#clock, onChange);
    this.#runner.on('changed', onChange);
    this.#runner.on('call', (record) => this.#onCall(record));
    this.#runner.on('in-flight', (source, event) => {
      this.#wait.apply(source, event);
      this.emit('in-flight', event);
    });
  }

  /** Starts watching the backend and, unless the user stopped it last time, the proxy. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#host.start();
    this.#backend.start();
    // The proxy serves its first call folded and estimated as the model renders it (the look asks each renderer).
    await this.#host.session.firstLook();
    await this.refreshLoginItem().catch((error: unknown) => this.#notify(`Could not read the launch-at-login setting: ${messageOf(error)}`));
    if (this.#settings.proxyEnabled) await this.#serial(() => this.#runner.start(this.#settings));
    this.#emitState();
  }

  /** Stops everything; streams in flight get up to graceMs to finish. Settings are kept as they are. */
  async shutdown(graceMs = 5000): Promise<void> {
    this.#shuttingDown = true;
    await this.#queue;
    this.#host.stop();
    this.#backend.stop();
    this.#wait.stop();
    await this.#runner.shutdown(graceMs);
  }

  state(): AppState {
    return buildAppState({
      settings: this.#settings,
      proxy: this.#runner.run,
      backendState: this.#host.session.state,
      backend: this.#host.session.view.info(),
      keepAlive: this.#backend.keepAlive,
      lastCall: this.#lastCall,
      loginItem: this.#loginItem.view,
      shellPath: this.#shellPath,
      os: this.#os,
      waiting: this.#wait.current(),
      warm: this.#host.warmer.status(),
      copiedSnippet: this.#copiedSnippet,
    });
  }

  settings(): Readonly<Settings> {
    return this.#settings;
  }

  /** The running proxy's status; null while it is stopped. */
  proxyStatus(): ProxyStatus | null {
    return this.#runner.status();
  }

  /** Every completed call, from whichever proxy served it; returns the unsubscribe function. */
  onCall(listener: (record: CallRecord) => void): () => void {
    this.on('call', listener);
    return () => this.off('call', listener);
  }

  /** Calls in flight starting, getting their first token and ending; returns the unsubscribe function. */
  onInFlight(listener: (event: InFlightEvent) => void): () => void {
    this.on('in-flight', listener);
    return () => this.off('in-flight', listener);
  }

  /** Warm-ups as they start and end; returns the unsubscribe function. */
  onWarmUp(listener: (record: WarmUpRecord) => void): () => void {
    this.on('warm-up', listener);
    return () => this.off('warm-up', listener);
  }

  /** Re-reads launch-at-login from the OS, which the user may have changed in System Settings. */
  async refreshLoginItem(): Promise<void> {
    const enabled = await this.#loginItem.refresh();
    if (enabled !== null && enabled !== this.#settings.launchAtLogin) this.#write({ launchAtLogin: enabled });
  }

  /** Carries out a menu action. Failures are shown as notifications: a menu click has nobody to return an error to. */
  async dispatch(action: MenuAction): Promise<void> {
    try {
      await this.#perform(action);
    } catch (error) {
      this.#notify(messageOf(error));
    }
  }

  /** Validates and applies an edit from the Settings window; nothing is saved unless all of it can be applied. */
  applySettings(patch: Partial<Settings>): Promise<ApplyOutcome> {
    return this.#serial(() => this.#apply(patch));
  }

  async #perform(action: MenuAction): Promise<void> {
    if (this.#shuttingDown) return;
    switch (action.type) {
      case 'start-proxy':
        return this.#serial(async () => {
          this.#write({ proxyEnabled: true });
          await this.#runner.start(this.#settings);
        });
      case 'stop-proxy':
        return this.#serial(async () => {
          this.#write({ proxyEnabled: false });
          this.#runner.stop(STOP_GRACE_MS);
        });
      case 'set-stabilize':
        return this.#applyFromMenu({ rewrite: action.enabled ? this.#stabilizeMode : 'off' });
      case 'set-rewrite-mode':
        return this.#applyFromMenu({ rewrite: action.mode });
      case 'set-bare':
        return this.#applyFromMenu({ bare: action.enabled });
      case 'select-model':
        return this.#applyFromMenu({ model: action.model });
      case 'set-keep-loaded':
        return this.#applyFromMenu({ keepModelLoaded: action.enabled });
      case 'set-warm':
        return this.#applyFromMenu({ warm: action.setting });
      case 'set-launch-at-login':
        return this.#applyFromMenu({ launchAtLogin: action.enabled });
      case 'copy-snippet':
        return this.#copySnippet(action.shell);
      case 'open-login-items-settings':
        return this.#platform.openUrl(LOGIN_ITEMS_SETTINGS_URL);
      case 'open-ollama-download':
        return this.#platform.openUrl(OLLAMA_DOWNLOAD_URL);
      case 'open-config-file':
        return this.#platform.openPath(this.#store.path);
      case 'open-activity':
        return this.#platform.openActivity();
      case 'quit':
        return this.#platform.quit();
    }
  }

  async #applyFromMenu(patch: Partial<Settings>): Promise<void> {
    const result = await this.applySettings(patch);
    if (!result.ok) throw new Error(result.errors.map((error) => error.message).join(' '));
  }

  async #copySnippet(shell: Shell): Promise<void> {
    const { port, host, model, bare, subagentModel } = this.#settings;
    const window = this.#host.session.window(model);
    await this.#platform.writeClipboard(claudelSnippet({ shell, port, host, model, bare, subagentModel, window }));
    this.#copiedSnippet = snippetInputs(this.#settings, window);
    this.#emitState();
    const where = shell === 'fish' ? '~/.config/fish/functions/claudel.fish' : shell === 'zsh' ? '~/.zshrc' : '~/.bashrc';
    this.#notify(`Copied the claudel function for ${shell}. Paste it into ${where}, open a new terminal, and run claudel.`);
  }

  async #apply(patch: Partial<Settings>): Promise<ApplyOutcome> {
    if (this.#shuttingDown) return { ok: false, errors: [{ field: '', message: 'The app is quitting.' }] };
    const verdict = checkSettingsPatch(this.#settings, patch);
    if (!verdict.ok) return verdict;
    if (verdict.changed.length === 0) return { ok: true };
    const previous = this.#settings;
    const next = verdict.next;
    const changed = new Set(verdict.changed);

    // The login item first: it is the step most likely to be refused, and the easiest to undo.
    if (changed.has('launchAtLogin')) {
      const failure = await this.#loginItem.set(next.launchAtLogin);
      if (failure) return { ok: false, errors: [failure] };
    }
    if (this.#started && next.proxyEnabled && (!previous.proxyEnabled || needsRestart(previous, next))) {
      const failure = await this.#runner.replace(previous, next);
      if (failure) {
        if (changed.has('launchAtLogin')) await this.#loginItem.set(previous.launchAtLogin);
        return { ok: false, errors: [failure] };
      }
    }
    if (!next.proxyEnabled && this.#runner.run.state !== 'stopped') this.#runner.stop(STOP_GRACE_MS);

    this.#write(Object.fromEntries(verdict.changed.map((key) => [key, next[key]])));
    if (changed.has('inlineSystem')) this.#runner.setInlineSystem(next.inlineSystem);
    if (changed.has('rewrite')) {
      this.#runner.setRewriteMode(next.rewrite);
      if (next.rewrite !== 'off') this.#stabilizeMode = next.rewrite;
    }
    this.#backend.reconfigure(this.#settings, this.#host.reconfigure(this.#hostConfig()));
    this.#emitState();
    return { ok: true };
  }

  #onCall(record: CallRecord): void {
    this.#lastCall = { reuse: record.reuse, bust: record.bust };
    this.emit('call', record);
    this.#emitState();
  }

  #hostConfig(): HostConfig {
    return hostConfigFromSettings(this.#settings, snippetShell(this.#settings, this.#shellPath, this.#os));
  }

  #write(patch: Partial<Settings>): void {
    this.#store.set(patch);
    this.#settings = this.#store.store;
    this.emit('settings', this.#settings);
  }

  #notify(body: string): void {
    this.#platform.notify({ title: APP_TITLE, body });
  }

  #emitState(): void {
    this.emit('state', this.state());
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createAppController(options: AppControllerOptions): AppController {
  return new AppController(options);
}
