// llama.cpp's llama-server (tools/server/README.md): GET /props holds the
// build, the model path, the per-slot context (default_generation_settings.
// n_ctx) and total_slots; GET /slots lists the slots unless --no-slots;
// GET /v1/models gives the model's id (its --alias or path) and width (meta.n_embd).
import { compact, isObject, positive, str } from '../json-fields.js';
import type { BackendProfile } from '../profile.js';
import { parseOpenAiModels, probe } from './probe.js';
import { rendererFromChatTemplate } from '../renderer.js';

function isProps(body: unknown): body is Record<string, unknown> {
  return isObject(body) && (isObject(body.default_generation_settings) || positive(body.total_slots) !== undefined);
}

function basename(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

export const llamaServerProfile: BackendProfile = {
  kind: 'llama-server',
  label: 'llama-server',
  async identify(get) {
    const props = await probe(get, '/props');
    if (!isProps(props)) return null;
    return compact({ version: str(props.build_info) });
  },
  async read(get) {
    const [props, slots, listed] = await Promise.all([get('/props'), probe(get, '/slots'), probe(get, '/v1/models')]);
    const settings = isObject(props) && isObject(props.default_generation_settings) ? props.default_generation_settings : {};
    const path = isObject(props) ? str(props.model_path) : undefined;
    const listedModel = parseOpenAiModels(listed)[0];
    const name = listedModel?.id ?? (path ? basename(path) : undefined);
    // Each slot gets -c divided by -np (unless --kv-unified): n_ctx is what one conversation can use.
    const contextLength = positive(settings.n_ctx);
    const slotCount = Array.isArray(slots) ? slots.length || undefined : isObject(props) ? positive(props.total_slots) : undefined;
    // Its Jinja chat template decides where system messages go and whether earlier reasoning stays.
    const renderer = isObject(props) ? rendererFromChatTemplate(props.chat_template) ?? undefined : undefined;
    const model = name ? [compact({ name, contextLength, contextCost: listedModel?.contextCost, renderer })] : [];
    return compact({ models: model, loaded: model, slots: slotCount });
  },
  // It keeps system messages where they stand; whether the chat template lifts them depends on the model.
  liftsInlineSystem: null,
  usageCarriesCache: false,
  // It refuses a prompt longer than the slot's context with an error rather than cutting it.
  truncatesSilently: false,
  knobs: {
    context: 'llama-server -c (--ctx-size); each slot gets -c divided by -np',
    slots: 'llama-server -np (--parallel), with --slots set to match',
  },
};
