// The bridge for a browser pointed at the headless proxy: read-only, over the
// proxy's own status and events APIs (same origin, so its guard lets us in).
import type { CallRecord, InFlightCall, InFlightEvent, InFlightEventType, ProxyStatus, WarmUpRecord } from '../main/core/wire/types.js';
import type { FeedState, SnippetView, UiBridge } from '../main/core/ui/bridge.js';
import { Listeners } from './listeners.js';

/** After a failure EventSource does not retry (e.g. something else answered on the port), start over this much later. */
const RECONNECT_AFTER_CLOSE_MS = 2000;

const IN_FLIGHT_EVENTS: readonly InFlightEventType[] = ['call-start', 'first-token', 'call-end'];

async function getJson<T>(url: URL): Promise<T> {
  const response = await fetch(url, { cache: 'no-store', headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url.pathname} answered ${response.status}`);
  return await response.json() as T;
}

function readOnly(): Promise<never> {
  return Promise.reject(new Error('Settings can only be changed in the app.'));
}

/** `pageUrl` is the page's own directory, /_proxy/ui/. */
export function createHttpBridge(pageUrl: URL): UiBridge {
  const statusUrl = new URL('../status', pageUrl);
  const eventsUrl = new URL('../events', pageUrl);
  const snippetUrl = new URL('snippet', pageUrl);
  const calls = new Listeners<CallRecord>();
  const inFlight = new Listeners<InFlightEvent>();
  const warmUps = new Listeners<WarmUpRecord>();
  const resets = new Listeners<null>();
  const feed = new Listeners<FeedState>();
  let feedState: FeedState = 'reconnecting';

  const setFeedState = (state: FeedState): void => {
    if (state === feedState) return;
    feedState = state;
    feed.emit(state);
  };

  const connect = (): void => {
    const source = new EventSource(eventsUrl);
    source.addEventListener('call', (event) => calls.emit(JSON.parse((event as MessageEvent<string>).data) as CallRecord));
    for (const type of IN_FLIGHT_EVENTS) {
      source.addEventListener(type, (event) => inFlight.emit({ type, call: JSON.parse((event as MessageEvent<string>).data) as InFlightCall }));
    }
    source.addEventListener('warm-up', (event) => warmUps.emit(JSON.parse((event as MessageEvent<string>).data) as WarmUpRecord));
    // Every (re)connection may follow a proxy restart or missed calls: have the page fetch the status again.
    source.addEventListener('open', () => {
      setFeedState('live');
      resets.emit(null);
    });
    source.addEventListener('error', () => {
      setFeedState('reconnecting');
      if (source.readyState !== EventSource.CLOSED) return; // the browser retries by itself
      source.close();
      setTimeout(connect, RECONNECT_AFTER_CLOSE_MS);
    });
  };
  connect();

  const snippet = (shell?: string): Promise<SnippetView> => {
    const url = new URL(snippetUrl);
    if (shell !== undefined) url.searchParams.set('shell', shell);
    return getJson<SnippetView>(url);
  };

  return {
    capabilities: { settings: false },
    getStatus: () => getJson<ProxyStatus>(statusUrl),
    onCall: (listener) => calls.add(listener),
    onInFlight: (listener) => inFlight.add(listener),
    onWarmUp: (listener) => warmUps.add(listener),
    onStatusReset: (listener) => resets.add(() => listener()),
    onFeedState: (listener) => {
      listener(feedState);
      return feed.add(listener);
    },
    getSnippet: snippet,
    copySnippet: async (shell) => navigator.clipboard.writeText((await snippet(shell)).text),
    getSettings: readOnly,
    validateSettings: readOnly,
    applySettings: readOnly,
  };
}
