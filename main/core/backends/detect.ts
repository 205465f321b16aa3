// Which engine answers at the target, from its own endpoints. Probes run in an
// order where an earlier one never matches a later engine: a router before
// the engines it fronts (production-stack's /version is vLLM's), SGLang
// before vLLM. Nothing answering ends detection at once (the target is down);
// answering like none of them is "unknown", never a guess.
import type { BackendProfile, GetJson, Identity } from './profile.js';
import { llamaServerProfile } from './profiles/llama-server.js';
import { lmStudioProfile } from './profiles/lmstudio.js';
import { ollamaProfile } from './profiles/ollama.js';
import { routerProfile } from './profiles/router.js';
import { sglangProfile } from './profiles/sglang.js';
import { vllmProfile } from './profiles/vllm.js';
import type { BackendKind } from '../wire/types.js';

export const PROFILES: Readonly<Record<BackendKind, BackendProfile>> = {
  ollama: ollamaProfile,
  'llama-server': llamaServerProfile,
  lmstudio: lmStudioProfile,
  router: routerProfile,
  sglang: sglangProfile,
  vllm: vllmProfile,
};

const DETECTION_ORDER: readonly BackendProfile[] = [ollamaProfile, llamaServerProfile, lmStudioProfile, routerProfile, sglangProfile, vllmProfile];

export interface Detected {
  readonly profile: BackendProfile;
  readonly identity: Identity;
}

/** The engine at the target, or null when it answers like none of them; rejects when nothing answers. */
export async function detectBackend(get: GetJson): Promise<Detected | null> {
  for (const profile of DETECTION_ORDER) {
    const identity = await profile.identify(get);
    if (identity) return { profile, identity };
  }
  return null;
}
