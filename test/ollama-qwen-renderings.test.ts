// Both renderings of the Qwen families held against Ollama's own renderer
// tests (test/fixtures/ollama-qwen-renderings.ts). The engine's stand-in
// (bench/engine/render-qwen.ts) must write what Ollama writes, byte for byte.
// The proxy's estimate (main/core/diagnostics/) writes its own notation for
// messages, but must write the tool definitions as Ollama does (their length
// is counted in tokens) and put every text where Ollama puts it: the same
// order, the same system messages dropped or kept, reasoning only where
// Ollama prints it. The two stay separate implementations, so that the
// estimate is never right by construction; these vectors are their one truth.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderQwen35, renderQwen3Coder } from '../bench/engine/render-qwen.js';
import type { OllamaChat } from '../bench/engine/convert.js';
import { renderPrompt } from '../main/core/diagnostics/render.js';
import { renderToolList } from '../main/core/diagnostics/render-tools.js';
import { RENDERING_VECTORS, type MessageVector, type RenderingVector, type ToolVector } from './fixtures/ollama-qwen-renderings.js';

const anthropicTool = (t: ToolVector) => ({ name: t.name, ...(t.description === undefined ? {} : { description: t.description }), input_schema: t.parameters });

/** The vector as the engine's renderer takes it: Ollama's chat request. */
function chatOf(v: RenderingVector): OllamaChat {
  return {
    messages: v.messages.map((m) => ({ role: m.role, content: m.content ?? '', thinking: m.thinking ?? '', toolCalls: m.toolCalls ?? [] })),
    tools: (v.tools ?? []).map(anthropicTool),
    think: v.think ?? null,
  };
}

/** The vector as Claude Code would send it, which Ollama's Anthropic converter turns back into the same messages. */
function bodyOf(v: RenderingVector): Record<string, unknown> {
  const [first, ...rest] = v.messages;
  const leading = first?.role === 'system' ? first : null;
  const messages: unknown[] = [];
  let ids: string[] = [];
  (leading === null ? v.messages : rest).forEach((m: MessageVector, i) => {
    if (m.role === 'assistant') {
      ids = (m.toolCalls ?? []).map((_, j) => `call_${i}_${j}`);
      messages.push({
        role: 'assistant',
        content: [
          ...(m.thinking === undefined ? [] : [{ type: 'thinking', thinking: m.thinking, signature: '' }]),
          ...(m.content === undefined ? [] : [{ type: 'text', text: m.content }]),
          ...(m.toolCalls ?? []).map((c, j) => ({ type: 'tool_use', id: ids[j], name: c.name, input: c.arguments })),
        ],
      });
    } else if (m.role === 'tool') {
      const result = { type: 'tool_result', tool_use_id: ids.shift() ?? '', content: m.content ?? '' };
      const last = messages[messages.length - 1] as { role: string; content: unknown[] } | undefined;
      // Consecutive tool results travel in one user message.
      if (last?.role === 'user' && Array.isArray(last.content) && v.messages[v.messages.indexOf(m) - 1]?.role === 'tool') last.content.push(result);
      else messages.push({ role: 'user', content: [result] });
    } else {
      messages.push({ role: m.role, content: m.content ?? '' });
    }
  });
  return {
    model: 'm',
    ...(leading === null ? {} : { system: [{ type: 'text', text: leading.content ?? '' }] }),
    ...(v.tools === undefined ? {} : { tools: v.tools.map(anthropicTool) }),
    ...(v.think === false ? { thinking: { type: 'disabled' } } : {}),
    messages,
  };
}

function assertOrder(text: string, parts: readonly string[], what: string): void {
  let at = -1;
  for (const part of parts) {
    const next = text.indexOf(part, at + 1);
    assert.ok(next > at, `${what}: ${JSON.stringify(part)} after ${JSON.stringify(parts[parts.indexOf(part) - 1] ?? '')}`);
    at = next;
  }
}

/** Ollama's tool section: from `# Tools` (after a blank line on qwen3-coder) to the end of the instructions. */
function toolSection(want: string, renderer: RenderingVector['renderer']): string {
  const start = want.indexOf(renderer === 'qwen3-coder' ? '\n\n# Tools' : '# Tools');
  const end = want.indexOf('</IMPORTANT>') + '</IMPORTANT>'.length;
  return want.slice(start, end);
}

