// What renders a model's prompt, as the backend tells it. The one place that
// answers "what renderer does model M use"; the diagnostics render their
// estimate this way, the fold places system messages by it, and the remedies
// name its switches. Pure: the monitor feeds it the backend's own answers.
//
// Ollama (server/prompt.go renderPrompt): a model whose config names a
// renderer is rendered by that built-in Go renderer, every other model by its
// template (template/template.go). `POST /api/show` reports the name as
// `renderer`, and in the Modelfile text as a `RENDERER <name>` line
// (parser.Command). The families differ in what they do with Claude Code's
// `role: "system"` messages and with earlier turns' reasoning:
// - template path (collate): every system message lifted into one system
//   prompt at the top;
// - `qwen3-coder` (model/renderers/qwen3coder.go): the first system message
//   wins (the request's top-level system), every later one is dropped, and
//   reasoning is never rendered;
// - `qwen3.5` (model/renderers/qwen35.go, the Qwen 3.5 and 3.6 models): later
//   system messages stay where they stand, and an assistant message's
//   reasoning is rendered only after the last real user query, so each new
//   prompt drops the previous turn's reasoning;
// - `qwen3.8` (the same file's Qwen 3.8 variant): every system message joined
//   into one leading system turn, like the template path, and every
//   assistant message's reasoning rendered, so nothing is dropped.
// llama-server renders with the model's Jinja chat template (GET /props
// `chat_template`); Qwen 3.5/3.6's template has the same two traits, and Qwen
// 3.6's takes a `preserve_thinking` switch that keeps earlier reasoning.
import { isObject, str } from './json-fields.js';
import type { ModelRenderer, PromptFamily } from '../wire/types.js';

export { PROMPT_FAMILIES, type ModelRenderer, type PromptFamily } from '../wire/types.js';

export const TEMPLATE_PATH: ModelRenderer = Object.freeze({ family: 'template', name: 'template', keepReasoningSwitch: null });

/** Ollama's renderer names whose treatment of system messages and reasoning is known. */
const OLLAMA_FAMILIES: Readonly<Record<string, PromptFamily>> = {
  'qwen3-coder': 'qwen3-coder',
  'qwen3.5': 'qwen3.5',
  'qwen3.8': 'qwen3.8',
};

/**
 * GGUF architectures (model_info `general.architecture`) whose cache holds a
 * recurrent state beside attention, as llama.cpp names them.
 */
const HYBRID_ARCHITECTURES = new Set(['qwen35', 'qwen35moe', 'qwen3next']);

/**
 * Architectures Ollama loads with one slot whatever OLLAMA_NUM_PARALLEL says
 * (server/sched.go load: "model architecture does not currently support
 * parallel requests", matched on the model's family, which is its architecture).
 */
const ONE_SLOT_ARCHITECTURES = new Set(['mllama', 'qwen3vl', 'qwen3vlmoe', 'qwen35', 'qwen35moe', 'qwen3next', 'lfm2', 'lfm2moe', 'nemotron_h', 'nemotron_h_moe', 'nemotron_h_omni']);

/** Whether Ollama forces one slot on a model of this GGUF architecture. */
export function forcesOneSlot(architecture: string | undefined): boolean {
  return architecture !== undefined && ONE_SLOT_ARCHITECTURES.has(architecture);
}

/**
 * Whether `/api/show` describes a hybrid model: by its architecture, or, where
 * the model_info does not name one we know, by its renderer: Ollama gives
 * `qwen3.5` and `qwen3.8` only to the Qwen 3.5 architectures
 * (x/create/client/create.go, isQwen35Family), which are all hybrid.
 */
function showsHybrid(show: Record<string, unknown>, family: PromptFamily): boolean {
  const architecture = architectureOf(show);
  if (architecture !== undefined && HYBRID_ARCHITECTURES.has(architecture)) return true;
  return family === 'qwen3.5' || family === 'qwen3.8';
}

function architectureOf(show: Record<string, unknown>): string | undefined {
  const info = show.model_info;
  return isObject(info) ? str(info['general.architecture']) : undefined;
}

/** Whether Ollama runs the model `/api/show` describes on one slot: by architecture, or as a hybrid (every hybrid is on the list). */
function showsOneSlot(show: Record<string, unknown>, hybrid: boolean): boolean {
  return hybrid || forcesOneSlot(architectureOf(show));
}

/** The renderer name a Modelfile text declares (`RENDERER qwen3.5`, quoted when it holds spaces). */
function modelfileRenderer(modelfile: string): string | undefined {
  const line = /^RENDERER[ \t]+("?)([^"\n]+)\1[ \t]*$/m.exec(modelfile);
  return line?.[2]?.trim() || undefined;
}

/**
 * From `POST /api/show`'s answer. A renderer Ollama names but whose rules are
 * not known here is estimated as the template path, which lifts system
 * messages (the conservative assumption: the fold then keeps them in place).
 */
export function rendererFromOllamaShow(show: unknown): ModelRenderer {
  if (!isObject(show)) return TEMPLATE_PATH;
  const name = str(show.renderer) || modelfileRenderer(str(show.modelfile) ?? '');
  const family = name === undefined ? 'template' : OLLAMA_FAMILIES[name] ?? 'template';
  const hybrid = showsHybrid(show, family);
  const oneSlot = showsOneSlot(show, hybrid);
  const traits = { ...(hybrid ? { hybrid } : {}), ...(oneSlot ? { oneSlot } : {}) };
  if (name === undefined) return hybrid || oneSlot ? { ...TEMPLATE_PATH, ...traits } : TEMPLATE_PATH;
  return { family, name, keepReasoningSwitch: null, ...traits };
}

/**
 * From a Jinja chat template (llama-server's `/props`). Qwen's templates find
 * the last real user query (`last_query_index`) and render reasoning only
 * after it, and render a system message that is not first where it stands.
 * Null when the template shows neither trait: then nothing is assumed.
 */
export function rendererFromChatTemplate(template: unknown): ModelRenderer | null {
  if (typeof template !== 'string' || !template.includes('last_query_index')) return null;
  return {
    family: 'qwen3.5',
    name: 'chat template',
    keepReasoningSwitch: template.includes('preserve_thinking') ? 'preserve_thinking' : null,
  };
}
