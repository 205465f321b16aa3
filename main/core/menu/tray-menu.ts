// App state → tray menu, icon and tooltip. Pure: no Electron, no clock, no I/O.
import type { AppState, MenuAction, MenuItemModel, TrayIconVariant } from './types.js';
import type { RewriteMode } from '../rewrite/types.js';
import type { LoadedModel } from '../backends/types.js';
import type { Shell } from '../snippet/shells.js';
import { sameModel } from '../backends/model-name.js';
import { PROFILES } from '../backends/detect.js';
import { clockTime, contextSize, hostOf, hostPort } from './format.js';
import { percent } from '../diagnostics/percent.js';
import { waitView, warmUpLine } from '../wait/wait-view.js';
import type { WarmSetting } from '../wire/types.js';

/** Ollama sets a negative keep_alive's expiry centuries ahead; past this it reads as "kept loaded". */
const FOREVER_MS = 10 * 365 * 24 * 3_600_000;

const WARM_CHOICES: readonly { setting: WarmSetting; label: string }[] = [
  { setting: 'auto', label: 'Automatic (off behind a router or shared server)' },
  { setting: 'idle', label: 'While the model is loaded' },
  { setting: 'on', label: 'Always, loading the model at start' },
  { setting: 'off', label: 'Off' },
];

const STABILIZE_MODES: readonly { mode: Exclude<RewriteMode, 'off'>; label: string }[] = [
  { mode: 'drop', label: 'Drop billing header (recommended)' },
  { mode: 'normalize', label: 'Normalize billing header' },
];

export function buildTrayMenu(state: AppState): MenuItemModel[] {
  const groups: MenuItemModel[][] = [
    statusItems(state),
    [proxyToggle(state)],
    [...stabilizeItems(state), bareItem(state), modelMenu(state)],
    [...windowItems(state), ...snippetItems(state.shell)],
    [keepLoadedItem(state), warmMenu(state), ...loginItems(state)],
    [action('open-activity', 'Open Activity…', { type: 'open-activity' }), action('open-config-file', 'Open Config File', { type: 'open-config-file' })],
    [action('quit', 'Quit', { type: 'quit' })],
  ];
  return groups.flatMap((group, i) => (i === 0 ? group : [separator(i), ...group]));
}

export function trayIconVariant(state: AppState): TrayIconVariant {
  switch (state.proxy.state) {
    case 'stopped':
      return 'stopped';
    case 'running':
      // Running but with nothing behind it: every call would fail.
      return state.backendState.status === 'down' ? 'error' : 'running';
    default:
      return 'error';
  }
}

/**
 * Text beside the menu-bar icon (macOS): while a call has waited more than a
 * few seconds for its first token, the time left ("~40 s"), or the time
 * waited when there is no estimate; empty otherwise.
 */
export function trayTitle(state: AppState): string {
  return state.waiting ? waitView(state.waiting).short : '';
}

function waitLabel(state: AppState): string | null {
  return state.waiting ? waitView(state.waiting).line : null;
}

export function tooltip(state: AppState): string {
  const lines = ['llm-cache-proxy', proxyStatusLabel(state), ollamaStatusLabel(state)];
  const wait = waitLabel(state);
  if (wait) lines.splice(1, 0, wait);
  const lastCall = lastCallLabel(state);
  if (lastCall) lines.push(lastCall);
  return lines.join('\n');
}

function statusItems(state: AppState): MenuItemModel[] {
  const items = [info('proxy-status', proxyStatusLabel(state)), info('backend-status', ollamaStatusLabel(state))];
  const wait = waitLabel(state);
  if (wait) items.unshift(info('wait', wait));
  // Offered where Ollama is what is missing, not when another engine was named.
  if (state.backendState.status === 'down' && (state.backendState.kind ?? 'ollama') === 'ollama') items.push(action('ollama-download', 'Download Ollama…', { type: 'open-ollama-download' }));
  const lastCall = lastCallLabel(state);
  if (lastCall) items.push(info('last-call', lastCall));
  return items;
}

function proxyStatusLabel({ proxy }: AppState): string {
  switch (proxy.state) {
    case 'running':
      return `Running on ${hostPort(proxy.host, proxy.port)} → ${hostOf(proxy.target)}`;
    case 'stopped':
      return 'Stopped';
    case 'port-busy':
      return `Port ${proxy.port} is in use`;
    case 'error':
      return `Proxy error: ${proxy.error ?? 'unknown'}`;
  }
}