function estimateTools(v: RenderingVector): string {
  let text = '';
  renderToolList({ mark: () => undefined, add: (t) => { text += t; } }, (v.tools ?? []).map(anthropicTool), v.renderer);
  return text;
}

/** Every text the vector carries, to be found in the rendering where Ollama's has it. */
function texts(v: RenderingVector): string[] {
  const out = v.messages.flatMap((m) => [m.content, m.thinking].filter((t): t is string => t !== undefined && t.trim().length >= 2).map((t) => t.trim()));
  return v.tools === undefined ? out : ['# Tools', ...out];
}

describe("the engine's Qwen renderers write what Ollama's renderer tests expect", () => {
  for (const v of RENDERING_VECTORS) {
    test(v.source, () => {
      const got = (v.renderer === 'qwen3-coder' ? renderQwen3Coder : renderQwen35)(chatOf(v));
      if (v.want !== undefined) assert.equal(got, v.want);
      for (const s of [...(v.contains ?? []), ...(v.toolsContain ?? [])]) assert.ok(got.includes(s), `contains ${JSON.stringify(s)}\n${got}`);
      for (const s of v.absent ?? []) assert.ok(!got.includes(s), `lacks ${JSON.stringify(s)}`);
      if (v.order !== undefined) assertOrder(got, v.order, 'order');
      if (v.suffix !== undefined) assert.ok(got.endsWith(v.suffix), `ends with ${JSON.stringify(v.suffix)}\n${got}`);
    });
  }
});

describe("the proxy's estimate renders the Qwen families as Ollama's renderer tests expect", () => {
  for (const v of RENDERING_VECTORS) {
    test(v.source, () => {
      if (v.tools !== undefined && v.want !== undefined) assert.equal(estimateTools(v), toolSection(v.want, v.renderer), 'the tool definitions, byte for byte');
      for (const s of v.toolsContain ?? []) assert.ok(estimateTools(v).includes(s), `tools contain ${JSON.stringify(s)}`);
      const rendered = renderPrompt(bodyOf(v), v.renderer).text;
      // Each text where Ollama has it (in the whole expected rendering or one the test asserts), in Ollama's order; none it leaves out.
      const expected = [v.want ?? '', ...(v.contains ?? [])];
      const present = texts(v).filter((t) => expected.some((e) => e.includes(t)));
      for (const t of present) assert.ok(rendered.includes(t), `renders ${JSON.stringify(t)}`);
      for (const t of texts(v)) if (v.absent?.includes(t) === true) assert.ok(!rendered.includes(t), `leaves out ${JSON.stringify(t)}`);
      if (v.want !== undefined) {
        const once = present.filter((t) => v.want!.indexOf(t) === v.want!.lastIndexOf(t) && rendered.indexOf(t) === rendered.lastIndexOf(t));
        assertOrder(rendered, [...once].sort((a, b) => v.want!.indexOf(a) - v.want!.indexOf(b)), 'Ollama\'s order');
      }
      if (v.order !== undefined) assertOrder(rendered, v.order, 'order');
    });
  }
});

describe('where the vectors are silent: Go\'s encoding/json', () => {
  test('both write <, > and & in a qwen3.5 tool line as json.Marshal does, \\u003c \\u003e \\u0026', () => {
    const v: RenderingVector = {
      source: 'escaping', renderer: 'qwen3.5', messages: [{ role: 'user', content: 'hi' }],
      tools: [{ name: 'Bash', description: 'Run <cmd> && wait', parameters: { type: 'object', properties: { command: { type: 'string', description: 'a <b>' } } } }],
    };
    const line = '{"type": "function", "function": {"name": "Bash", "description": "Run \\u003ccmd\\u003e \\u0026\\u0026 wait", ' +
      '"parameters": {"type": "object", "properties": {"command": {"type": "string", "description": "a \\u003cb\\u003e"}}}}}';
    assert.ok(renderQwen35(chatOf(v)).includes(`<tools>\n${line}\n</tools>`));
    assert.ok(estimateTools(v).includes(`<tools>\n${line}\n</tools>`));
  });
});
