// The page's entry: picks the bridge (the app's preload, else HTTP to the
// proxy that served the page), and wires the views to it.
import type { ProxyStatus } from '../main/core/wire/types.js';
import type { FeedState, UiBridge, UiGlobalName } from '../main/core/ui/bridge.js';
import { ActivityView } from './activity-view.js';
import { CallStore } from './call-store.js';
import { backendLine } from './backend-text.js';
import { byId, h, replaceChildren } from './dom.js';
import { createHttpBridge } from './http-bridge.js';
import { SettingsView } from './settings-view.js';
import { SnippetPanel } from './snippet-panel.js';
import { Tabs } from './tabs.js';
import { InFlightView } from './in-flight-view.js';
import { WarmView } from './warm-view.js';

declare global {
  interface Window {
    readonly llmCacheProxy?: UiBridge;
  }
}

const GLOBAL_NAME: UiGlobalName = 'llmCacheProxy';
const bridge: UiBridge = window[GLOBAL_NAME] ?? createHttpBridge(new URL('./', location.href));

const FEED_TEXT: Readonly<Record<FeedState, string>> = {
  live: 'live',
  reconnecting: 'connecting…',
  stopped: 'proxy stopped',
};

function showFeed(state: FeedState): void {
  const pill = byId('feed-state');
  pill.textContent = FEED_TEXT[state];
  pill.dataset['state'] = state;
}

function showSummary(status: ProxyStatus | null): void {
  const summary = byId('proxy-summary');
  if (status === null) {
    replaceChildren(summary, 'The proxy is stopped.');
    return;
  }
  const where = status.listening ? `${status.listening.host}:${status.listening.port}` : 'not listening';
  replaceChildren(summary,
    `v${status.version} · ${where} → ${status.target} · rewrite `,
    h('span', { class: status.rewrite === 'off' ? 'warn' : '' }, status.rewrite),
    ` · ${status.slots} cache slot${status.slots === 1 ? '' : 's'} · `,
    h('span', { class: 'backend', 'data-status': status.backend?.status ?? 'none' }, backendLine(status.backend)));
}

const store = new CallStore();
new ActivityView(store);
const inFlight = new InFlightView();
const warm = new WarmView();

async function refresh(): Promise<void> {
  const token = store.beginRefresh();
  const inFlightToken = inFlight.beginRefresh();
  let status: ProxyStatus | null;
  try {
    status = await bridge.getStatus();
  } catch {
    // Unreachable: the feed's reconnection triggers the next refresh.
    store.keep(token);
    showFeed('reconnecting');
    return;
  }
  showSummary(status);
  // A stopped proxy has no log to show; the calls it served stay on the page until one starts.
  if (status === null) store.keep(token);
  else store.replace(token, status.recent);
  inFlight.replace(inFlightToken, status?.inFlight ?? []);
  warm.replace(status?.warm ?? null);
}

bridge.onCall((record) => {
  inFlight.completed(record.id);
  store.add(record);
});
bridge.onInFlight((event) => inFlight.apply(event));
bridge.onWarmUp((record) => warm.apply(record));
bridge.onStatusReset(() => void refresh());
bridge.onFeedState(showFeed);
void refresh();

const emptySnippet = new SnippetPanel(bridge, 'empty');
byId('empty-snippet').append(emptySnippet.element);
void emptySnippet.load();

const snippet = new SnippetPanel(bridge, 'snippet');
byId('snippet-panel').append(snippet.element);

const settings = bridge.capabilities.settings ? new SettingsView(bridge) : null;
byId('tab-settings').hidden = settings === null;

new Tabs(byId('tabs'), (view) => {
  if (view === 'snippet') void snippet.load();
  if (view === 'settings') void settings?.refresh();
}).start();
