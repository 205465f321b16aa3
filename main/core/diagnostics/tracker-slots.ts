// The tracker's picture of the backend and the conversations, and the pure
// rules it applies to them: which slot shares the longest prefix with a
// prompt, which slot the prompt loads into, when a prompt starts another
// conversation, and how a conversation is shown.
import type { RenderedPrompt } from './render.js';
import type { StoredPrompt } from './stored-prompt.js';
import { commonPrefix, readStored } from './stored-prompt.js';
import { shortSessionId } from './conversation-key.js';

/** A call's place in the agent tree, as shown (short ids). */
export interface ObservedAgent {
  readonly id: string;
  /** The parent subagent; null when the main agent is the parent. */
  readonly parent: string | null;
  /** True when recognised by its prompt (a client without agent headers). */
  readonly inferred: boolean;
}

export interface Thread {
  readonly id: string;
  readonly key: string;
  readonly model: string;
  readonly ordinal: number;
  turn: number;
  call: number;
  prompt: StoredPrompt;
  readonly agent: ObservedAgent | null;
  /** The slot its latest prompt went to. */
  slot: number;
}

export interface Slot {
  prompt: StoredPrompt | null;
  lastUsed: number;
  /** The thread that loaded it (its id), to name it when it evicts another. */
  owner?: Thread;
  /** The prompt came from a side call. */
  side?: boolean;
}

/**
 * A single-message prompt with a new first message: a fresh conversation
 * (e.g. a subagent). Inline system messages (2.1.332's `# Environment`) are
 * lifted out of the conversation, so they do not count as its messages.
 */
export function startsAnotherThread(previous: StoredPrompt, current: RenderedPrompt): boolean {
  if (current.messageStarts.length - current.inlineSystemMessages !== 1) return false;
  const starts = previous.layout.messageStarts;
  if (starts.length === 0) return true;
  const previousFirst = readStored(previous, starts[0], starts.length > 1 ? starts[1] : previous.length);
  return previousFirst !== current.text.slice(current.messageStarts[0]);
}

/** The slot sharing the longest prefix with `text` (the first, on a tie), as Ollama's runner picks it. */
export function longestSlot(slots: readonly Slot[], text: string): { longest: number; reusedChars: number } {
  let longest = 0;
  let reusedChars = -1;
  slots.forEach((slot, i) => {
    const chars = slot.prompt === null ? 0 : commonPrefix(slot.prompt, text);
    if (chars > reusedChars) {
      longest = i;
      reusedChars = chars;
    }
  });
  return { longest, reusedChars };
}

/**
 * Where the prompt goes: the one slot; or, with several, the longest slot if
 * all it holds begins this prompt, else the least recently used one.
 */
export function slotToLoad(slots: readonly Slot[], longest: number, longestChars: number): number {
  if (slots.length === 1) return 0;
  const held = slots[longest].prompt;
  if (held === null || longestChars >= held.length) return longest;
  let oldest = 0;
  slots.forEach((slot, i) => {
    if (slot.lastUsed < slots[oldest].lastUsed) oldest = i;
  });
  return oldest;
}

/** A conversation as shown: the session, then the subagent's id or (recognised by prompt) its ordinal. */
export function sessionLabel(thread: Thread): string {
  const session = shortSessionId(thread.key);
  if (thread.agent === null) return thread.ordinal > 1 ? `${session}/${thread.ordinal}` : session;
  return thread.agent.inferred ? thread.agent.id : `${session}/${thread.agent.id}`;
}
