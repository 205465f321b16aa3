// Side calls as Claude Code 2.1.139 sends them in interactive mode (DESIGN
// §5): a title request ~10 ms before each prompt's first main call, with a
// short system prompt, no tools, the user's prompt as its one message and a
// small output budget.
import { DEFAULT_PROMPT, fullRequest } from './claude-code-bodies.js';

/** The model every tier uses, as `claudel` sets them. */
export const MAIN_MODEL = fullRequest().model;

export function titleRequest(prompt = DEFAULT_PROMPT, model = MAIN_MODEL): Record<string, unknown> {
  return {
    model,
    max_tokens: 512,
    messages: [{ role: 'user', content: prompt }],
    system: [
      { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.139.915; cc_entrypoint=cli; cch=48755;' },
      { type: 'text', text: 'Generate a concise, sentence-case title (3-7 words) that captures the main topic or goal of this coding session. Return JSON with a single "title" field. Café ✓' },
    ],
    temperature: 0,
    metadata: { user_id: JSON.stringify({ device_id: 'd', account_uuid: '', session_id: '3f9c2a71-5d4e-4b8a-9c1f-7e2d6a0b8c45' }) },
    stream: false,
  };
}
