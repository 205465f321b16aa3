// The app window's side of the bridge. Sandboxed preloads run as CommonJS and
// may require only `electron` (and a few built-ins), so this file is
// self-contained: the contract comes from main/core/ui/bridge.ts as types,
// and the channel names are checked against them by the compiler.
// CommonJS with verbatimModuleSyntax allows no ESM import syntax for runtime values.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import electron = require('electron');
import type {
  FeedState, UiBridge, UiChannelPrefix, UiGlobalName, UiPushChannel, UiPushEvents, UiRequestChannel, UiRequestMethod,
} from '../main/core/ui/bridge.js';

const { contextBridge, ipcRenderer } = electron;

const PREFIX: UiChannelPrefix = 'llm-cache-proxy:';
const GLOBAL_NAME: UiGlobalName = 'llmCacheProxy';

function request<M extends UiRequestMethod>(method: M, ...args: unknown[]): Promise<Awaited<ReturnType<UiBridge[M]>>> {
  const channel: UiRequestChannel<M> = `${PREFIX}${method}`;
  return ipcRenderer.invoke(channel, ...args) as Promise<Awaited<ReturnType<UiBridge[M]>>>;
}

/** The page's listener gets the payload only, never the IPC event (which would hand it `sender`). */
function subscribe<E extends keyof UiPushEvents>(event: E, listener: (payload: UiPushEvents[E]) => void): () => void {
  const channel: UiPushChannel<E> = `${PREFIX}${event}`;
  const forward = (_event: unknown, payload: UiPushEvents[E]): void => listener(payload);
  ipcRenderer.on(channel, forward);
  return () => {
    ipcRenderer.removeListener(channel, forward);
  };
}

const bridge: UiBridge = {
  capabilities: { settings: true },
  getStatus: () => request('getStatus'),
  onCall: (listener) => subscribe('call', listener),
  onInFlight: (listener) => subscribe('in-flight', listener),
  onWarmUp: (listener) => subscribe('warm-up', listener),
  onStatusReset: (listener) => subscribe('status-reset', () => listener()),
  onFeedState: (listener) => {
    // The main process announces changes; the state right now follows from the status.
    void request('getStatus').then((status): void => listener(status === null ? 'stopped' : 'live'), (): void => listener('stopped' satisfies FeedState));
    return subscribe('feed-state', listener);
  },
  getSnippet: (shell) => request('getSnippet', shell),
  copySnippet: (shell) => request('copySnippet', shell),
  getSettings: () => request('getSettings'),
  validateSettings: (patch) => request('validateSettings', patch),
  applySettings: (patch) => request('applySettings', patch),
};

contextBridge.exposeInMainWorld(GLOBAL_NAME, bridge);
