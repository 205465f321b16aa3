// The menu-bar app's brain, free of Electron: it owns the proxy, the Ollama
// monitor and keep-alive, and the settings file; it turns all of them into one
// AppState for the tray and the window, and carries out the menu's actions.
// The Electron glue only forwards clicks here and renders what comes back.
import { EventEmitter } from 'node:events';
import type { CallRecord, InFlightEvent, ProxyStatus } from '../diagnostics/types.js';
import type { AppState, LoginItemRefusal, LoginItemView, MenuAction } from '../menu/types.js';
import type { Clock } from '../backends/clock.js';
import { realClock } from '../backends/clock.js';
import type { KeepAlive } from '../backends/keep-alive.js';
import { createKeepAlive } from '../backends/keep-alive.js';
import type { OllamaStatus } from '../backends/types.js';
import { proxyOptionsFromSettings } from '../proxy/options-from-settings.js';
import type { ProxyController, ProxyOptions } from '../proxy/types.js';
import { hostConfigFromSettings, ProxyHost, type HostConfig } from '../host/proxy-host.js';
import type { RewriteMode } from '../rewrite/types.js';
import type { Settings } from '../settings/schema.js';
import { claudelSnippet } from '../snippet/claudel.js';
import type { Shell } from '../snippet/shells.js';
import type { ProxyRun } from './app-state.js';
import { buildAppState, snippetShell } from './app-state.js';
import { APP_TITLE, LOGIN_ITEMS_SETTINGS_URL, OLLAMA_DOWNLOAD_URL } from './links.js';
import { isPortBusy, listenFailure, needsRestart } from './proxy-config.js';
import { checkSettingsPatch } from './settings-patch.js';
import { WaitWatch } from './wait-watch.js';
import type { SnippetInputs } from './snippet-freshness.js';
import { snippetInputs } from './snippet-freshness.js';
import type {
  AppControllerEvents, AppControllerOptions, ApplySettingsResult, FieldError, LoginItemService, PlatformServices, SettingsStore,
} from './types.js';

/** A stop from the menu still lets the answer being streamed finish, briefly. */
const STOP_GRACE_MS = 5000;
/**
 * A settings change replaces the proxy; the old one keeps serving its streams
 * (a local model can take minutes to answer) while the new one takes new calls.
 */
const RESTART_GRACE_MS = 10 * 60_000;
const UNKNOWN_REFUSAL: LoginItemRefusal = {
  reason: 'The operating system did not register the login item.',
  remedy: 'Check the login items in your system settings.',
};

/** Sent as Ollama's keep_alive while "Keep model loaded" is on. */
const KEEP_ALIVE = '60m';

type StabilizeMode = Exclude<RewriteMode, 'off'>;

export class AppController extends EventEmitter<AppControllerEvents> {
  readonly #store: SettingsStore;
  readonly #platform: PlatformServices;
  readonly #loginItemService: LoginItemService;
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  readonly #shellPath: string | undefined;
  readonly #os: NodeJS.Platform;

  #settings: Readonly<Settings>;
  #proxy: ProxyController | null = null;
  #proxyRun: ProxyRun = { state: 'stopped', address: null };
  /** Replaced or stopped proxies still finishing their streams, with how to stop listening to them. */
  readonly #retiring = new Map<ProxyController, Promise<void>>();
  readonly #detach = new Map<ProxyController, () => void>();
  readonly #host: ProxyHost;
  #keepAlive: KeepAlive;
  #backendStatus: OllamaStatus = 'unknown';
  #loginItem: LoginItemView;
  #lastCall: Pick<CallRecord, 'reuse' | 'bust'> | null = null;
  /** What "Stabilize prompt cache" turns back on after it was switched off. */
  #stabilizeMode: StabilizeMode;
  #started = false;
  #shuttingDown = false;
  /** Changes to the proxy and the settings run one at a time, so double clicks cannot interleave restarts. */
  #queue: Promise<unknown> = Promise.resolve();
  readonly #wait: WaitWatch;
  /** Numbers each proxy instance, whose call ids start from 1 again. */
  #proxySerial = 0;
  /** What the last copied claudel function was written from, so the menu can say when it goes stale. */
  #copiedSnippet: SnippetInputs | null = null;

