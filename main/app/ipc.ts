// The main-process side of the window's bridge: one ipcMain handler per
// request, each refusing any sender but our own page in our own window, and
// the live feed pushed to that window. What each request does lives in the
// Electron-free UiService.
import { clipboard, ipcMain } from 'electron';
import type { IpcMainInvokeEvent } from 'electron';
import type { AppController } from '../core/controller/app-controller.js';
import type { AppState } from '../core/menu/types.js';
import type {
  FeedState, UiChannelPrefix, UiPushChannel, UiPushEvents, UiRequestChannel, UiRequestMethod,
} from '../core/ui/bridge.js';
import { isTrustedSender } from '../core/ui/sender-check.js';
import { UiService, uiRequestHandlers } from '../core/ui/service.js';
import { activityContents } from './windows.js';

const PREFIX: UiChannelPrefix = 'llm-cache-proxy:';

function requestChannel<M extends UiRequestMethod>(method: M): UiRequestChannel<M> {
  return `${PREFIX}${method}`;
}

function pushChannel<E extends keyof UiPushEvents>(event: E): UiPushChannel<E> {
  return `${PREFIX}${event}`;
}

/**
 * Our page, in the main frame of our window. Anything else (another window,
 * an iframe, a page navigated elsewhere despite the blocks) is refused.
 */
function fromOurWindow(event: IpcMainInvokeEvent): boolean {
  try {
    const frame = event.senderFrame;
    return isTrustedSender(
      { contentsId: event.sender.id, frame: frame && { url: frame.url, isMainFrame: frame.parent === null } },
      activityContents()?.id ?? null,
    );
  } catch {
    // A frame disposed mid-call throws on access: it is not a sender we trust.
    return false;
  }
}

function feedState(state: AppState): FeedState {
  return state.proxy.state === 'running' ? 'live' : 'stopped';
}

/** Registers the handlers; returns the function that removes them again. */
export function registerIpc(controller: AppController): () => void {
  const handlers = uiRequestHandlers(new UiService(controller), (text) => clipboard.writeText(text));
  const methods = Object.keys(handlers) as UiRequestMethod[];
  for (const method of methods) {
    ipcMain.handle(requestChannel(method), (event, ...args: unknown[]) => {
      if (!fromOurWindow(event)) throw new Error(`${method} refused: the sender is not the llm-cache-proxy window`);
      return handlers[method](...args);
    });
  }

  const push = <E extends keyof UiPushEvents>(event: E, payload: UiPushEvents[E]): void => {
    activityContents()?.send(pushChannel(event), payload);
  };
  const stopCalls = controller.onCall((record) => push('call', record));
  const stopInFlight = controller.onInFlight((event) => push('in-flight', event));
  const stopWarmUps = controller.onWarmUp((record) => push('warm-up', record));

  // A stopped, started or replaced proxy has a call log of its own, and a
  // settings change may have replaced it (or changed what the header shows):
  // either way the page fetches the status again.
  const proxyKey = (state: AppState): string => `${state.proxy.state} ${state.proxy.host}:${state.proxy.port}`;
  let lastProxy = proxyKey(controller.state());
  const onState = (state: AppState): void => {
    const key = proxyKey(state);
    if (key === lastProxy) return;
    lastProxy = key;
    push('feed-state', feedState(state));
    push('status-reset', null);
  };
  const onSettings = (): void => push('status-reset', null);
  controller.on('state', onState);
  controller.on('settings', onSettings);

  return () => {
    for (const method of methods) ipcMain.removeHandler(requestChannel(method));
    stopCalls();
    stopInFlight();
    stopWarmUps();
    controller.off('state', onState);
    controller.off('settings', onSettings);
  };
}
