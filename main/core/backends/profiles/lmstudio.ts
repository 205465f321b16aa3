// LM Studio: its native REST API lists every downloaded model with its state.
// v0 (0.3.6+): GET /api/v0/models, entries {id, type, state, max_context_length,
// loaded_context_length?}; v1 (0.4+): GET /api/v1/models, entries {key, type,
// max_context_length, loaded_instances[{id, config{context_length}}]}.
// Neither says which version of LM Studio answers.
import { compact, isObject, objects, positive, str, type Json } from '../json-fields.js';
import type { BackendFacts, BackendProfile } from '../profile.js';
import type { LoadedModel, ListedModel } from '../types.js';
import { probe } from './probe.js';

const isV0List = (body: unknown): boolean =>
  isObject(body) && body.object === 'list' && Array.isArray(body.data) && objects(body, 'data').every((m) => typeof m.state === 'string');
const isV1List = (body: unknown): boolean =>
  isObject(body) && Array.isArray(body.models) && objects(body, 'models').every((m) => Array.isArray(m.loaded_instances));
const servesText = (m: Json): boolean => m.type !== 'embeddings' && m.type !== 'embedding';

function fromV1(body: unknown): BackendFacts {
  const entries = objects(body, 'models').filter(servesText);
  const models: ListedModel[] = [];
  const loaded: LoadedModel[] = [];
  for (const m of entries) {
    const name = str(m.key) ?? str(m.id);
    if (!name) continue;
    models.push(compact({ name, contextLength: positive(m.max_context_length) }));
    for (const instance of objects(m, 'loaded_instances')) {
      const config = isObject(instance.config) ? instance.config : {};
      loaded.push(compact({ name: str(instance.id) ?? name, contextLength: positive(config.context_length) }));
    }
  }
  return { models, loaded };
}

function fromV0(body: unknown): BackendFacts {
  const entries = objects(body, 'data').filter(servesText);
  const models = entries.flatMap((m): ListedModel[] => {
    const name = str(m.id);
    return name ? [compact({ name, contextLength: positive(m.max_context_length) })] : [];
  });
  // max_context_length is what the model could take, not what it was loaded with: only the loaded figure counts.
  const loaded = entries.filter((m) => m.state === 'loaded').flatMap((m): LoadedModel[] => {
    const name = str(m.id);
    return name ? [compact({ name, contextLength: positive(m.loaded_context_length) })] : [];
  });
  return { models, loaded };
}

export const lmStudioProfile: BackendProfile = {
  kind: 'lmstudio',
  label: 'LM Studio',
  async identify(get) {
    if (isV1List(await probe(get, '/api/v1/models'))) return {};
    return isV0List(await probe(get, '/api/v0/models')) ? {} : null;
  },
  async read(get) {
    const v1 = await probe(get, '/api/v1/models');
    return isV1List(v1) ? fromV1(v1) : fromV0(await get('/api/v0/models'));
  },
  liftsInlineSystem: null,
  usageCarriesCache: false,
  // Its default context overflow policy cuts the middle of the conversation.
  truncatesSilently: true,
  knobs: {
    context: "the model's Context Length in LM Studio's load settings (or lms load <model> --context-length N)",
    slots: null,
  },
};
