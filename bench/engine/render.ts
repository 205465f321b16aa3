// Ollama's template path, for a model whose config names no built-in renderer
// (the converter that comes first is convert.ts). Followed from ollama/ollama
// (fb30760, Aug 2026):
// - template/template.go collate: every `system` message, wherever it stands,
//   joined with "\n\n" into the one system prompt at the top; consecutive
//   messages of the same role (except `tool`) merged with "\n\n".
// - the Qwen 2.5 chat template from Ollama's library (ChatML with a `# Tools`
//   section listing each tool as JSON), the family most people run Claude Code
//   on; system messages are not rendered in place (the template has no branch
//   for them), it never prints thinking, and the turn ends with
//   `<|im_start|>assistant\n`.

import { convertRequest, goJson, RenderError, type ChatMessage, type MessagesBody, type OllamaChat } from './convert.js';

export { RenderError };

/** collate: the joined system prompt, and the rest with same-role runs merged. */
function collate(messages: readonly ChatMessage[]): { system: string; collated: ChatMessage[] } {
  const system: string[] = [];
  const collated: ChatMessage[] = [];
  for (const m of messages) {
    if (m.role === 'system') system.push(m.content);
    const last = collated[collated.length - 1];
    if (last !== undefined && last.role === m.role && m.role !== 'tool') {
      last.content += '\n\n' + m.content;
    } else {
      collated.push({ ...m });
    }
  }
  return { system: system.join('\n\n'), collated };
}

/** api.ToolFunction as the template prints it: name, description, then the schema. */
function toolJson(tool: { name?: unknown; description?: unknown; input_schema?: unknown }): string {
  const head = JSON.stringify({ name: tool.name, description: tool.description }).slice(0, -1);
  return `{"type": "function", "function": ${head},"parameters":${goJson(tool.input_schema ?? {})}}}`;
}

function renderTools(tools: readonly { name?: unknown; description?: unknown; input_schema?: unknown }[]): string {
  return (
    '\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n' +
    'You are provided with function signatures within <tools></tools> XML tags:\n<tools>' +
    tools.map((t) => '\n' + toolJson(t)).join('') +
    '\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n' +
    '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
  );
}

/** The prompt Ollama's template path would tokenize for this /v1/messages body. */
export function renderPrompt(body: MessagesBody): string {
  return renderTemplate(convertRequest(body));
}

/** The template path: collate, then the Qwen 2.5 ChatML template. */
export function renderTemplate(chat: OllamaChat): string {
  const { messages, tools } = chat;
  const { system, collated } = collate(messages);

  let out = '';
  if (system !== '' || tools.length > 0) {
    out += '<|im_start|>system';
    if (system !== '') out += '\n' + system;
    if (tools.length > 0) out += renderTools(tools);
    out += '<|im_end|>\n';
  }
  collated.forEach((m, i) => {
    const last = i === collated.length - 1;
    if (m.role === 'user') out += `<|im_start|>user\n${m.content}<|im_end|>\n`;
    else if (m.role === 'assistant') {
      out += '<|im_start|>assistant\n';
      if (m.content !== '') out += m.content;
      else if (m.toolCalls.length > 0) {
        out += '<tool_call>\n' + m.toolCalls.map((c) => `{"name": "${c.name}", "arguments": ${goJson(c.arguments)}}\n`).join('') + '</tool_call>';
      }
      if (!last) out += '<|im_end|>\n';
    } else if (m.role === 'tool') out += `<|im_start|>user\n<tool_response>\n${m.content}\n</tool_response><|im_end|>\n`;
    if (m.role !== 'assistant' && last) out += '<|im_start|>assistant\n';
  });
  return out;
}
