// Ollama: GET /api/version says it is Ollama and which; /api/tags lists the
// models and /api/ps those in memory with the context each was loaded with
// (context_length); /api/show a model's shape.
import { contextCostFromModelInfo, modelInfoOf } from '../model-shape.js';
import { rendererFromOllamaShow } from '../renderer.js';
import { parsePs, parseTags } from '../ollama-parse.js';
import type { BackendProfile } from '../profile.js';
import { versionAt } from './probe.js';

export const ollamaProfile: BackendProfile = {
  kind: 'ollama',
  label: 'Ollama',
  async identify(get) {
    const version = await versionAt(get, '/api/version');
    return version ? { version } : null;
  },
  async read(get) {
    const [tags, ps] = await Promise.all([get('/api/tags'), get('/api/ps')]);
    // Slots are OLLAMA_NUM_PARALLEL, which Ollama does not report: the configured --slots stands in.
    return { models: parseTags(tags), loaded: parsePs(ps) };
  },
  // POST /api/show reads the model file's metadata (no runner needed): model_info is its GGUF keys, and
  // the Modelfile names the built-in renderer where the model uses one.
  async describeModel(get, model) {
    const show = await get('/api/show', { model });
    return { contextCost: contextCostFromModelInfo(modelInfoOf(show)), renderer: rendererFromOllamaShow(show) };
  },
  // Its template path gathers every system message into one at the top; its built-in renderers vary (renderer.ts).
  liftsInlineSystem: true,
  usageCarriesCache: false,
  truncatesSilently: true,
  knobs: {
    context: 'OLLAMA_CONTEXT_LENGTH (or num_ctx in a Modelfile), then reload the model',
    slots: 'OLLAMA_NUM_PARALLEL, with --slots set to match',
  },
};
