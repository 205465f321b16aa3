// What the proxy is told about a model from the monitor's last look at the
// backend: whether it is loaded (a call to an unloaded model waits for the
// load first), its context window, else the one the settings name, and how
// its prefill cost grows with the context (for the wait's prediction).
import type { BackendState } from '../backends/types.js';
import { canonicalModelName, sameModel } from '../backends/model-name.js';
import type { BackendModelInfo } from '../proxy/types.js';
import { modelWindow } from '../backends/model-window.js';

/**
 * `settingsContextTokens` 0 means the user has not set one. `lastAnsweredAt`
 * is when a call to this model last completed: a model that answered after the
 * monitor's last look is loaded, whatever that look said.
 */
export function backendModelInfo(state: BackendState, model: string, settingsContextTokens: number, lastAnsweredAt: number | null): BackendModelInfo {
  const entry = state.loaded.find((m) => sameModel(m.name, model));
  const checkedAt = state.lastCheckedAt?.getTime() ?? null;
  const answeredSince = lastAnsweredAt !== null && (checkedAt === null || lastAnsweredAt >= checkedAt);
  // Only a backend that answered can say a model is not loaded.
  const loaded = entry !== undefined || answeredSince ? true : state.status === 'up' && checkedAt !== null ? false : null;
  return { loaded, contextTokens: modelWindow(state, model, settingsContextTokens)?.tokens ?? null, contextCost: entry?.contextCost ?? null };
}

/** Remembers which models answered when, so the proxy can ask about any model with the monitor's state as of now. */
export class BackendModels {
  readonly #answeredAt = new Map<string, number>();

  constructor(
    private readonly state: () => BackendState,
    private readonly settingsContextTokens: () => number,
    private readonly now: () => number,
  ) {}

  /** A call to `model` completed without error: it is loaded now. */
  answered(model: string): void {
    this.#answeredAt.set(canonicalModelName(model), this.now());
  }

  info(model: string): BackendModelInfo {
    return backendModelInfo(this.state(), model, this.settingsContextTokens(), this.#answeredAt.get(canonicalModelName(model)) ?? null);
  }
}
