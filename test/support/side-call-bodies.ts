// Side calls as Claude Code 2.1.139 sends them in interactive mode, taken
// from the recorded session cc-2.1.139-interactive: the title
// request sent ~10 ms before each prompt's first main call.
import { fullRequest } from './claude-code-bodies.js';
import { loadRecording } from './recordings.js';

/** The model every tier uses, as `claudel` sets them. */
export const MAIN_MODEL = fullRequest().model;

/** The recorded title call, with `prompt` as its one message and `model` as its model. */
export function titleRequest(prompt = 'What is a KV cache?', model = MAIN_MODEL): Record<string, unknown> {
  const recorded = loadRecording('cc-2.1.139-interactive').calls.find((call) => call.role === 'side');
  if (recorded === undefined) throw new Error('cc-2.1.139-interactive has no side call');
  const body = JSON.parse(recorded.body) as Record<string, unknown>;
  return { ...body, model, messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }] };
}
