// Stand-ins for the engines besides Ollama and for routers, each answering
// its documented surface over real HTTP, on top of the Ollama stand-in's
// Anthropic /v1/messages (SSE with realistic pauses):
// - llama-server (llama.cpp tools/server/README.md): /health, /props, /slots,
//   /v1/models, count_tokens; a prompt over the context is refused with 400;
// - LM Studio (lmstudio.ai REST API docs): /api/v0/models, /api/v1/models,
//   /v1/models; unknown endpoints answer {"error": "Unexpected endpoint…"};
// - vLLM (vllm/entrypoints): /health, /version, /v1/models with max_model_len,
//   count_tokens, usage with cache_read_input_tokens;
// - SGLang (docs, native APIs): /health, /get_model_info, /get_server_info, /v1/models;
// - NVIDIA Dynamo's frontend (lib/llm/src/http/service/health.rs): /health, /live, /v1/models;
// - vLLM production-stack's router (src/vllm_router/routers/main_router.py):
//   /health, /version, /engines, /v1/models, and no /v1/messages.
import type http from 'node:http';
import { startOllamaStandin, type OllamaStandin, type RecordedRequest, type StandinOptions } from './ollama-standin.js';

export type EngineStandinKind = 'llama-server' | 'lmstudio' | 'lmstudio-v0' | 'vllm' | 'sglang' | 'dynamo' | 'vllm-router';

export interface EngineStandinOptions {
  /** The served (or loaded) model. */
  model?: string;
  /** The loaded context window (llama-server: per slot). */
  contextLength?: number;
  /** llama-server's -np. */
  slots?: number;
  version?: string;
  /** llama-server's /props chat_template (the model's Jinja template). */
  chatTemplate?: string;
  /** Passed to the Ollama stand-in underneath (timing, record, ...). */
  base?: StandinOptions;
}

function json(res: http.ServerResponse, value: unknown, status = 200): true {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(value));
  return true;
}

function get(rec: RecordedRequest, path: string): boolean {
  return rec.method === 'GET' && rec.url.split('?')[0] === path;
}

/** FastAPI (vLLM, SGLang, production-stack) answers unknown routes like this. */
function fastApiNotFound(_rec: RecordedRequest, res: http.ServerResponse): void {
  json(res, { detail: 'Not Found' }, 404);
}

const created = 1_764_000_000;

function llamaServer(o: Required<Omit<EngineStandinOptions, 'base'>>): Pick<StandinOptions, 'surface' | 'notFound' | 'countTokens' | 'refuseOverContext'> {
  const slot = (id: number) => ({ id, id_task: -1, n_ctx: o.contextLength, speculative: false, is_processing: false, params: { n_predict: -1, temperature: 0.8 } });
  return {
    countTokens: true,
    refuseOverContext: o.contextLength,
    surface: (rec, res) => {
      if (get(rec, '/health') || get(rec, '/v1/health')) return json(res, { status: 'ok' });
      if (get(rec, '/props')) {
        return json(res, {
          default_generation_settings: { ...slot(0), prompt: '', next_token: { has_next_token: true, n_remain: -1, n_decoded: 0 } },
          total_slots: o.slots, model_path: `/models/${o.model}.gguf`, chat_template: o.chatTemplate, chat_template_caps: {},
          modalities: { vision: false }, build_info: o.version, is_sleeping: false,
        });
      }
      if (get(rec, '/slots')) return json(res, Array.from({ length: o.slots }, (_, i) => slot(i)));
      if (get(rec, '/v1/models') || get(rec, '/models')) {
        return json(res, { object: 'list', data: [{ id: o.model, object: 'model', created, owned_by: 'llamacpp', meta: { vocab_type: 2, n_vocab: 151936, n_ctx_train: 262144, n_embd: 2048, n_params: 30532122624, size: 32483926016 } }] });
      }
      return false;
    },
    notFound: (_rec, res) => void json(res, { error: { code: 404, message: 'File Not Found', type: 'not_found_error' } }, 404),
  };
}

function lmStudio(o: Required<Omit<EngineStandinOptions, 'base'>>, v1: boolean): Pick<StandinOptions, 'surface' | 'notFound'> {
  const other = { id: 'text-embedding-nomic-embed-text-v1.5', type: 'embeddings', max_context_length: 2048 };
  return {
    surface: (rec, res) => {
      if (get(rec, '/api/v0/models')) {
        return json(res, { object: 'list', data: [
          { id: o.model, object: 'model', type: 'llm', publisher: 'lmstudio-community', arch: 'qwen3', compatibility_type: 'gguf',
            quantization: 'Q4_K_M', state: 'loaded', max_context_length: 262144, loaded_context_length: o.contextLength },
          { ...other, object: 'model', publisher: 'nomic-ai', arch: 'nomic-bert', compatibility_type: 'gguf', quantization: 'Q4_K_M', state: 'not-loaded' },
        ] });
      }
      if (v1 && get(rec, '/api/v1/models')) {
        return json(res, { models: [
          { type: 'llm', publisher: 'lmstudio-community', key: o.model, display_name: o.model, architecture: 'qwen3', quantization: { name: 'Q4_K_M' },
            size_bytes: 18_556_000_000, params_string: '30B', max_context_length: 262144, format: 'gguf',
            loaded_instances: [{ id: o.model, config: { context_length: o.contextLength, eval_batch_size: 512, flash_attention: true } }] },
          { type: 'embedding', publisher: 'nomic-ai', key: other.id, display_name: 'Nomic Embed', max_context_length: 2048, loaded_instances: [] },
        ] });
      }
      if (get(rec, '/v1/models')) return json(res, { object: 'list', data: [{ id: o.model, object: 'model', owned_by: 'organization_owner' }] });
      return false;
    },
    // LM Studio answers what it does not serve with a JSON error, status 200.
    notFound: (rec, res) => void json(res, { error: `Unexpected endpoint or method. (${rec.method} ${rec.url})` }),
  };
}

