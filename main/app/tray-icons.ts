// Which image the tray shows. macOS treats a file whose name ends in
// `Template` as a template image (black + alpha, tinted for light and dark
// menu bars). Windows and Linux show images as they are, on panels that are
// mostly dark, so they get the same glyphs in white. Electron picks up the
// `@2x` file beside each by itself.
import path from 'node:path';
import type { TrayIconVariant } from '../core/menu/types.js';

const BASE_NAMES: Readonly<Record<TrayIconVariant, string>> = {
  running: 'trayRunning',
  stopped: 'trayStopped',
  error: 'trayError',
};

export function trayIconPath(resourcesDir: string, variant: TrayIconVariant, os: NodeJS.Platform): string {
  return path.join(resourcesDir, `${BASE_NAMES[variant]}${os === 'darwin' ? 'Template' : 'Light'}.png`);
}

/**
 * resources/ is unpacked from the asar archive (electron-builder's asarUnpack),
 * so the images are real files: the @2x lookup and every native API can read them.
 */
export function resourcesDir(appPath: string): string {
  return path.join(appPath.replace(/app\.asar$/, 'app.asar.unpacked'), 'resources');
}
