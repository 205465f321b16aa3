// Pure rendering of an XDG Desktop Entry, following the Desktop Entry
// Specification's two layers of escaping for Exec: each argument is quoted
// (quoting rule), then the whole value is escaped as a string (string rule).

/** Characters that force an argument to be quoted (the spec's list, plus `=` from its older versions). */
const RESERVED = /[ \t\n"'\\><~|&;$*?#()`=]/;

/** The string rule: backslash and the characters a one-line value cannot hold. */
export function escapeDesktopString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
}

/** The quoting rule; `%` is doubled so no argument is mistaken for a field code like %f. */
function quoteExecArgument(argument: string): string {
  const quoted = argument === '' || RESERVED.test(argument)
    ? `"${argument.replace(/["`$\\]/g, '\\$&')}"`
    : argument;
  return quoted.replace(/%/g, '%%');
}

export function desktopExec(command: readonly string[]): string {
  const program = command[0];
  if (program === undefined || program === '') throw new TypeError('Exec needs a program');
  if (program.includes('=')) throw new TypeError(`The Desktop Entry Specification forbids "=" in the program path: ${program}`);
  return escapeDesktopString(command.map(quoteExecArgument).join(' '));
}

export interface AutostartEntry {
  readonly name: string;
  readonly comment?: string;
  readonly command: readonly string[];
}

export function autostartDesktopEntry(entry: AutostartEntry): string {
  const lines = [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    `Name=${escapeDesktopString(entry.name)}`,
    ...(entry.comment ? [`Comment=${escapeDesktopString(entry.comment)}`] : []),
    `Exec=${desktopExec(entry.command)}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Whether a desktop entry still asks to be started: desktops switch an entry
 * off by editing it (GNOME writes X-GNOME-Autostart-enabled=false, others
 * Hidden=true) rather than deleting it.
 */
export function isAutostartActive(text: string): boolean {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  return !lines.includes('Hidden=true') && !lines.includes('X-GNOME-Autostart-enabled=false');
}
