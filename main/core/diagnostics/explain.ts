// One readable line per call for --explain and the activity feed: how much
// of the prompt the backend reused, or where and why the cache was missed.
import type { CallRecord } from '../wire/types.js';
import { percent } from './percent.js';
import { thousands as n } from '../number-format.js';

const FRAGMENT_CHARS = 24;
const TOKEN_DELIMITER = /[\s;,"'<>()[\]{}|]/;

/** Control characters as escapes, so a fragment never breaks the line. */
function escape(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return out;
}

/** The differing token at the start of an excerpt, after the shared text leading into it. */
function fragment(lead: string, excerpt: string): string {
  if (excerpt.length === 0) return '(end)';
  let end = 1;
  while (end < excerpt.length && !TOKEN_DELIMITER.test(excerpt[end])) end++;
  const token = end > FRAGMENT_CHARS ? `${excerpt.slice(0, FRAGMENT_CHARS)}…` : excerpt.slice(0, end);
  return escape(lead + token);
}

/** Who made the call: `a1b2c3 turn 3 · call 2`, or `a1b2c3 side call`. */
export function callLabel(record: Pick<CallRecord, 'session' | 'turn' | 'call' | 'sideCall'>): string {
  return record.sideCall ? `${record.session} side call` : `${record.session} turn ${record.turn} · call ${record.call}`;
}

/** How much was reused, and whose figure it is: the backend's own, or the proxy's estimate. */
export function reuseSummary(record: CallRecord): string {
  if (!record.answered) return 'no answer from the backend, reused nothing';
  if (record.reuseSource === 'backend' && record.inputTokens !== null) {
    return `reused ${percent(record.reuse)}% of ${n(record.inputTokens)} tokens (backend's figure)`;
  }
  return `reused ${percent(record.reuse)}% of ${n(record.promptChars)} chars (estimate)`;
}

export function formatExplainLine(record: CallRecord): string {
  return mainLine(record) + overflowLine(record);
}

/** A prompt longer than the loaded window, said on a line of its own so it is not missed. */
function overflowLine(record: CallRecord): string {
  const o = record.contextOverflow;
  if (!o) return '';
  const counted = o.source === 'backend' ? 'by the backend' : 'estimated';
  const model = record.model ?? 'the model';
  return `\n${callLabel(record)}: CONTEXT OVERFLOW: the prompt is ${n(o.promptTokens)} tokens (${counted}), `
    + `but ${model} is loaded with a ${n(o.contextLength)}-token context, so the backend cuts or refuses it. Raise the context: ${o.setting}`;
}

function mainLine(record: CallRecord): string {
  const head = callLabel(record);
  const status = record.status >= 400 ? ` [HTTP ${record.status}]` : '';
  const bust = record.bust;
  if (bust !== null) {
    const lead = bust.lead ?? '';
    const where = bust.path === '' ? 'the start' : bust.path;
    // Both empty: the prompt's text is withheld (prompt excerpts are off); only the place is told.
    const excerpt = bust.before === '' && bust.after === '' ? '' : `: ${fragment(lead, bust.before)} → ${fragment(lead, bust.after)}`;
    return `${head}: CACHE MISS at ${where}${excerpt} (${bust.cause}: ${bust.remedy})${status}`;
  }
  const firstToken = record.ttftMs === null ? '' : `, first token ${(record.ttftMs / 1000).toFixed(1)} s`;
  const from = record.reusedFrom === undefined ? '' : ` (the system prompt and tools, from session ${record.reusedFrom})`;
  return `${head}: ${reuseSummary(record)}${from}${firstToken}${status}`;
}
