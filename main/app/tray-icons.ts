// Which template image the tray shows. macOS treats a file whose name ends in
// `Template` as a template image (black + alpha, tinted for light and dark
// menu bars) and picks up the `@2x` file beside it by itself.
import path from 'node:path';
import type { TrayIconVariant } from '../core/menu/types.js';

const FILE_NAMES: Readonly<Record<TrayIconVariant, string>> = {
  running: 'trayRunningTemplate.png',
  stopped: 'trayStoppedTemplate.png',
  error: 'trayErrorTemplate.png',
};

export function trayIconPath(resourcesDir: string, variant: TrayIconVariant): string {
  return path.join(resourcesDir, FILE_NAMES[variant]);
}

/**
 * resources/ is unpacked from the asar archive (electron-builder's asarUnpack),
 * so the images are real files: the @2x lookup and every native API can read them.
 */
export function resourcesDir(appPath: string): string {
  return path.join(appPath.replace(/app\.asar$/, 'app.asar.unpacked'), 'resources');
}
