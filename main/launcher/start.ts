// `npm start`: the menu-bar app where Electron can run, the same proxy
// headless where it cannot (no display, or no way to fetch Electron's binary).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from './electron-binary.js';
import type { ElectronLookup } from './electron-binary.js';
import { runElectron } from './run-electron.js';

// Compiled to dist/main/launcher/. A file path, not URL.pathname, which keeps
// %20 for a space and every other escape.
const appDir = fileURLToPath(new URL('../../../', import.meta.url));
const args = process.argv.slice(2);
const say = (text: string): void => void process.stderr.write(text);

function headless(reason: string): void {
  say(`llm-cache-proxy: ${reason}; running the proxy headless (no menu-bar app).\n`);
  void import('../cli.js');
}

async function lookUpElectron(): Promise<ElectronLookup> {
  const { env, platform } = process;
  if (env['LLM_CACHE_PROXY_HEADLESS'] === '1') return { reason: 'LLM_CACHE_PROXY_HEADLESS=1' };
  if (platform === 'linux' && !env['DISPLAY'] && !env['WAYLAND_DISPLAY']) return { reason: 'no display to show a tray icon on' };
  let pkgDir: string;
  try {
    pkgDir = path.dirname(createRequire(path.join(appDir, 'package.json')).resolve('electron/package.json'));
  } catch {
    return { reason: 'the electron package is not installed' };
  }
  return findElectronBinary(pkgDir, { env, platform, arch: process.arch, nodeVersion: process.version, say, interactive: process.stderr.isTTY });
}

const electron = await lookUpElectron();
if ('reason' in electron) headless(electron.reason);
else runElectron(electron.binary, appDir, args, { platform: process.platform, say, fallback: headless, setExitCode: (code) => { process.exitCode = code; } });
