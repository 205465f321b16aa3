// One spelling of counts in every message the user reads (menu, snippet
// comments, warnings, --explain), whatever the system locale: 31,200.

export function thousands(value: number): string {
  return value.toLocaleString('en-US');
}