  constructor(options: AppControllerOptions) {
    super();
    this.#store = options.settings;
    this.#platform = options.platform;
    this.#loginItemService = options.loginItem;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#clock = options.clock ?? realClock;
    this.#shellPath = options.shellPath;
    this.#os = options.os ?? process.platform;
    this.#settings = this.#store.store;
    this.#stabilizeMode = this.#settings.rewrite === 'off' ? 'drop' : this.#settings.rewrite;
    this.#loginItem = { supported: options.loginItem.supported, enabled: false, requiresApproval: false };
    this.#host = new ProxyHost(this.#hostConfig(), { fetch: this.#fetch, clock: this.#clock });
    this.#keepAlive = this.#newKeepAlive();
    this.#followBackend();
    this.#wait = new WaitWatch(this.#clock, () => this.#emitState());
  }

  /** Starts watching Ollama and, unless the user stopped it last time, the proxy. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#host.start();
    this.#syncKeepAlive();
    await this.refreshLoginItem().catch((error: unknown) => this.#notify(`Could not read the launch-at-login setting: ${messageOf(error)}`));
    if (this.#settings.proxyEnabled) await this.#serial(() => this.#startProxy());
    this.#emitState();
  }

  /** Stops everything; streams in flight get up to graceMs to finish. Settings are kept as they are. */
  async shutdown(graceMs = 5000): Promise<void> {
    this.#shuttingDown = true;
    await this.#queue;
    this.#host.stop();
    this.#keepAlive.setEnabled(false);
    this.#wait.stop();
    // Stopping again shortens the long grace of proxies still draining from a restart.
    const draining = [...this.#retiring.keys()];
    const proxy = this.#proxy;
    this.#proxy = null;
    if (proxy) this.#retire(proxy, graceMs);
    await Promise.all(draining.map((retired) => retired.stop(graceMs)));
    await Promise.all(this.#retiring.values());
  }

  state(): AppState {
    return buildAppState({
      settings: this.#settings,
      proxy: this.#proxyRun,
      ollama: this.#host.session.state,
      backend: this.#host.session.view.info(),
      keepAlive: this.#keepAlive.state,
      lastCall: this.#lastCall,
      loginItem: this.#loginItem,
      shellPath: this.#shellPath,
      os: this.#os,
      waiting: this.#wait.current(),
      copiedSnippet: this.#copiedSnippet,
    });
  }

  settings(): Readonly<Settings> {
    return this.#settings;
  }

  /** The running proxy's status; null while it is stopped. */
  proxyStatus(): ProxyStatus | null {
    return this.#proxy?.status() ?? null;
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

  /** Re-reads launch-at-login from the OS, which the user may have changed in System Settings. */
  async refreshLoginItem(): Promise<void> {
    if (!this.#loginItemService.supported) return;
    const status = await this.#loginItemService.get();
    const changed = status.enabled !== this.#loginItem.enabled || status.requiresApproval !== this.#loginItem.requiresApproval;
    // The reason it was refused stays on show until the item is on.
    const refused = status.enabled ? undefined : this.#loginItem.refused;
    this.#loginItem = { supported: true, ...status, ...(refused ? { refused } : {}) };
    if (status.enabled !== this.#settings.launchAtLogin) this.#write({ launchAtLogin: status.enabled });
    if (changed) this.#emitState();
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
  applySettings(patch: Partial<Settings>): Promise<ApplySettingsResult> {
    return this.#serial(() => this.#apply(patch));
  }

  async #perform(action: MenuAction): Promise<void> {
    if (this.#shuttingDown) return;
    switch (action.type) {
      case 'start-proxy':
        return this.#serial(async () => {
          this.#write({ proxyEnabled: true });
          await this.#startProxy();
        });
      case 'stop-proxy':
        return this.#serial(async () => {
          this.#write({ proxyEnabled: false });
          this.#stopProxy(STOP_GRACE_MS);
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

  async #apply(patch: Partial<Settings>): Promise<ApplySettingsResult> {
    if (this.#shuttingDown) return { ok: false, errors: [{ field: '', message: 'The app is quitting.' }] };
    const verdict = checkSettingsPatch(this.#settings, patch);
    if (!verdict.ok) return verdict;
    if (verdict.changed.length === 0) return { ok: true };
    const previous = this.#settings;
    const next = verdict.next;
    const changed = new Set(verdict.changed);

    // The login item first: it is the step most likely to be refused, and the easiest to undo.
    if (changed.has('launchAtLogin')) {
      const failure = await this.#setLoginItem(next.launchAtLogin);
      if (failure) return { ok: false, errors: [failure] };
    }
    if (this.#started && next.proxyEnabled && (!previous.proxyEnabled || needsRestart(previous, next))) {
      const failure = await this.#replaceProxy(previous, next);
      if (failure) {
        if (changed.has('launchAtLogin')) await this.#setLoginItem(previous.launchAtLogin);
        return { ok: false, errors: [failure] };
      }
    }
    if (!next.proxyEnabled && this.#proxyRun.state !== 'stopped') this.#stopProxy(STOP_GRACE_MS);

    this.#write(Object.fromEntries(verdict.changed.map((key) => [key, next[key]])));
    if (changed.has('inlineSystem')) this.#proxy?.setInlineSystem(next.inlineSystem);
    if (changed.has('rewrite')) {
      this.#proxy?.setRewriteMode(next.rewrite);
      if (next.rewrite !== 'off') this.#stabilizeMode = next.rewrite;
    }
    const before = this.#host.session.watch;
    this.#host.reconfigure(this.#hostConfig());
    if (this.#host.session.watch !== before) {
      // Another backend: what was known of the old one, and its keep-alive, no longer apply.
      this.#backendStatus = 'unknown';
      this.#keepAlive.setEnabled(false);
      this.#keepAlive = this.#newKeepAlive();
      this.#syncKeepAlive();
    } else {
      if (changed.has('model')) this.#keepAlive.setModel(next.model);
      if (changed.has('keepModelLoaded')) this.#syncKeepAlive();
    }
    this.#emitState();
    return { ok: true };
  }

  async #setLoginItem(enabled: boolean): Promise<FieldError | null> {
    if (!this.#loginItemService.supported) {
      return enabled ? { field: 'launchAtLogin', message: 'Launch at login is not available for this copy of the app.' } : null;
    }
    try {
      await this.#loginItemService.set(enabled);
      await this.refreshLoginItem();
    } catch (error) {
      return { field: 'launchAtLogin', message: `Could not change launch at login: ${messageOf(error)}` };
    }
    // macOS answers a login item it will not register with silence: only reading it back tells.
    if (!enabled || this.#loginItem.enabled) {
      if (this.#loginItem.refused) {
        const { supported, enabled: on, requiresApproval } = this.#loginItem;
        this.#loginItem = { supported, enabled: on, requiresApproval };
        this.#emitState();
      }
      return null;
    }
    const refused = this.#loginItemService.refusal?.() ?? UNKNOWN_REFUSAL;
    this.#loginItem = { ...this.#loginItem, refused };
    this.#emitState();
    return { field: 'launchAtLogin', message: `Launch at login did not take effect. ${refused.reason} ${refused.remedy}` };
  }

  /** Starts the proxy from the stored settings; a failure becomes state (and a notification), never an exception. */
  async #startProxy(): Promise<void> {
    if (this.#proxy) return;
    const { host, port } = this.#settings;
    try {
      this.#proxy = await this.#listen(proxyOptionsFromSettings(this.#settings));
    } catch (error) {
      this.#proxyRun = failedRun(error, host, port);
      this.#notify(listenFailure(error, host, port).message);
    }
    this.#emitState();
  }

  /**
   * Swaps in a proxy built from `next` without cutting streams in flight. On a
   * new port the new proxy starts first, so a busy port leaves the old one
   * serving; on the same port the old one must stop accepting first (it closes
   * its listener before draining), and is started again if the new one fails.
   */
  async #replaceProxy(previous: Readonly<Settings>, next: Readonly<Settings>): Promise<FieldError | null> {
    const old = this.#proxy;
    const samePort = old !== null && previous.port === next.port;
    if (old && samePort) {
      this.#proxy = null;
      this.#retire(old, RESTART_GRACE_MS);
    }
    try {
      this.#proxy = await this.#listen(proxyOptionsFromSettings(next));
    } catch (error) {
      if (samePort) {
        this.#proxy = await this.#listen(proxyOptionsFromSettings(previous)).catch((again: unknown) => {
          this.#proxyRun = failedRun(again, previous.host, previous.port);
          return null;
        });
      }
      this.#emitState();
      return listenFailure(error, next.host, next.port);
    }
    if (old && !samePort) this.#retire(old, RESTART_GRACE_MS);
    this.#emitState();
    return null;
  }

  async #listen(options: ProxyOptions): Promise<ProxyController> {
    // The host's session reads whichever watch is current, so a proxy outlives a change of backend settings.
    const proxy = this.#host.createProxy(options);
    const serial = ++this.#proxySerial;
    const onCall = (record: CallRecord): void => this.#onCall(record);
    const onInFlight = (event: InFlightEvent): void => {
      this.#wait.apply(serial, event);
      this.emit('in-flight', event);
    };
    proxy.on('call', onCall);
    proxy.on('in-flight', onInFlight);
    const detach = (): void => {
      proxy.off('call', onCall);
      proxy.off('in-flight', onInFlight);
    };
    try {
      const address = await proxy.start();
      this.#detach.set(proxy, detach);
      this.#proxyRun = { state: 'running', address };
      return proxy;
    } catch (error) {
      detach();
      throw error;
    }
  }

  #stopProxy(graceMs: number): void {
    const proxy = this.#proxy;
    this.#proxy = null;
    if (proxy) this.#retire(proxy, graceMs);
    this.#proxyRun = { state: 'stopped', address: null };
    this.#emitState();
  }

  /** Stops accepting at once; the streams it serves finish in the background (their calls still reported). */
  #retire(proxy: ProxyController, graceMs: number): void {
    const done = proxy.stop(graceMs).catch(() => undefined).finally(() => {
      this.#detach.get(proxy)?.();
      this.#detach.delete(proxy);
      this.#retiring.delete(proxy);
    });
    this.#retiring.set(proxy, done);
  }

  #onCall(record: CallRecord): void {
    this.#lastCall = { reuse: record.reuse, bust: record.bust };
    this.emit('call', record);
    this.#emitState();
  }

