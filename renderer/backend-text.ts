// Pure: what the Activity view says about the backend and about a prompt that
// outgrew its context window.
import type { BackendInfo } from '../main/core/wire/types.js';
import type { CallRecord } from '../main/core/wire/types.js';
import { formatCount } from './format.js';

/** One line: which engine answers, its slots and window; or why none does. */
export function backendLine(info: BackendInfo | null): string {
  if (info === null) return 'backend not watched';
  if (info.status === 'checking') return 'checking the backend…';
  if (info.status === 'unexpected') return `backend: ${info.error ?? 'answers, but not as the engine named'}`;
  if (info.status === 'down') return `backend not reachable${info.error ? ` (${info.error})` : ''}`;
  if (info.kind === 'unknown' || info.kind === null) return 'backend answers, but is no engine the proxy knows';
  const name = `${info.label ?? info.kind}${info.flavour ? ` (${info.flavour})` : ''}${info.version ? ` ${info.version}` : ''}`;
  const parts = [`backend ${name}`];
  if (info.slots !== null) parts.push(`${info.slots} slot${info.slots === 1 ? '' : 's'}`);
  if (info.contextLength !== null) parts.push(`${formatCount(info.contextLength)}-token context`);
  return parts.join(', ');
}

/** The warning for a call whose prompt did not fit; null when it fit. */
export function overflowText(record: CallRecord): string | null {
  const o = record.contextOverflow;
  if (!o) return null;
  const counted = o.source === 'backend' ? "by the backend's count" : 'estimated';
  return `The prompt is ${formatCount(o.promptTokens)} tokens (${counted}), but ${record.model ?? 'the model'} is loaded with a `
    + `${formatCount(o.contextLength)}-token context: the backend cuts or refuses it, and the cache is lost. Raise the context: ${o.setting}.`;
}
