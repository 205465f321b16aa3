// Routers in front of several engines. Two say who they are:
// - NVIDIA Dynamo's frontend: GET /health answers {"status", "endpoints": [...],
//   "instances": [...]} (lib/llm/src/http/service/health.rs);
// - vLLM production-stack's router: GET /engines lists its engines
//   (src/vllm_router/routers/main_router.py).
// The SGLang Model Gateway and llm-d's gateway answer like the engines behind
// them; --backend router --router sglang|llm-d names them.
import { isObject } from '../json-fields.js';
import type { BackendProfile, GetJson, Identity } from '../profile.js';
import { parseOpenAiModels, probe, servedModels, versionAt } from './probe.js';

async function dynamo(get: GetJson): Promise<Identity | null> {
  const health = await probe(get, '/health');
  const isDynamo = isObject(health) && Array.isArray(health.instances) && Array.isArray(health.endpoints);
  return isDynamo ? { flavour: 'dynamo' } : null;
}

async function productionStack(get: GetJson): Promise<Identity | null> {
  const engines = await probe(get, '/engines');
  if (!Array.isArray(engines) || !engines.every((e) => isObject(e) && 'engine_id' in e)) return null;
  const version = await versionAt(get, '/version');
  return version ? { flavour: 'vllm-router', version } : { flavour: 'vllm-router' };
}

export const routerProfile: BackendProfile = {
  kind: 'router',
  label: 'router',
  async identify(get) {
    return (await dynamo(get)) ?? (await productionStack(get));
  },
  // Every router serves the OpenAI model list, whichever engines are behind it.
  async acceptNamed(get) {
    return parseOpenAiModels(await probe(get, '/v1/models')).length > 0 ? {} : null;
  },
  async read(get) {
    return servedModels(parseOpenAiModels(await get('/v1/models')));
  },
  liftsInlineSystem: null,
  usageCarriesCache: false,
  truncatesSilently: false,
  knobs: {
    context: "each engine's context setting behind the router (vLLM --max-model-len, SGLang --context-length, llama-server -c)",
    slots: null,
  },
};
