// The one place a proxy is put together with what runs beside it: the backend
// session (monitor, models answered, context window) it reads, and the
// Activity page it serves with the claudel snippet of these settings. The CLI
// runs one proxy from it; the app asks it for a new proxy on every restart.
import type { Clock } from '../backends/clock.js';
import type { ProxyOptions } from '../proxy/types.js';
import { createProxy, type ProxyServer } from '../proxy/server.js';
import type { Settings } from '../settings/schema.js';
import type { Shell } from '../snippet/shells.js';
import { uiRoutes, type PageSnippet } from '../ui/routes.js';
import { proxyOptionsFromSettings } from '../proxy/options-from-settings.js';
import { backendFromSettings } from '../backends/upstream.js';
import { BackendSession, type SessionConfig } from './backend-session.js';

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
}

/** The host's configuration as the settings file describes it; `shell` is the settings' shell, resolved. */
export function hostConfigFromSettings(settings: Readonly<Settings>, shell: Shell): HostConfig {
  return {
    proxy: proxyOptionsFromSettings(settings),
    backend: backendFromSettings(settings.backend, settings.router === 'none' ? null : settings.router),
    model: settings.model,
    contextTokens: settings.contextTokens,
    snippet: { bare: settings.bare, subagentModel: settings.subagentModel, shell },
  };
}

export class ProxyHost {
  readonly session: BackendSession;
  #config: HostConfig;

  constructor(config: HostConfig, options: { readonly fetch?: typeof fetch; readonly clock?: Clock } = {}) {
    this.#config = config;
    this.session = new BackendSession(config, options);
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
    return this.session.reconfigure(config);
  }

  /** A proxy built from `options` (default: the host's), reading the session and serving the Activity page. */
  createProxy(options: ProxyOptions = this.#config.proxy): ProxyServer {
    const proxy = createProxy({
      ...options,
      backend: this.session.view,
      backendInfo: (model) => this.session.modelInfo(model),
      pages: [uiRoutes({ snippet: () => this.snippetSource() })],
    });
    // Registered first, so whoever listens next already sees the model as answered.
    proxy.on('call', (record) => this.session.noteCall(record));
    return proxy;
  }

  /** Everything the snippet is written from but the address, which the page's request tells. */
  snippetSource(): PageSnippet {
    const { model, snippet } = this.#config;
    return { model, bare: snippet.bare, subagentModel: snippet.subagentModel, shell: snippet.shell, window: this.session.window(model) };
  }

  start(): void {
    this.session.start();
  }

  stop(): void {
    this.session.stop();
  }
}
