// The fold, per renderer family, never worse than direct: recorded real
// Claude Code sessions (and two made from them: the client's max-output
// recovery, and thinking answers over two user prompts) replayed over real
// HTTP through the proxy, which learns the model's renderer from the Ollama
// stand-in's /api/show, and the forwarded prompts rendered the way that
// family renders them (test/support/ollama-renderers.ts). Call by call, the
// proxy's prompt re-reads (of the previous call's prompt, which one cache
// slot holds) at most what the same bodies re-read direct, and what an ideal
// client's re-read (the same bodies without the billing block).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PROMPT_FAMILIES } from '../main/core/backends/renderer.js';
import { startOllamaStandin, type OllamaStandin } from './support/ollama-standin.js';
import { startBackendRig, type BackendRig } from './support/backend-rig.js';
import { send } from './support/http-client.js';
import { loadRecording, RECORDING_NAMES, type RecordedCall } from './support/recordings.js';
import { renderAs } from './support/ollama-renderers.js';

type Json = Record<string, unknown>;
type Block = Json & { type: string; text?: string };
interface Body { model: string; system: Block[]; messages: { role: string; content: string | Block[] }[] }

const MODEL = 'qwen3-coder:30b';
const RECOVERY = '<system-reminder>Output token limit hit. Resume directly from where you stopped.</system-reminder>';

const withBody = (call: RecordedCall, body: Body): RecordedCall => ({ ...call, body: JSON.stringify(body) });
const parse = (call: RecordedCall): Body => JSON.parse(call.body) as Body;

/** The first call of a 2.1.332 session, then three max-output recoveries: a block appended to the first user message, a newline added to its text. */
function recoverySession(): RecordedCall[] {
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
function thinkingSession(): RecordedCall[] {
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

/** The same body as an ideal client sends it: no billing block. */
function ideal(body: string): Body {
  const parsed = JSON.parse(body) as Body;
  return { ...parsed, system: parsed.system.filter((b) => !(b.text ?? '').startsWith('x-anthropic-billing-header:')) };
}

function commonPrefix(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let i = 0;
  while (i < limit && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Per call, how much of its chain's previous prompt it does not begin with: what the backend reads again (0 for a chain's first call). */
function rereads(calls: readonly RecordedCall[], prompts: readonly string[]): number[] {
  const last = new Map<string, string>();
  return calls.map((call, i) => {
    const chain = call.headers['x-claude-code-agent-id'] ?? call.role;
    const previous = last.get(chain);
    last.set(chain, prompts[i]!);
    return previous === undefined ? 0 : previous.length - commonPrefix(previous, prompts[i]!);
  });
}

const SESSIONS: readonly (readonly [string, () => RecordedCall[]])[] = [
  ...RECORDING_NAMES.map((name) => [name, () => loadRecording(name).calls.filter((c) => c.path.startsWith('/v1/messages'))] as const),
  ['max-output recovery', recoverySession],
  ['thinking over two prompts', thinkingSession],
];

for (const family of PROMPT_FAMILIES) {
  describe(`fold through the proxy, ${family} renderer`, () => {
    let standin: OllamaStandin;
    let rig: BackendRig;

    before(async () => {
      standin = await startOllamaStandin({
        models: [{ name: MODEL, ...(family === 'template' ? {} : { renderer: family }) }], loaded: [MODEL],
        timing: { prefillMs: 0, tokenDelayMs: 0, tokens: 2 },
      });
      rig = await startBackendRig(standin.url, { model: MODEL });
    });
    after(async () => {
      await rig.close();
      await standin.close();
    });

    test('the proxy learned the renderer from /api/show', async () => {
      assert.equal((await rig.backend()).renderer?.family, family);
    });

    for (const [name, load] of SESSIONS) {
      test(`${name}: no call re-reads more of the previous prompt than direct or an ideal client`, async () => {
        const calls = load();
        const seen = standin.requests.length;
        for (const call of calls) {
          const result = await send(rig.url, { method: call.method, path: call.path, headers: call.headers, body: Buffer.from(call.body) });
          assert.equal(result.status, 200, result.text);
        }
        const forwarded = standin.requests.slice(seen).filter((r) => r.url.startsWith('/v1/messages')).map((r) => JSON.parse(r.body.toString('utf8')) as Body);
        assert.equal(forwarded.length, calls.length);
        const proxied = rereads(calls, forwarded.map((b) => renderAs(family, b)));
        const direct = rereads(calls, calls.map((c) => renderAs(family, JSON.parse(c.body) as Body)));
        const idealClient = rereads(calls, calls.map((c) => renderAs(family, ideal(c.body))));
        if (process.env.FOLD_FAMILIES_PRINT) console.log(`${family} · ${name}: re-read chars proxy ${proxied.join(' ')} | direct ${direct.join(' ')} | ideal ${idealClient.join(' ')}`);
        proxied.forEach((chars, i) => {
          assert.ok(chars <= direct[i]!, `call ${i + 1}: ${chars} characters re-read through the proxy, ${direct[i]} direct`);
          assert.ok(chars <= idealClient[i]!, `call ${i + 1}: ${chars} characters re-read through the proxy, ${idealClient[i]} by an ideal client`);
        });
      });
    }
  });
}
