// What the engine says about each model, asked once per model name: its
// shape's contextCost (model-shape.ts) and its renderer (renderer.ts). Neither
// changes while a model keeps its name, and the lists are re-read after every
// call. The renderer is asked for every installed model, not only loaded ones,
// so the first call to a model is already folded and estimated as its
// renderer needs (the fold must not change between a session's calls).
import { BackendRequestError } from './http.js';
import type { BackendProfile, GetJson, ModelDescription } from './profile.js';
import type { LoadedModel, ListedModel } from './types.js';

/** Names remembered at most; a user switches between a handful of models. */
const REMEMBERED = 64;

export class ModelFacts {
  /** null: the engine answered, but with nothing we can read. */
  readonly #known = new Map<string, ModelDescription | null>();

  /**
   * The lists with each model's renderer, and each loaded model's
   * contextCost, where the profile can tell them. Never rejects: both are
   * refinements.
   */
  async annotate(profile: BackendProfile, get: GetJson, models: readonly ListedModel[], loaded: readonly LoadedModel[]): Promise<{ models: ListedModel[]; loaded: LoadedModel[] }> {
    // Loaded models first; installed ones up to half of what is remembered, so a long list cannot churn the memory.
    const names = [...new Set([...loaded.map((m) => m.name), ...models.slice(0, REMEMBERED / 2).map((m) => m.name)])];
    for (const name of names) await this.#learn(profile, get, name);
    const facts = (name: string): ModelDescription | null => this.#known.get(`${profile.kind}\0${name}`) ?? null;
    return {
      models: models.map((m) => withRenderer(m, facts(m.name))),
      loaded: loaded.map((m) => {
        const known = facts(m.name);
        const cost = m.contextCost ?? known?.contextCost ?? undefined;
        return withRenderer(cost === undefined || cost === null ? m : { ...m, contextCost: cost }, known);
      }),
    };
  }

  async #learn(profile: BackendProfile, get: GetJson, name: string): Promise<void> {
    const key = `${profile.kind}\0${name}`;
    if (profile.describeModel === undefined || this.#known.has(key)) return;
    try {
      this.#remember(key, await profile.describeModel(get, name));
    } catch (err) {
      // An engine that answered without it will answer the same next time; a timeout may not.
      if (err instanceof BackendRequestError && err.reachable) this.#remember(key, null);
    }
  }

  #remember(key: string, facts: ModelDescription | null): void {
    if (this.#known.size >= REMEMBERED) this.#known.clear();
    this.#known.set(key, facts);
  }
}

function withRenderer<T extends { readonly renderer?: unknown }>(model: T, facts: ModelDescription | null): T {
  return model.renderer !== undefined || !facts?.renderer ? model : { ...model, renderer: facts.renderer };
}
