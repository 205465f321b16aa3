// The characters two texts share from the start: how much of a prompt a
// prefix cache can still hold when the next prompt comes.

export function commonPrefixChars(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}
