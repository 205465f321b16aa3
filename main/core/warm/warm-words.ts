// How a warm-up is told to a person: the --explain line, and the words the
// Activity view and the menu share. Never a call's line: a warm-up is nobody's turn.
import type { WarmTrigger, WarmUpRecord } from '../wire/types.js';
import { thousands } from '../number-format.js';

export const TRIGGER_WORDS: Readonly<Record<WarmTrigger, string>> = {
  start: 'the proxy started with a remembered prompt',
  'model-loaded': 'the model was loaded',
  'other-call': 'another call used the model',
  'foreign-use': 'another client used the model',
};

const seconds = (ms: number | null): string => (ms === null ? '' : ` in ${(ms / 1000).toFixed(1)} s`);

/** `warm-up qwen3-coder:30b (the model was loaded): read 12,345 tokens of the conversation in 3.2 s` */
export function warmUpLine(record: WarmUpRecord): string {
  const what = record.kind === 'conversation' ? 'the conversation' : 'the system prompt and tools';
  const head = `warm-up ${record.model} (${TRIGGER_WORDS[record.trigger]})`;
  switch (record.outcome) {
    case 'running':
      return `${head}: reading ${what}`;
    case 'done':
      return `${head}: read ${record.promptTokens === null ? what : `${thousands(record.promptTokens)} tokens of ${what}`}${seconds(record.durationMs)}`;
    case 'cancelled':
      return `${head}: stopped after${seconds(record.durationMs).replace(' in', '')} for a call that arrived`;
    case 'failed':
      return `${head}: failed${record.error ? ` (${record.error})` : ''}`;
  }
}
