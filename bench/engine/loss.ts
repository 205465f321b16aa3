// Why a call reused less than it could, read from what happened: the engine's
// own record of which runner and slot served each call, the runners it
// unloaded, and the prompt each call reached it with. Nothing here knows which
// route a call took, so a route's name cannot decide its loss.
import { commonPrefixChars } from '../../main/core/common-prefix.js';

export type Role = 'main' | 'side' | 'subagent';

/** What an engine did, in its own order. */
export type EngineEvent =
  | {
    readonly kind: 'served';
    readonly call: number;
    /** The conversation the call belongs to: its agent, else its kind of call. */
    readonly conversation: string;
    readonly role: Role;
    /** The runner (model name) and slot that served it. */
    readonly runner: string;
    readonly slot: number;
    /** The prompt as the engine rendered it. */
    readonly prompt: string;
    /** Where its conversation's messages begin in `prompt` (everything before is system text). */
    readonly messagesAt: number;
    /** Whether the body that reached the engine held `role: "system"` messages, which the template lifts to the top. */
    readonly inlineSystem: boolean;
  }
  | { readonly kind: 'unloaded'; readonly runner: string };

export type ServedEvent = Extract<EngineEvent, { kind: 'served' }>;

export type LossCause =
  | 'billing-header'
  | 'system-reminder-hoisted'
  | `${Role}-call-evicted-slot`
  | 'keep-alive-expired'
  | 'empty-slot'
  | 'unexplained';

const BILLING_LINE = /^x-anthropic-billing-header:(?: ?[\w.-]+=[\w.-]*;)*/;

/** Whether character `at` of `prompt` lies within a billing line's `key=value;` pairs. */
function inBillingLine(prompt: string, at: number): boolean {
  const start = prompt.lastIndexOf('x-anthropic-billing-header:', at);
  if (start < 0) return false;
  const line = BILLING_LINE.exec(prompt.slice(start));
  return line !== null && at <= start + line[0].length;
}

/**
 * The cause of the loss of the call served at `history[at]`: what last held
 * its slot. Another conversation there evicted it; an unload of its runner
 * since then took the cache with it; nothing there is an empty slot. When its
 * own conversation held the slot, the place its prompt first differs from
 * that one names the cause: the billing line, or system text where the
 * template gathered `role: "system"` messages.
 */
export function lossCause(history: readonly EngineEvent[], at: number): LossCause {
  const now = history[at];
  if (now?.kind !== 'served') throw new Error(`event ${at} is not a served call`);
  for (let j = at - 1; j >= 0; j--) {
    const e = history[j]!;
    if (e.runner !== now.runner) continue;
    if (e.kind === 'unloaded') return 'keep-alive-expired';
    if (e.slot !== now.slot) continue;
    if (e.conversation !== now.conversation) return `${e.role}-call-evicted-slot`;
    const differs = commonPrefixChars(e.prompt, now.prompt);
    if (inBillingLine(e.prompt, differs) || inBillingLine(now.prompt, differs)) return 'billing-header';
    if ((e.inlineSystem || now.inlineSystem) && differs < Math.max(e.messagesAt, now.messagesAt)) return 'system-reminder-hoisted';
    return 'unexplained';
  }
  return 'empty-slot';
}

/**
 * Whether the proxy's cause for a call names what truly cost it (the engine's
 * `lossCause`). An engine cause the proxy has no name for (a keep-alive
 * expiry, an empty slot) or one the engine cannot explain is never named.
 */
export function namesTrueCause(loss: LossCause, said: string | null): boolean {
  switch (loss) {
    case 'billing-header': return said === 'billing-header';
    case 'system-reminder-hoisted': return said === 'inline-system' || said === 'system-reminder';
    case 'main-call-evicted-slot':
    case 'subagent-call-evicted-slot': return said === 'slot-evicted';
    case 'side-call-evicted-slot': return said === 'side-call-evicted';
    default: return false;
  }
}
