// Finds the Electron binary for `npm start`, downloading it on first use
// (since Electron 42 the package fetches it when first asked, not at install).
// The download is about 100 MB, so it says so, shows progress, and when it
// fails shows the download's own error. The download goes through Electron's
// own @electron/get with the same options as its install.js, which then finds
// the file in the cache and unpacks it exactly as it always does.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { NODE_REQUIREMENT, nodeRunsElectronInstaller } from './node-support.js';

export type ElectronLookup = { readonly binary: string } | { readonly reason: string };

export interface LookupOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly platform: NodeJS.Platform;
  readonly arch: string;
  readonly nodeVersion: string;
  /** Progress and notes for the user (stderr). */
  readonly say: (text: string) => void;
  /** True when `say` writes to a terminal, where progress can redraw one line. */
  readonly interactive: boolean;
}

interface Progress {
  readonly transferred: number;
  readonly total: number | null;
  readonly percent: number;
}

/** The part of @electron/get used here (a dependency of the electron package, not of this one). */
interface ElectronGet {
  downloadArtifact(details: {
    version: string;
    artifactName: string;
    platform: string;
    arch: string;
    force?: boolean;
    cacheRoot?: string;
    checksums?: Record<string, string>;
    downloadOptions?: { quiet?: boolean; getProgressCallback?: (progress: Progress) => Promise<void> };
  }): Promise<string>;
}

/** Where the binary sits inside Electron's dist folder (install.js's getPlatformPath). */
export function platformPath(platform: string): string {
  switch (platform) {
    case 'mas':
    case 'darwin':
      return 'Electron.app/Contents/MacOS/Electron';
    case 'win32':
      return 'electron.exe';
    default:
      return 'electron';
  }
}

/** An error's message with its causes: fetch's own message ("fetch failed") says nothing without them. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error; current && parts.length < 4; current = (current as { cause?: unknown }).cause) {
    parts.push(current instanceof Error ? current.message : String(current));
  }
  return parts.join(': ');
}

const megabytes = (bytes: number): string => `${Math.round(bytes / 1e6)} MB`;

export async function findElectronBinary(pkgDir: string, options: LookupOptions): Promise<ElectronLookup> {
  const { env, platform } = options;
  const pathFile = path.join(pkgDir, 'path.txt');
  const recorded = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : '';
  // Electron's own escape hatch (index.js): a binary built or unpacked elsewhere.
  if (env['ELECTRON_OVERRIDE_DIST_PATH']) return { binary: path.join(env['ELECTRON_OVERRIDE_DIST_PATH'], recorded || 'electron') };

  const { version } = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const binary = path.join(pkgDir, 'dist', platformPath(env['ELECTRON_INSTALL_PLATFORM'] ?? platform));
  if (isInstalled(pkgDir, version, binary)) return { binary };

  if (!nodeRunsElectronInstaller(options.nodeVersion)) {
    return { reason: `Electron ${version}'s installer needs Node ${NODE_REQUIREMENT}, and this is Node ${options.nodeVersion}; update Node to get the menu-bar app` };
  }
  const arch = electronArch(env, platform, options.arch);
  options.say(`llm-cache-proxy: first start: downloading Electron ${version} for ${platform}-${arch} (about 100 MB, once)...\n`);
  try {
    await download(pkgDir, version, platform, arch, options);
  } catch (error) {
    return { reason: `Electron's download failed (${describeError(error)})` };
  }
  const install = spawnSync(process.execPath, [path.join(pkgDir, 'install.js')], { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (install.status !== 0 || !existsSync(binary)) {
    const said = `${install.stderr ?? ''}${install.stdout ?? ''}`.trim().split('\n').slice(0, 3).join(' ');
    return { reason: `Electron was downloaded but could not be unpacked (${install.error?.message ?? (said || `install.js exited with ${install.status}`)})` };
  }
  options.say(`llm-cache-proxy: Electron ${version} is ready.\n`);
  return { binary };
}

/** install.js's choice: an x64 Node under Rosetta still gets the arm64 Electron. */
function electronArch(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, nodeArch: string): string {
  const arch = env['ELECTRON_INSTALL_ARCH'] ?? env['npm_config_arch'] ?? nodeArch;
  if (platform !== 'darwin' || arch !== 'x64' || env['npm_config_arch'] !== undefined) return arch;
  const translated = spawnSync('sysctl', ['-in', 'sysctl.proc_translated'], { encoding: 'utf8' });
  return translated.stdout?.trim() === '1' ? 'arm64' : arch;
}

function isInstalled(pkgDir: string, version: string, binary: string): boolean {
  try {
    return readFileSync(path.join(pkgDir, 'dist', 'version'), 'utf8').replace(/^v/, '').trim() === version && existsSync(binary);
  } catch {
    return false;
  }
}

async function download(pkgDir: string, version: string, platform: NodeJS.Platform, arch: string, options: LookupOptions): Promise<void> {
  const { env } = options;
  const fromElectron = createRequire(path.join(pkgDir, 'package.json'));
  const get = (await import(pathToFileURL(fromElectron.resolve('@electron/get')).href)) as ElectronGet;
  const remoteChecksums = Boolean(env['electron_use_remote_checksums'] || env['npm_config_electron_use_remote_checksums']);
  let shown = -1;
  await get.downloadArtifact({
    version,
    artifactName: 'electron',
    force: env['force_no_cache'] === 'true',
    ...(env['electron_config_cache'] ? { cacheRoot: env['electron_config_cache'] } : {}),
    ...(remoteChecksums ? {} : { checksums: fromElectron('./checksums.json') as Record<string, string> }),
    platform,
    arch,
    downloadOptions: {
      quiet: true,
      getProgressCallback: async ({ transferred, total, percent }: Progress) => {
        const step = Math.floor(percent * 10);
        if (step === shown) return;
        shown = step;
        const amount = total ? `${step * 10}% of ${megabytes(total)}` : megabytes(transferred);
        options.say(options.interactive ? `\r  downloading Electron: ${amount}   ${step === 10 ? '\n' : ''}` : `  downloading Electron: ${amount}\n`);
      },
    },
  });
}