function openAiModels(o: Required<Omit<EngineStandinOptions, 'base'>>, ownedBy: string, withWindow = true): unknown {
  return { object: 'list', data: [{ id: o.model, object: 'model', created, owned_by: ownedBy, root: o.model, parent: null,
    ...(withWindow ? { max_model_len: o.contextLength } : {}) }] };
}

function emptyOk(res: http.ServerResponse): true {
  res.writeHead(200, { 'content-length': '0' });
  res.end();
  return true;
}

function vllm(o: Required<Omit<EngineStandinOptions, 'base'>>): Pick<StandinOptions, 'surface' | 'notFound' | 'countTokens' | 'cacheUsage'> {
  return {
    countTokens: true,
    cacheUsage: true,
    surface: (rec, res) => {
      if (get(rec, '/health') || get(rec, '/ping')) return emptyOk(res);
      if (get(rec, '/version')) return json(res, { version: o.version });
      if (get(rec, '/v1/models')) return json(res, openAiModels(o, 'vllm'));
      return false;
    },
    notFound: fastApiNotFound,
  };
}

function sglang(o: Required<Omit<EngineStandinOptions, 'base'>>): Pick<StandinOptions, 'surface' | 'notFound' | 'countTokens'> {
  return {
    countTokens: true,
    surface: (rec, res) => {
      if (get(rec, '/health') || get(rec, '/health_generate')) return emptyOk(res);
      if (get(rec, '/get_model_info')) return json(res, { model_path: o.model, tokenizer_path: o.model, is_generation: true, preferred_sampling_params: null, weight_version: 'default' });
      if (get(rec, '/get_server_info')) return json(res, { model_path: o.model, context_length: o.contextLength, tp_size: 1, version: o.version });
      if (get(rec, '/v1/models')) return json(res, openAiModels(o, 'sglang'));
      return false;
    },
    notFound: fastApiNotFound,
  };
}

function dynamo(o: Required<Omit<EngineStandinOptions, 'base'>>): Pick<StandinOptions, 'surface' | 'notFound'> {
  return {
    surface: (rec, res) => {
      if (get(rec, '/health')) {
        return json(res, { status: 'healthy', message: 'Service is healthy', initial_discovery_complete: true, initial_discovery_error: null,
          endpoints: ['dyn://dynamo.backend.generate'],
          instances: [1, 2].map((n) => ({ component: 'backend', endpoint: 'generate', namespace: 'dynamo', instance_id: n, transport: { nats_tcp: `worker-${n}` } })) });
      }
      if (get(rec, '/live')) return json(res, { status: 'live', message: 'Service is live' });
      if (get(rec, '/v1/models')) return json(res, openAiModels(o, 'nvidia', false));
      return false;
    },
    // axum answers unknown routes with an empty 404.
    notFound: (_rec, res) => {
      res.writeHead(404, { 'content-length': '0' });
      res.end();
    },
  };
}

function productionStack(o: Required<Omit<EngineStandinOptions, 'base'>>): Pick<StandinOptions, 'surface' | 'notFound'> {
  // Its main router routes the OpenAI endpoints only: /v1/messages falls to FastAPI's 404.
  return {
    surface: (rec, res) => {
      if (get(rec, '/health')) return json(res, { status: 'healthy' });
      if (get(rec, '/version')) return json(res, { version: o.version });
      if (get(rec, '/engines')) return json(res, [1, 2].map((n) => ({ engine_id: `engine-${n}`, serving_models: [o.model], created })));
      if (get(rec, '/v1/models')) return json(res, openAiModels(o, 'vllm'));
      return false;
    },
    notFound: fastApiNotFound,
  };
}

const DEFAULT_VERSIONS: Readonly<Record<EngineStandinKind, string>> = {
  'llama-server': 'b7100-00dc805', lmstudio: '', 'lmstudio-v0': '', vllm: '0.11.2', sglang: '0.5.5', dynamo: '', 'vllm-router': '0.1.8',
};

export async function startEngineStandin(kind: EngineStandinKind, options: EngineStandinOptions = {}): Promise<OllamaStandin> {
  const o = {
    model: options.model ?? 'qwen3-coder-30b', contextLength: options.contextLength ?? 32768, slots: options.slots ?? 1,
    version: options.version ?? DEFAULT_VERSIONS[kind], chatTemplate: options.chatTemplate ?? '{{ messages }}',
  };
  const surfaces: Record<EngineStandinKind, () => Pick<StandinOptions, 'surface' | 'notFound' | 'countTokens' | 'cacheUsage' | 'refuseOverContext'>> = {
    'llama-server': () => llamaServer(o),
    lmstudio: () => lmStudio(o, true),
    'lmstudio-v0': () => lmStudio(o, false),
    vllm: () => vllm(o),
    sglang: () => sglang(o),
    dynamo: () => dynamo(o),
    'vllm-router': () => productionStack(o),
  };
  const surface = surfaces[kind]();
  return startOllamaStandin({ ...options.base, ...surface, ...(kind === 'vllm-router' ? { servesMessages: false } : {}) });
}