/** The engine's name: what detection found (or --backend named), else Ollama, the default target. */
function engineName({ backendState }: AppState): string {
  if (backendState.kind === 'unknown') return 'Unknown backend';
  if (backendState.kind === undefined) return 'Ollama';
  const label = PROFILES[backendState.kind].label;
  return backendState.flavour ? `${label === 'router' ? 'Router' : label} (${backendState.flavour})` : label;
}

function ollamaStatusLabel(state: AppState): string {
  const { backendState, proxy } = state;
  const name = engineName(state);
  if (backendState.status === 'down' && backendState.unexpected) return `${hostOf(proxy.target)} answers, but not as ${name} does`;
  if (backendState.status === 'down') return `${name} not reachable at ${hostOf(proxy.target)}`;
  if (backendState.status === 'unknown') return `Checking ${name} at ${hostOf(proxy.target)}…`;
  if (backendState.kind === 'unknown') return `${name} at ${hostOf(proxy.target)} (not Ollama, llama-server, LM Studio, vLLM or SGLang)`;
  const parts = [`${name} ${backendState.version ?? ''}`.trim()];
  if (backendState.slots !== undefined) parts.push(`${backendState.slots} slot${backendState.slots === 1 ? '' : 's'}`);
  const shown = shownLoadedModel(state);
  if (!shown) return [...parts, 'no model loaded'].join(' · ');
  parts.push(shown.contextLength ? `${shown.name} (${contextSize(shown.contextLength)} ctx)` : shown.name);
  const until = loadedUntil(state, shown);
  if (until) parts.push(until);
  return parts.join(' · ');
}

/** The chosen model when it is loaded, else whatever occupies memory. */
function shownLoadedModel({ backendState, settings }: AppState): LoadedModel | undefined {
  return backendState.loaded.find((m) => settings.model !== '' && sameModel(m.name, settings.model)) ?? backendState.loaded[0];
}

function loadedUntil(state: AppState, shown: LoadedModel): string | null {
  const { settings, keepAliveExpiresAt, backendState } = state;
  // The keep-alive's own expiry is newer than the last /api/ps read, so it wins for the model it holds.
  const expiresAt = keepAliveExpiresAt && settings.keepModelLoaded && sameModel(shown.name, settings.model)
    ? keepAliveExpiresAt
    : shown.expiresAt;
  if (!expiresAt) return null;
  const checkedAt = backendState.lastCheckedAt?.getTime() ?? expiresAt.getTime();
  return expiresAt.getTime() - checkedAt > FOREVER_MS ? 'kept loaded' : `loaded until ${clockTime(expiresAt)}`;
}

function lastCallLabel({ lastCall }: AppState): string | null {
  if (!lastCall) return null;
  if (lastCall.bust) return `Last turn: cache miss (${lastCall.bust.cause})`;
  return `Last turn reused ${percent(lastCall.reuse)}%`;
}

function proxyToggle({ proxy }: AppState): MenuItemModel {
  return proxy.state === 'running'
    ? action('proxy-toggle', 'Stop Proxy', { type: 'stop-proxy' })
    : action('proxy-toggle', 'Start Proxy', { type: 'start-proxy' });
}

function stabilizeItems({ settings }: AppState): MenuItemModel[] {
  const on = settings.rewrite !== 'off';
  return [
    checkbox('stabilize', 'Stabilize prompt cache', on, { type: 'set-stabilize', enabled: !on }),
    submenu('stabilize-mode', 'Stabilize mode', STABILIZE_MODES.map(({ mode, label }) =>
      radio(`stabilize-mode:${mode}`, label, settings.rewrite === mode, { type: 'set-rewrite-mode', mode }))),
  ];
}

function bareItem({ settings }: AppState): MenuItemModel {
  return checkbox('bare', 'Use --bare preset', settings.bare, { type: 'set-bare', enabled: !settings.bare });
}

