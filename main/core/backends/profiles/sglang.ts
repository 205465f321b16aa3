// SGLang's server (docs: native APIs): GET /get_model_info answers
// {"model_path", ...}, GET /get_server_info its arguments and version, and
// /v1/models the served model. Its radix cache is shared by all requests.
// Its Anthropic converter lifts inline system messages to the top of the prompt.
import { compact, isObject, positive, str } from '../json-fields.js';
import type { BackendProfile } from '../profile.js';
import { parseOpenAiModels, probe, servedModels } from './probe.js';

export const sglangProfile: BackendProfile = {
  kind: 'sglang',
  label: 'SGLang',
  async identify(get) {
    const info = await probe(get, '/get_model_info');
    if (!isObject(info) || !str(info.model_path)) return null;
    const server = await probe(get, '/get_server_info');
    return compact({ version: isObject(server) ? str(server.version) : undefined });
  },
  async read(get) {
    const [listed, server] = await Promise.all([get('/v1/models'), probe(get, '/get_server_info')]);
    const window = isObject(server) ? positive(server.context_length) : undefined;
    const served = parseOpenAiModels(listed).map((m) => compact({ ...m, maxModelLen: m.maxModelLen ?? window }));
    return servedModels(served);
  },
  liftsInlineSystem: true,
  usageCarriesCache: false,
  truncatesSilently: false,
  knobs: { context: 'sglang.launch_server --context-length', slots: null },
};
