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

/** The file:// address the app's window loads. */
export function rendererPageUrl(dir: string = rendererDir()): string {
  return pathToFileURL(join(dir, 'index.html')).href;
}
