// Where the built page lives.
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The built page (html, css and the compiled renderer modules). This module
 * compiles to dist/main/core/ui/, the renderer to dist/renderer/.
 */
export function rendererDir(): string {
  return fileURLToPath(new URL('../../../renderer/', import.meta.url));
}

/**
 * Core modules the page loads as they are (pure, no Node): the page imports
 * them as ../main/core/wait/*.js, which from the app's file:// page is this
 * folder and from /_proxy/ui/ is PAGE_MODULES_PATH.
 */
export function pageModulesDir(): string {
  return fileURLToPath(new URL('../wait/', import.meta.url));
}

export const PAGE_MODULES_PATH = '/_proxy/main/core/wait/';

/** The file:// address the app's window loads. */
export function rendererPageUrl(dir: string = rendererDir()): string {
  return pathToFileURL(join(dir, 'index.html')).href;
}
