// The one place a proxy is put together with what runs beside it: the backend
// session (monitor, models answered, context window) it reads, and the
// Activity page it serves with the claudel snippet of these settings. The CLI
// runs one proxy from it; the app asks it for a new proxy on every restart.
import { realClock, type Clock } from '../backends/clock.js';
import type { ProxyOptions } from '../proxy/types.js';
import { createProxy, type ProxyServer } from '../proxy/server.js';
import type { Settings } from '../settings/schema.js';
import type { Shell } from '../snippet/shells.js';
import { uiRoutes, type PageSnippet } from '../ui/routes.js';
import { proxyOptionsFromSettings } from '../proxy/options-from-settings.js';
import { backendFromSettings } from '../backends/upstream.js';
import { BackendSession, type SessionConfig } from './backend-session.js';
import { sameModel } from '../backends/model-name.js';
import { isLoopbackHost } from '../settings/validate.js';
import type { WarmSetting } from '../wire/types.js';
import { Warmer } from '../warm/warmer.js';
import { isClientStart } from '../warm/warm-triggers.js';
import { NO_WARM_STORE, type WarmStore } from '../warm/warm-store.js';

/** What the claudel snippet is written with besides the address, the model and its window. */
export interface SnippetSettings {
  readonly bare: boolean;
  readonly subagentModel: string;
  /** The user's shell, resolved (never 'auto'). */
  readonly shell: Shell;
}

export interface HostConfig extends SessionConfig {
  readonly proxy: ProxyOptions;
  readonly snippet: SnippetSettings;
  readonly warm: WarmSetting;
}

export interface HostOptions {
  readonly fetch?: typeof fetch;
  readonly clock?: Clock;
  /** Where warm start keeps the remembered prefix between runs (the settings folder); none by default. */
  readonly warmStore?: WarmStore;
  /** True on battery power, false on mains, null where the platform does not tell. */
  readonly onBattery?: () => boolean | null;
}

/** The host's configuration as the settings file describes it; `shell` is the settings' shell, resolved. */
export function hostConfigFromSettings(settings: Readonly<Settings>, shell: Shell): HostConfig {
  return {
    proxy: proxyOptionsFromSettings(settings),
    backend: backendFromSettings(settings.backend, settings.router === 'none' ? null : settings.router),
    model: settings.model,
    contextTokens: settings.contextTokens,
    snippet: { bare: settings.bare, subagentModel: settings.subagentModel, shell },
    warm: settings.warm,
  };
}

export class ProxyHost {
  readonly session: BackendSession;
  /** Warm start: lives as long as the host, across proxy restarts, like the session it watches through. */
  readonly warmer: Warmer;
  #config: HostConfig;

  constructor(config: HostConfig, options: HostOptions = {}) {
    this.#config = config;
    this.session = new BackendSession(config, options);
    this.warmer = new Warmer({
      backend: () => this.session.connection(),
      clock: options.clock ?? realClock,
      store: options.warmStore ?? NO_WARM_STORE,
      setting: config.warm,
      context: () => ({ backendKind: this.session.view.info().kind, sharedServer: !isLoopbackHost(this.#config.proxy.host) }),
      sameModel,
      ...(options.onBattery ? { onBattery: options.onBattery } : {}),
    });
    this.session.on('checked', (state) => this.warmer.backendLooked(state.status === 'up', state.loaded));
    this.session.followLoadedModels(config.warm !== 'off');
  }

  get config(): HostConfig {
    return this.#config;
  }

  /**
   * New settings: the session follows at once (returns whether it now watches
   * another backend); a proxy already built keeps its own options.
   */
  reconfigure(config: HostConfig): boolean {
    this.#config = config;
    this.warmer.setSetting(config.warm);
    this.session.followLoadedModels(config.warm !== 'off');
    return this.session.reconfigure(config);
  }

  /** A proxy built from `options` (default: the host's), reading the session and serving the Activity page. */
  createProxy(options: ProxyOptions = this.#config.proxy): ProxyServer {
    const proxy = createProxy({
      ...options,
      backend: this.session.view,
      backendInfo: (model) => this.session.modelInfo(model),
      pages: [uiRoutes({ snippet: () => this.snippetSource() })],
      warm: {
        status: () => this.warmer.status(),
        subscribe: (listener) => {
          this.warmer.on('warm-up', listener);
          return () => this.warmer.off('warm-up', listener);
        },
      },
    });
    // Registered first, so whoever listens next already sees the model as answered.
    proxy.on('call', (record) => this.session.noteCall(record));
    this.#warmWith(proxy);
    return proxy;
  }

  /** Everything the snippet is written from but the address, which the page's request tells. */
  snippetSource(): PageSnippet {
    const { model, snippet } = this.#config;
    return { model, bare: snippet.bare, subagentModel: snippet.subagentModel, shell: snippet.shell, window: this.session.window(model) };
  }

  start(): void {
    this.session.start();
    // A damaged or unreadable remembered prefix only means no warm-up at start.
    this.warmer.start().catch(() => undefined);
  }

  stop(): void {
    this.warmer.stop();
    this.session.stop();
  }

  /** Tells warm start what the proxy's calls do to the backend's slots; a user's call aborts a warm-up at once. */
  #warmWith(proxy: ProxyServer): void {
    proxy.on('in-flight', (event) => {
      if (event.type === 'call-start') this.warmer.callStarted(event.call.model ?? this.#config.model);
      else if (event.type === 'call-end') this.warmer.callFinished(event.call.model ?? this.#config.model);
    });
    const warmed = (json: string): void => proxy.noteWarmUp(Buffer.from(json, 'utf8'));
    this.warmer.on('warmed', warmed);
    proxy.once('stopped', () => this.warmer.off('warmed', warmed));
    // A refused request is no client of ours starting.
    proxy.on('request', (entry) => {
      if (isClientStart(entry.method, entry.path) && entry.status !== 401 && entry.status !== 403) this.warmer.clientStarting();
    });
    proxy.on('call', (record, forwarded) => this.warmer.callAnswered({
      model: record.model ?? this.#config.model,
      main: !record.sideCall && record.agent === null,
      answered: record.answered,
      ...(record.mainKept === undefined ? {} : { keepsMain: record.mainKept }),
      body: () => forwarded.parse(),
    }));
  }
}
