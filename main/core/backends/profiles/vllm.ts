// vLLM's OpenAI server: GET /version answers {"version"}, GET /v1/models lists
// the served model with owned_by "vllm" and its max_model_len. Its prefix cache
// is shared by all sequences, so there are no slots to count. Its Anthropic
// usage carries cache_read_input_tokens (entrypoints/anthropic/protocol.py),
// and it keeps inline system messages in place (anthropic/inline_system.py).
import type { BackendProfile } from '../profile.js';
import { parseOpenAiModels, probe, servedModels, versionAt } from './probe.js';

export const vllmProfile: BackendProfile = {
  kind: 'vllm',
  label: 'vLLM',
  async identify(get) {
    const version = await versionAt(get, '/version');
    if (!version) return null;
    const models = parseOpenAiModels(await probe(get, '/v1/models'));
    return models.some((m) => m.ownedBy === 'vllm') ? { version } : null;
  },
  async read(get) {
    return servedModels(parseOpenAiModels(await get('/v1/models')));
  },
  liftsInlineSystem: false,
  usageCarriesCache: true,
  truncatesSilently: false,
  knobs: { context: 'vllm serve --max-model-len', slots: null },
};
