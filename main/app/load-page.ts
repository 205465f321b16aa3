// BrowserWindow.loadFile rejects when the load fails or is cut short (the
// window closed while loading: ERR_ABORTED). Left alone, that is an unhandled
// rejection in the main process; here it is logged and nothing else happens.
import type { BrowserWindow, LoadFileOptions } from 'electron';

export type PageWindow = Pick<BrowserWindow, 'loadFile' | 'isDestroyed'>;

export function loadPage(window: PageWindow, file: string, options: LoadFileOptions, log: (message: string) => void = console.error): Promise<void> {
  return window.loadFile(file, options).catch((error: unknown) => {
    const why = error instanceof Error ? error.message : String(error);
    log(`llm-cache-proxy: the Activity window could not load ${file}${window.isDestroyed() ? ' (it was closed while loading)' : ''}: ${why}`);
  });
}
