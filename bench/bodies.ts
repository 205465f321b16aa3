// The request bodies the bench measures: a session of successive turns for
// each size, grown as a real client grows them (test/support/claude-code-bodies.ts).
import { bareRequest, fullRequest, hugeRequest, sessionBodies } from '../test/support/claude-code-bodies.js';

export interface BenchBody {
  readonly label: string;
  /** The session's turns in order; turn 0 is the first call. */
  readonly session: readonly Buffer[];
}

/** Each size's first turn, then `turns - 1` more: enough to time a next turn in sequence, few enough to stay near the label's size. */
export function benchBodies(turns = 8): BenchBody[] {
  return [
    { label: '4 KB (--bare)', session: sessionBodies(bareRequest, bareRequest().messages, turns) },
    { label: '77 KB (full)', session: sessionBodies(fullRequest, fullRequest().messages, turns) },
    { label: '1 MB', session: sessionBodies(fullRequest, hugeRequest(1024 * 1024).messages, turns) },
  ];
}
