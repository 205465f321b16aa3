// `npm start`: the menu-bar app where Electron can run, the same proxy
// headless where it cannot (no display, or no way to fetch Electron's binary,
// which since Electron 42 is downloaded on first use rather than at install).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

function headless(reason) {
  process.stderr.write(`llm-cache-proxy: ${reason}; running the proxy headless (no menu-bar app).\n`);
  return import('../dist/main/cli.js');
}

/** Path of an Electron binary ready to run, or a reason why there is none. */
function findElectron() {
  if (process.env.LLM_CACHE_PROXY_HEADLESS === '1') return { reason: 'LLM_CACHE_PROXY_HEADLESS=1' };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return { reason: 'no display to show a tray icon on' };
  let pkgDir;
  try {
    pkgDir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { reason: 'the electron package is not installed' };
  }
  // Fetches the binary if it is missing; quiet, because failure is an expected outcome here.
  const install = spawnSync(process.execPath, [join(pkgDir, 'install.js')], { stdio: 'pipe', timeout: 300_000 });
  const pathFile = join(pkgDir, 'path.txt');
  if (install.status !== 0 || !existsSync(pathFile)) return { reason: "Electron's binary could not be downloaded" };
  const binary = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? { binary } : { reason: "Electron's binary is missing" };
}

const electron = findElectron();
if (electron.reason) {
  await headless(electron.reason);
} else {
  const startedAt = Date.now();
  const child = spawn(electron.binary, ['.', ...args], { stdio: 'inherit', cwd: join(dirname(new URL(import.meta.url).pathname), '..') });
  child.on('exit', (code, signal) => {
    // An app that dies at once (missing system libraries, no GPU) should not leave the user with nothing.
    if (code !== 0 && !signal && Date.now() - startedAt < 5000) void headless(`Electron exited with code ${code} at start`);
    else process.exitCode = code ?? 0;
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
}
