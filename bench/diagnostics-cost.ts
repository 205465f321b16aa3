// What the cache diagnostics cost per call: the JSON parse the proxy does
// once per forwarded prompt, then rendering and prefix tracking. Each
// measured call is the next turn of a conversation whose previous turn the
// tracker already holds, as it is in real use.
import { CacheTracker } from '../main/core/diagnostics/tracker.js';
import { renderPrompt } from '../main/core/diagnostics/render.js';
import { parseBodyBytes } from '../main/core/diagnostics/body-text.js';
import { bareRequest, conversation, encodeBody, fullRequest, hugeRequest } from '../test/support/claude-code-bodies.js';
import { timePerCall } from './stats.js';

export interface DiagnosticsCost {
  readonly label: string;
  readonly bytes: number;
  readonly parseMs: number;
  readonly diagnosticsMs: number;
}

export function measureDiagnostics(): DiagnosticsCost[] {
  const cases = [
    ['4 KB (--bare)', bareRequest({ billing: null })],
    ['77 KB (full)', fullRequest({ billing: null, messages: conversation(1) })],
    ['1 MB', hugeRequest(1024 * 1024, { billing: null })],
  ] as const;
  return cases.map(([label, request]) => {
    const body = encodeBody(request);
    const parsed = parseBodyBytes(body);
    const tracker = new CacheTracker();
    let turn = 0;
    const diagnosticsMs = timePerCall(() => {
      // Alternate two keys' worth of the same prompt so every call compares against a full previous turn.
      tracker.observe({ key: `bench-${turn++ % 2}`, rendered: renderPrompt(parsed), rewriteMode: 'drop' });
    });
    const parseMs = timePerCall(() => parseBodyBytes(body));
    return { label, bytes: body.length, parseMs, diagnosticsMs };
  });
}
