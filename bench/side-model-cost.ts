// What `--side-model` adds to a call: deciding that a 77 KB main call is no
// side call (it reads the `tools` member the rewrite's scan located, or scans
// with the memo), and rerouting a title call (a small parse and one splice).
import { rewriteRequestBody, ScanMemo } from '../main/core/rewrite/index.js';
import { conversation, fullBody } from '../test/support/claude-code-bodies.js';
import { titleRequest } from '../test/support/side-call-bodies.js';
import { timePerCall } from './stats.js';

export interface SideModelCost {
  /** Added to a 77 KB main call, next turn (scan memo warm), with and without a billing line to drop. */
  readonly mainCallMs: number;
  readonly mainCallNoBillingMs: number;
  /** Rerouting a title call. */
  readonly titleCallMs: number;
}

export function measureSideModel(): SideModelCost {
  const added = (billing: 'cch' | null): number => {
    const turns = Array.from({ length: 8 }, (_, call) => fullBody({ billing, call, messages: conversation(call % 4, 1500) }));
    const memoA = new ScanMemo();
    const memoB = new ScanMemo();
    let a = 0;
    let b = 0;
    const plain = timePerCall(() => rewriteRequestBody(turns[a++ % turns.length]!, 'drop', memoA));
    const routed = timePerCall(() => rewriteRequestBody(turns[b++ % turns.length]!, 'drop', memoB, { sideModel: 'qwen3:4b' }));
    return Math.max(0, routed - plain);
  };
  const title = Buffer.from(JSON.stringify(titleRequest()));
  return {
    mainCallMs: added('cch'),
    mainCallNoBillingMs: added(null),
    titleCallMs: timePerCall(() => rewriteRequestBody(title, 'off', null, { sideModel: 'qwen3:4b' })),
  };
}
