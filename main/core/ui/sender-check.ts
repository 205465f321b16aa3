// Who may use the app window's bridge: only our own page, in the main frame
// of our own window. Pure, so it is tested without Electron; main/app/ipc.ts
// feeds it each IPC event.
import { rendererPageUrl } from './paths.js';

export interface IpcSender {
  /** webContents id of the sender. */
  readonly contentsId: number;
  /** The frame that sent it; null once that frame is gone. */
  readonly frame: { readonly url: string; readonly isMainFrame: boolean } | null;
}

/** Whether a frame shows our page: the same file, whatever view its #fragment selects. */
export function isRendererPage(frameUrl: string, pageUrl: string = rendererPageUrl()): boolean {
  let url: URL;
  try {
    url = new URL(frameUrl);
  } catch {
    return false;
  }
  url.hash = '';
  return url.protocol === 'file:' && url.search === '' && url.href === pageUrl;
}

/** `windowContentsId` is our window's webContents id, null while it is closed. */
export function isTrustedSender(sender: IpcSender, windowContentsId: number | null, pageUrl: string = rendererPageUrl()): boolean {
  return windowContentsId !== null && sender.contentsId === windowContentsId
    && sender.frame !== null && sender.frame.isMainFrame && isRendererPage(sender.frame.url, pageUrl);
}
