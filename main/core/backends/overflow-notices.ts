// A context window too small for the prompts is worth one notification per
// model and window, however many calls show it: the tray and the CLI log
// both take their notices from here.
import type { CallRecord } from '../wire/types.js';
import { canonicalModelName } from './model-name.js';
import { overflowMessage } from './model-window.js';
import type { BackendProfile } from './profile.js';

/** One problem: this model loaded with this window. */
export function overflowKey(model: string, contextLength: number): string {
  return `${canonicalModelName(model)}@${contextLength}`;
}

export class OverflowNotices {
  private readonly told = new Set<string>();

  /** The message for a call whose prompt outgrew its window, the first time for this model and window; else null. */
  fromCall(record: CallRecord, profile: BackendProfile | null): string | null {
    const o = record.contextOverflow;
    if (!o) return null;
    const shortfall = { model: record.model ?? 'The model', contextLength: o.contextLength, promptTokens: o.promptTokens, counted: o.source };
    return this.once(overflowKey(record.model ?? '', o.contextLength), overflowMessage(shortfall, profile, o.setting));
  }

  /** `message` the first time `key` (model@window) comes up; else null. */
  once(key: string, message: string): string | null {
    if (this.told.has(key)) return null;
    this.told.add(key);
    return message;
  }
}