function modelMenu({ backendState, settings }: AppState): MenuItemModel {
  const chosen = settings.model;
  const items: MenuItemModel[] = backendState.models.map((m) =>
    radio(`model:${m.name}`, m.parameterSize ? `${m.name} (${m.parameterSize})` : m.name, chosen !== '' && sameModel(m.name, chosen), { type: 'select-model', model: m.name }));
  if (items.length === 0) {
    items.push(info('model:none', backendState.status === 'up'
      ? `No models — run ollama pull ${chosen || '<model>'}`
      : 'Models appear when Ollama is running'));
  }
  // Keep the current choice visible even when Ollama does not list it.
  if (chosen && !backendState.models.some((m) => sameModel(m.name, chosen))) {
    const label = backendState.status === 'up' ? `${chosen} (not pulled)` : chosen;
    items.unshift({ id: `model:${chosen}`, label, type: 'radio', enabled: false, checked: true });
  }
  return submenu('model', chosen ? `Model: ${chosen}` : 'Model', items);
}

/** A window too small for Claude Code, and a copied snippet gone stale with one click to copy the new one. */
function windowItems({ snippet, shell }: AppState): MenuItemModel[] {
  const items: MenuItemModel[] = [];
  if (snippet?.tooSmall) items.push(info('window-too-small', snippet.tooSmall));
  if (snippet?.outdated) {
    items.push(
      info('snippet-outdated', `Copied claudel function is out of date: ${snippet.outdated}`),
      action('copy-snippet-update', `Copy Updated claudel Function (${shell})`, { type: 'copy-snippet', shell }),
    );
  }
  return items;
}

/** zsh and bash share one function; fish needs its own. */
function snippetItems(shell: Shell): MenuItemModel[] {
  const other: { shell: Shell; label: string } = shell === 'fish'
    ? { shell: 'zsh', label: 'zsh / bash' }
    : { shell: 'fish', label: 'fish' };
  return [
    action('copy-snippet', `Copy claudel function (${shell})`, { type: 'copy-snippet', shell }),
    submenu('copy-snippet-other', 'Copy for other shell', [
      action(`copy-snippet:${other.shell}`, other.label, { type: 'copy-snippet', shell: other.shell }),
    ]),
  ];
}

function keepLoadedItem({ settings }: AppState): MenuItemModel {
  const item = checkbox('keep-loaded', 'Keep model loaded', settings.keepModelLoaded, { type: 'set-keep-loaded', enabled: !settings.keepModelLoaded });
  // Turning it off stays possible; turning it on needs a model to keep.
  return settings.model || settings.keepModelLoaded ? item : { ...item, enabled: false };
}

/** Warm start's choices, and what it last did (in the words of --explain). */
function warmMenu({ settings, warm }: AppState): MenuItemModel {
  const items = WARM_CHOICES.map(({ setting, label }) => radio(`warm:${setting}`, label, settings.warm === setting, { type: 'set-warm', setting }));
  const last = warm?.running ?? warm?.last ?? null;
  if (last !== null) items.push(info('warm-last', `Last: ${warmUpLine(last)}`));
  return submenu('warm', warm && warm.mode !== 'off' ? 'Warm Start: on' : 'Warm Start: off', items);
}

function loginItems({ loginItem }: AppState): MenuItemModel[] {
  if (!loginItem.supported) return [{ id: 'launch-at-login', label: 'Launch at Login', type: 'checkbox', enabled: false, checked: false }];
  const items = [checkbox('launch-at-login', 'Launch at Login', loginItem.enabled, { type: 'set-launch-at-login', enabled: !loginItem.enabled })];
  if (loginItem.refused) items.push(info('login-refused', `Not turned on: ${loginItem.refused.remedy}`));
  if (loginItem.requiresApproval) {
    items.push(
      info('login-approval', 'Needs your approval in Login Items'),
      action('open-login-items-settings', 'Open Login Items Settings…', { type: 'open-login-items-settings' }),
    );
  }
  return items;
}

function info(id: string, label: string): MenuItemModel {
  return { id, label, type: 'normal', enabled: false };
}

function action(id: string, label: string, act: MenuAction): MenuItemModel {
  return { id, label, type: 'normal', enabled: true, action: act };
}

function checkbox(id: string, label: string, checked: boolean, act: MenuAction): MenuItemModel {
  return { id, label, type: 'checkbox', enabled: true, checked, action: act };
}

function radio(id: string, label: string, checked: boolean, act: MenuAction): MenuItemModel {
  return { id, label, type: 'radio', enabled: true, checked, action: act };
}

function submenu(id: string, label: string, items: MenuItemModel[]): MenuItemModel {
  return { id, label, type: 'submenu', enabled: true, submenu: items };
}

function separator(index: number): MenuItemModel {
  return { id: `separator-${index}`, label: '', type: 'separator', enabled: true };
}
