// Pure: the pieces the controller tracks → the AppState the menu is built from.
import type { CallRecord, InFlightCall, WarmStatus } from '../wire/types.js';
import type { AppState, LoginItemView, ProxyRunState, SnippetState } from '../menu/types.js';
import { modelWindow } from '../backends/model-window.js';
import { windowMenuLabel } from '../snippet/context-window.js';
import type { SnippetInputs } from './snippet-freshness.js';
import { snippetInputs, snippetOutdated } from './snippet-freshness.js';
import type { KeepAliveState, BackendState } from '../backends/types.js';
import type { BackendInfo } from '../wire/types.js';
import type { Settings } from '../settings/schema.js';
import type { Shell } from '../snippet/shells.js';
import { resolveShell } from '../snippet/shells.js';

export interface ProxyRun {
  readonly state: ProxyRunState;
  /** Where it listens while running. */
  readonly address: { readonly host: string; readonly port: number } | null;
  readonly error?: string;
}

export interface AppStateParts {
  readonly settings: Readonly<Settings>;
  readonly proxy: ProxyRun;
  readonly backendState: BackendState;
  /** What answers at the target, as /_proxy/status shows it. */
  readonly backend?: BackendInfo;
  readonly keepAlive: KeepAliveState;
  readonly lastCall: Pick<CallRecord, 'reuse' | 'bust'> | null;
  readonly loginItem: LoginItemView;
  readonly shellPath: string | undefined;
  readonly os: NodeJS.Platform;
  readonly waiting?: InFlightCall | null;
  readonly warm?: WarmStatus | null;
  /** What the last copied claudel function was written from; null before the first copy. */
  readonly copiedSnippet?: SnippetInputs | null;
}

/** The snippet as the menu sees it: the window, whether Claude Code fits in it, whether the copy is stale. */
export function snippetState(settings: Readonly<Settings>, backend: BackendState, copied: SnippetInputs | null): SnippetState {
  const window = modelWindow(backend, settings.model, settings.contextTokens);
  return {
    window,
    tooSmall: window && windowMenuLabel(window, settings.bare),
    outdated: snippetOutdated(copied, snippetInputs(settings, window)),
  };
}

export function snippetShell(settings: Readonly<Settings>, shellPath: string | undefined, os: NodeJS.Platform): Shell {
  return resolveShell(settings.shell, shellPath, os);
}

export function buildAppState(parts: AppStateParts): AppState {
  const { settings, proxy, keepAlive } = parts;
  return {
    proxy: {
      state: proxy.state,
      host: proxy.address?.host ?? settings.host,
      port: proxy.address?.port ?? settings.port,
      target: settings.target,
      ...(proxy.error === undefined ? {} : { error: proxy.error }),
    },
    backendState: parts.backendState,
    ...(parts.backend ? { backend: parts.backend } : {}),
    keepAliveExpiresAt: keepAlive.enabled ? keepAlive.expiresAt : null,
    lastCall: parts.lastCall,
    settings: { rewrite: settings.rewrite, bare: settings.bare, model: settings.model, keepModelLoaded: settings.keepModelLoaded, warm: settings.warm },
    loginItem: parts.loginItem,
    shell: snippetShell(settings, parts.shellPath, parts.os),
    waiting: parts.waiting ?? null,
    warm: parts.warm ?? null,
    snippet: snippetState(settings, parts.backendState, parts.copiedSnippet ?? null),
  };
}
