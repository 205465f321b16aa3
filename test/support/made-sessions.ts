// Sessions made from a recorded real 2.1.332 one, for what the recordings do
// not hold yet: the client's max-output recovery (a block appended to the
// first user message, a newline added to its text, as 2.1.332 was measured
// to do) and thinking answers sent back on every later call, over two user
// prompts.
import { loadRecording, type RecordedCall } from './recordings.js';

type Json = Record<string, unknown>;
export type Block = Json & { type: string; text?: string };
export interface Body { model: string; system: Block[]; messages: { role: string; content: string | Block[] }[] }

const RECOVERY = '<system-reminder>Output token limit hit. Resume directly from where you stopped.</system-reminder>';

const withBody = (call: RecordedCall, body: Body): RecordedCall => ({ ...call, body: JSON.stringify(body) });
const parse = (call: RecordedCall): Body => JSON.parse(call.body) as Body;

/** The first call of a 2.1.332 session, then three max-output recoveries: a block appended to the first user message, a newline added to its text. */
export function recoverySession(): RecordedCall[] {
  const first = loadRecording('cc-2.1.332-tool-loop').calls[0]!;
  const calls = [first];
  for (let k = 1; k <= 3; k++) {
    const body = parse(first);
    const content = body.messages[0]!.content as Block[];
    const lastText = content.map((b) => b.type).lastIndexOf('text');
    content[lastText] = { ...content[lastText]!, text: `${content[lastText]!.text ?? ''}\n` };
    for (let i = 0; i < k; i++) content.push({ type: 'text', text: RECOVERY });
    calls.push(withBody(first, body));
  }
  return calls;
}

/** The tool-loop session answered with thinking, then a second user prompt and its tool call. */
export function thinkingSession(): RecordedCall[] {
  const [first, second] = loadRecording('cc-2.1.332-tool-loop').calls;
  const think = (text: string): Block => ({ type: 'thinking', thinking: `I should ${text}. `.repeat(40), signature: '' });
  const withThinking = (body: Body): Body => {
    body.messages.forEach((m) => {
      if (m.role === 'assistant' && Array.isArray(m.content) && m.content[0]?.type !== 'thinking') m.content.unshift(think('read the notes'));
    });
    return body;
  };
  const loop = withThinking(parse(second!));
  const answered = withThinking({ ...loop, messages: [...loop.messages, { role: 'assistant', content: [think('answer'), { type: 'text', text: 'It caches the prompt prefix.' }] }, { role: 'user', content: 'And how?' }] });
  const again = withThinking({ ...answered, messages: [...answered.messages, { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_2', name: 'Read', input: { file_path: '/home/user/project/notes.md' } }] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: 'notes' }] }] });
  return [first!, withBody(second!, loop), withBody(second!, answered), withBody(second!, again)];
}

