// How figures read on the page. Pure.

/** Which call of the conversation a record is: `3 · 2` is the second model call of user turn 3; side calls are no turn. */
export function formatTurn(record: { readonly turn: number; readonly call: number; readonly sideCall: boolean }): string {
  return record.sideCall ? 'side' : `${record.turn} · ${record.call}`;
}

/** The reuse figure and whose it is. */
export function formatReuseSource(record: { readonly reuseSource: 'backend' | 'estimate'; readonly answered: boolean }): string {
  if (!record.answered) return 'no answer from the backend';
  return record.reuseSource === 'backend' ? "backend's figure" : 'estimate';
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—';
  const percent = fraction * 100;
  if (percent > 0 && percent < 1) return '<1%';
  // A near-complete hit must not read as 100%: the difference is a re-prefill.
  if (percent >= 99 && percent < 100) return `${(Math.floor(percent * 10) / 10).toFixed(1)}%`;
  return `${Math.round(percent)}%`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 950, 3.9K, 1.2M */
export function formatCompact(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)}K`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}

/** Local wall-clock time of an ISO timestamp, 24-hour. */
export function formatClock(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : date.toLocaleTimeString('en-GB', { hour12: false });
}

/** Newlines and tabs made visible, so an excerpt that starts a new line still shows where. */
export function visibleWhitespace(text: string): string {
  return text.replace(/\r?\n/g, '⏎').replace(/\t/g, '⇥');
}
