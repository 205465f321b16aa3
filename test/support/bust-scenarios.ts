// Pairs of consecutive turns that bust the cache, one per named cause, as
// Claude Code really produces them. The tracker's unit tests and the proxy's
// HTTP tests both run every scenario, so each cause is shown end to end.
import type { BustCause } from '../../main/core/wire/types.js';
import type { RewriteMode } from '../../main/core/rewrite/types.js';
import { conversation, fullRequest, type Message, type MessagesRequest } from './claude-code-bodies.js';

export interface BustScenario {
  readonly name: string;
  readonly cause: BustCause;
  readonly path: string | RegExp;
  readonly rewriteMode: RewriteMode;
  readonly first: Partial<MessagesRequest>;
  readonly second: Partial<MessagesRequest>;
}

/** A body as the proxy forwards it under `--rewrite drop`: no billing line. */
export function forwarded(messages: Message[], extra: Parameters<typeof fullRequest>[0] = {}): MessagesRequest {
  return fullRequest({ billing: null, messages, ...extra });
}

export function withTokensReminder(messages: Message[], index: number, text = '<system-reminder>\n118,204 tokens left in the context window.\n</system-reminder>'): Message[] {
  const copy = structuredClone(messages);
  const content = copy[index]!.content;
  if (!Array.isArray(content)) throw new Error(`message ${index} has string content`);
  content.push({ type: 'text', text });
  return copy;
}

function reorderedMcpTools(): MessagesRequest {
  const body = forwarded(conversation(1));
  const mcp = body.tools.splice(20);
  body.tools.push(...mcp.reverse());
  return body;
}

function withAddedTool(): MessagesRequest {
  const body = forwarded(conversation(1));
  body.tools.splice(12, 0, {
    name: 'mcp__tracker__create_issue',
    description: 'Creates an issue in the project tracker.',
    input_schema: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] },
  });
  return body;
}

function withChangedInstructions(): MessagesRequest {
  const body = forwarded(conversation(2));
  const system = body.system as { text: string }[];
  const half = Math.floor(system[1]!.text.length / 2);
  system[1]!.text = `${system[1]!.text.slice(0, half)}\n# Output style: explanatory\n${system[1]!.text.slice(half)}`;
  return body;
}

const COMPACTED: Message[] = [
  { role: 'user', content: 'This session is being continued from a previous conversation that ran out of context. Summary: the proxy drops the billing block.' },
  { role: 'assistant', content: 'Understood; continuing.' },
  { role: 'user', content: 'Now add the tests.' },
];

/** --resume rebuilt the first message: an edit inside its context reminder. */
function resumedHistory(): MessagesRequest {
  const messages = conversation(3);
  const first = messages[0]!.content;
  if (!Array.isArray(first) || first[0]?.type !== 'text') throw new Error('unexpected first message');
  first[0].text = first[0].text.replace('# claudeMd', '# claudeMd\n# userMemory');
  return forwarded(messages);
}

function withoutMessages(): Partial<MessagesRequest> {
  const body: Partial<MessagesRequest> = forwarded(conversation(1));
  delete body.messages;
  return body;
}

export const BUST_SCENARIOS: readonly BustScenario[] = [
  { name: 'rewrite off: cch and the version suffix change every call', cause: 'billing-header', path: 'system[0].text', rewriteMode: 'off', first: fullRequest({ call: 0 }), second: fullRequest({ call: 1, messages: conversation(1) }) },
  { name: 'MCP tools arrive in another order', cause: 'tools-reordered', path: 'tools[20]', rewriteMode: 'drop', first: forwarded(conversation(0)), second: reorderedMcpTools() },
  { name: 'an MCP server adds a tool', cause: 'tools-changed', path: 'tools[12]', rewriteMode: 'drop', first: forwarded(conversation(0)), second: withAddedTool() },
  { name: 'the date line rolls over at midnight', cause: 'date-changed', path: 'system[1].text', rewriteMode: 'drop', first: forwarded(conversation(1)), second: forwarded(conversation(2), { date: '2025-11-05' }) },
  { name: 'a "tokens left" reminder is inserted into an earlier turn', cause: 'system-reminder', path: 'messages[4].content[2].text', rewriteMode: 'drop', first: forwarded(conversation(3)), second: forwarded(withTokensReminder(conversation(4), 4)) },
  { name: 'the instructions change mid-session', cause: 'system-changed', path: 'system[1].text', rewriteMode: 'drop', first: forwarded(conversation(1)), second: withChangedInstructions() },
  { name: 'compaction replaces the history with a summary', cause: 'history-rewritten', path: 'messages[0].content', rewriteMode: 'drop', first: forwarded(conversation(3)), second: forwarded(COMPACTED) },
  { name: '--resume rebuilds the first message', cause: 'history-rewritten', path: 'messages[0].content[0].text', rewriteMode: 'drop', first: forwarded(conversation(2)), second: resumedHistory() },
  { name: 'a turn that is not a Messages request at all', cause: 'unknown', path: /^tools\[23\]$|^messages\[0\]/, rewriteMode: 'drop', first: forwarded(conversation(1)), second: withoutMessages() },
];
