import path from 'node:path';

/** Electron names the userData folder after this (package.json `productName`). */
export const PRODUCT_NAME = 'LLM Cache Proxy';

/** Points both the app and the CLI at another settings folder (tests, portable setups). */
export const CONFIG_DIR_ENV = 'LLM_CACHE_PROXY_CONFIG_DIR';

export const CONFIG_FILE_NAME = 'config.json';

type Env = Readonly<Record<string, string | undefined>>;

/** `$XDG_CONFIG_HOME`, or `~/.config`; Electron and XDG autostart both start from here on Linux. */
export function xdgConfigHome(env: Env, homedir: string): string {
  const configured = env['XDG_CONFIG_HOME'];
  return configured ? configured : path.posix.join(homedir, '.config');
}

/**
 * The folder holding config.json: Electron's `app.getPath('userData')`, so the
 * headless CLI and the app read the same file, unless CONFIG_DIR_ENV says
 * otherwise (resolved against the working folder). The platform's path rules
 * are applied even off that platform.
 */
export function defaultConfigDir(platform: NodeJS.Platform, env: Env, homedir: string): string {
  const override = env[CONFIG_DIR_ENV];
  // Electron's app.setPath throws on a relative path; resolve it against the folder it was given in.
  if (override) return path.resolve(override);
  switch (platform) {
    case 'darwin':
      return path.posix.join(homedir, 'Library', 'Application Support', PRODUCT_NAME);
    case 'win32':
      return path.win32.join(env['APPDATA'] || path.win32.join(homedir, 'AppData', 'Roaming'), PRODUCT_NAME);
    default:
      return path.posix.join(xdgConfigHome(env, homedir), PRODUCT_NAME);
  }
}
