/** Shells the `claudel` snippet can be generated for. */
export type Shell = 'zsh' | 'bash' | 'fish';

export const SHELLS: readonly Shell[] = ['zsh', 'bash', 'fish'];

export function isShell(value: unknown): value is Shell {
  return typeof value === 'string' && (SHELLS as readonly string[]).includes(value);
}

/**
 * The user's shell from `$SHELL` (`/bin/zsh`, `/usr/local/bin/fish`, `-bash`...).
 * Unknown or unset falls back to the platform's login shell: zsh on macOS
 * (the default since Catalina), bash elsewhere.
 */
export function shellFromEnv(shellPath: string | undefined, platform: NodeJS.Platform = process.platform): Shell {
  const name = (shellPath ?? '').split('/').pop()?.replace(/^-/, '') ?? '';
  if (isShell(name)) return name;
  return platform === 'darwin' ? 'zsh' : 'bash';
}

/** The shell a setting names, or for `auto` the user's own from `$SHELL`. */
export function resolveShell(preference: Shell | 'auto', shellPath: string | undefined, platform: NodeJS.Platform = process.platform): Shell {
  return preference === 'auto' ? shellFromEnv(shellPath, platform) : preference;
}
