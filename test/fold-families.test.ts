// The fold, per renderer family, never worse than direct: recorded real
// Claude Code sessions (and two made from them: the client's max-output
// recovery, and thinking answers over two user prompts) replayed over real
// HTTP through the proxy, which learns the model's renderer from the Ollama
// stand-in's /api/show, and the forwarded prompts rendered the way that
// family renders them (test/support/ollama-renderers.ts). Call by call, the
// proxy's prompt re-reads (of the previous call's prompt, which one cache
// slot holds) at most what the same bodies re-read direct, and what an ideal
// client's re-read (the same bodies without the billing block); except that
// where a long system message arrives and the fold puts it in front of the
// task (so that a sibling agent finds it in the slot, as the template path
// lifts it), the call may re-read the conversation it passed, which the fold
// keeps no longer than the message. test/engine-fold-one-slot.test.ts holds
// the calls against one slot shared by every agent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PROMPT_FAMILIES } from '../main/core/backends/renderer.js';
import { startOllamaStandin, type OllamaStandin } from './support/ollama-standin.js';
import { startBackendRig, type BackendRig } from './support/backend-rig.js';
import { send } from './support/http-client.js';
import { loadRecording, RECORDING_NAMES, type RecordedCall } from './support/recordings.js';
import { recoverySession, thinkingSession, type Body } from './support/made-sessions.js';
import { renderAs } from './support/ollama-renderers.js';
import { engineUnavailable, loadLlama } from '../bench/engine/llama.js';
import { ensureModel } from '../bench/engine/model.js';
import { commonPrefixChars } from '../main/core/common-prefix.js';


const MODEL = 'qwen3-coder:30b';
/** The same body as an ideal client sends it: no billing block. */
function ideal(body: string): Body {
  const parsed = JSON.parse(body) as Body;
  return { ...parsed, system: parsed.system.filter((b) => !(b.text ?? '').startsWith('x-anthropic-billing-header:')) };
}

/** The conversation a call belongs to. A new session (another project's) has no previous prompt of its own to keep. */
function chainOf(call: RecordedCall): string {
  return `${call.headers['x-claude-code-session-id'] ?? ''}/${call.headers['x-claude-code-agent-id'] ?? call.role}`;
}

/** Per call, how much of its chain's previous prompt it does not begin with: what the backend reads again (0 for a chain's first call). */
function rereads(calls: readonly RecordedCall[], prompts: readonly string[], size: (text: string) => number = (text) => text.length): number[] {
  const last = new Map<string, string>();
  return calls.map((call, i) => {
    const chain = chainOf(call);
    const previous = last.get(chain);
    last.set(chain, prompts[i]!);
    return previous === undefined ? 0 : size(previous.slice(commonPrefixChars(previous, prompts[i]!)));
  });
}

function systemTexts(body: Body): string[] {
  return body.messages.filter((m) => m.role === 'system')
    .map((m) => (typeof m.content === 'string' ? m.content : m.content.map((b) => b.text ?? '').join('\n')));
}

/** Per call, the characters of the long (256 or more) system messages its chain's previous call did not have: what the fold may move in front of the task. */
function newLongNotes(calls: readonly RecordedCall[]): number[] {
  const last = new Map<string, string[]>();
  return calls.map((call) => {
    const texts = systemTexts(JSON.parse(call.body) as Body);
    const before = last.get(chainOf(call));
    last.set(chainOf(call), texts);
    return before === undefined ? 0 : texts.filter((t) => t.length >= 256 && !before.includes(t)).reduce((sum, t) => sum + t.length, 0);
  });
}

/**
 * With FOLD_FAMILIES_PRINT=tokens and the engine installed, the figures are
 * printed in the engine's tokens (its tokenizer on what is read again);
 * otherwise in characters, which decide the assertions either way.
 */
let sizing: Promise<{ unit: string; size: (text: string) => number }> | null = null;

function printedSize(): Promise<{ unit: string; size: (text: string) => number }> {
  sizing ??= (async () => {
    if (process.env.FOLD_FAMILIES_PRINT !== 'tokens' || engineUnavailable() !== null) return { unit: 'chars', size: (text: string) => text.length };
    const model = await (await loadLlama()).loadModel({ modelPath: await ensureModel('test') });
    return { unit: 'engine tokens', size: (text: string) => (text.length === 0 ? 0 : model.tokenize(text).length) };
  })();
  return sizing;
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
        if (process.env.FOLD_FAMILIES_PRINT) {
          const { unit, size } = await printedSize();
          const measure = (prompts: string[]): string => rereads(calls, prompts, size).join(' ');
          console.log(`${family} · ${name}: re-read ${unit} proxy ${measure(forwarded.map((b) => renderAs(family, b)))}`
            + ` | direct ${measure(calls.map((c) => renderAs(family, JSON.parse(c.body) as Body)))} | ideal ${measure(calls.map((c) => renderAs(family, ideal(c.body))))}`);
        }
        const moved = newLongNotes(calls);
        proxied.forEach((chars, i) => {
          assert.ok(chars <= direct[i]! + moved[i]!, `call ${i + 1}: ${chars} characters re-read through the proxy, ${direct[i]} direct`);
          assert.ok(chars <= idealClient[i]! + moved[i]!, `call ${i + 1}: ${chars} characters re-read through the proxy, ${idealClient[i]} by an ideal client`);
        });
      });
    }
  });
}