  #hostConfig(): HostConfig {
    return hostConfigFromSettings(this.#settings, snippetShell(this.#settings, this.#shellPath, this.#os));
  }

  #newKeepAlive(): KeepAlive {
    const { target, model } = this.#settings;
    const keepAlive = createKeepAlive({ target, fetch: this.#fetch, clock: this.#clock, model, keepAlive: KEEP_ALIVE });
    keepAlive.on('changed', () => this.#emitState());
    return keepAlive;
  }

  /** The session's events outlive a change of backend: they come from whichever watch is current. */
  #followBackend(): void {
    const session = this.#host.session;
    session.on('up', () => {
      this.#backendStatus = 'up';
      // Ollama may have restarted and forgotten the model; keep-alive is Ollama's own API.
      if (session.profile?.kind === 'ollama') void this.#keepAlive.renew();
    });
    session.on('down', (state) => {
      const name = session.profile?.label ?? 'The backend';
      if (this.#backendStatus === 'up') this.#notify(`${name} stopped answering at ${this.#settings.target}${state.error ? ` (${state.error})` : ''}. Calls through the proxy will fail until it is back.`);
      this.#backendStatus = 'down';
    });
    session.on('changed', () => {
      this.#syncKeepAlive();
      this.#emitState();
    });
    session.on('notice', (message) => this.#notify(message));
  }

  /**
   * Keep-alive is Ollama's own API: it runs once Ollama is found (or named)
   * at the target, never against another engine, which would answer it with errors.
   */
  #syncKeepAlive(): void {
    const kind = this.#host.session.state.kind;
    const ollama = kind === 'ollama' || (kind === undefined && this.#settings.backend === 'ollama');
    this.#keepAlive.setEnabled(this.#started && !this.#shuttingDown && this.#settings.keepModelLoaded && ollama);
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

function failedRun(error: unknown, host: string, port: number): ProxyRun {
  return isPortBusy(error)
    ? { state: 'port-busy', address: null }
    : { state: 'error', address: null, error: listenFailure(error, host, port).message };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createAppController(options: AppControllerOptions): AppController {
  return new AppController(options);
}
