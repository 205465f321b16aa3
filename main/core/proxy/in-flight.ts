// The calls forwarded and not yet finished, for /_proxy/status, the live
// feed and the tray. Listing a call is a Set insert at arrival; its
// prediction is set on the call once the diagnostics have run (after the body
// went upstream), so nothing here stands on the forwarding path.
import type { InFlightCall } from '../wire/types.js';
import type { MessageCall } from './message-call.js';

/** A call that has a number: every Messages API call but count_tokens. */
type ListedCall = MessageCall & { readonly id: number };

export class InFlightCalls {
  // Insertion order is arrival order, so list() is oldest first for free.
  private readonly calls = new Set<ListedCall>();

  /** Lists the call; count_tokens (no number) is not listed. */
  begin(call: MessageCall): void {
    if (isListed(call)) this.calls.add(call);
  }

  has(call: MessageCall): boolean {
    return this.calls.has(call as ListedCall);
  }

  /** Removes the call; returns its last view, or null when it was not listed. */
  end(call: MessageCall, now: number): InFlightCall | null {
    const view = this.view(call, now);
    this.calls.delete(call as ListedCall);
    return view;
  }

  view(call: MessageCall, now: number): InFlightCall | null {
    return this.has(call) ? viewOf(call as ListedCall, now) : null;
  }

  list(now: number): InFlightCall[] {
    return [...this.calls].map((call) => viewOf(call, now));
  }
}

function isListed(call: MessageCall): call is ListedCall {
  return call.id !== null;
}

function viewOf(call: ListedCall, now: number): InFlightCall {
  const p = call.prediction;
  return {
    id: call.id,
    time: call.receivedAt.toISOString(),
    session: p?.session ?? null,
    turn: p?.turn ?? null,
    call: p?.call ?? null,
    model: p?.model ?? null,
    promptTokens: p?.promptTokens ?? null,
    reusedTokens: p?.reusedTokens ?? null,
    expectedPrefillMs: p?.expectedPrefillMs ?? null,
    elapsedMs: Math.round(now - call.startedAt),
    phase: call.firstContentAt === null ? 'waiting' : 'streaming',
    cause: p?.cause ?? null,
    loadingModel: p?.loadingModel ?? false,
    contextTokens: p?.contextTokens ?? null,
  };
}
