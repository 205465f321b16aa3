// Small, locale-independent formatting for menu labels and the tooltip.

/** `http://127.0.0.1:11434/` → `127.0.0.1:11434`; anything unparsable is shown as given. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

/** `::1` needs brackets before a port. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** 65536 → `64K`, 4096 → `4K`, 512 → `512`. */
export function contextSize(tokens: number): string {
  return tokens >= 1024 ? `${Math.round(tokens / 1024)}K` : String(tokens);
}

/** Local wall-clock `HH:MM`, 24-hour, independent of the system locale. */
export function clockTime(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
