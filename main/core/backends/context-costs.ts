// Each loaded model's contextCost (model-shape.ts), asked of the engine once
// per model name: a model's shape does not change while it keeps its name,
// and the lists are re-read after every call.
import { BackendRequestError } from './http.js';
import type { BackendProfile, GetJson } from './profile.js';
import type { LoadedModel } from './types.js';

/** Names remembered at most; a user switches between a handful of models. */
const REMEMBERED = 64;

export class ContextCosts {
  /** null: the engine answered, but with no shape we can read. */
  readonly #known = new Map<string, number | null>();

  /** `loaded` with each model's contextCost where the profile can tell it. Never rejects: the shape is a refinement. */
  async annotate(profile: BackendProfile, get: GetJson, loaded: readonly LoadedModel[]): Promise<readonly LoadedModel[]> {
    const ask = profile.contextCost;
    if (ask === undefined) return loaded;
    const out: LoadedModel[] = [];
    for (const model of loaded) {
      const key = `${profile.kind}\0${model.name}`;
      if (model.contextCost === undefined && !this.#known.has(key)) {
        try {
          this.#remember(key, await ask(get, model.name));
        } catch (err) {
          // An engine that answered without it will answer the same next time; a timeout may not.
          if (err instanceof BackendRequestError && err.reachable) this.#remember(key, null);
        }
      }
      const cost = this.#known.get(key);
      out.push(model.contextCost !== undefined || cost === undefined || cost === null ? model : { ...model, contextCost: cost });
    }
    return out;
  }

  #remember(key: string, cost: number | null): void {
    if (this.#known.size >= REMEMBERED) this.#known.clear();
    this.#known.set(key, cost);
  }
}
