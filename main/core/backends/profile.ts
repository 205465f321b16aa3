// One small interface per engine: how to recognise it from its own endpoints,
// what it can tell about its models, and what it does that matters to the
// cache. The monitor and the advice only ever talk to this.
import type { LoadedModel, ListedModel } from './types.js';
import type { BackendKind, ModelRenderer, RouterFlavour } from '../wire/types.js';

/** GET a JSON document from the target (POST `body` as JSON when given); rejects with BackendRequestError. */
export type GetJson = (path: string, body?: unknown) => Promise<unknown>;

/** What one request about a model told. */
export interface ModelDescription {
  readonly contextCost: number | null;
  readonly renderer: ModelRenderer | null;
}

/** What a recognised engine said about itself. */
export interface Identity {
  readonly version?: string;
  readonly flavour?: RouterFlavour;
}

export interface BackendFacts {
  readonly models: readonly ListedModel[];
  /** Models in memory, each with the context it was loaded with where known. */
  readonly loaded: readonly LoadedModel[];
  /** Parallel sequences (cache slots), where the engine reports them. */
  readonly slots?: number;
}

/** The settings that fix what the advice is about, named as the user sets them. */
export interface Knobs {
  /** How to give the model a larger context window. */
  readonly context: string;
  /** How to give it more parallel slots; null where the engine has none to set. */
  readonly slots: string | null;
}

export interface BackendProfile {
  readonly kind: BackendKind;
  /** How the menu and the messages name it. */
  readonly label: string;
  /**
   * The cheapest requests that prove the target is this engine. Resolves null
   * when the target answers but not as this engine would; rejects when
   * nothing answers at all, so detection can stop at the first probe.
   */
  identify(get: GetJson): Promise<Identity | null>;
  /**
   * When the user named this engine and identify() cannot tell (a router that
   * answers like the engines behind it): what suffices to count it as up.
   */
  acceptNamed?(get: GetJson): Promise<Identity | null>;
  /** Models, loaded models and slots; a part the engine does not serve is left out. */
  read(get: GetJson, identity: Identity): Promise<BackendFacts>;
  /**
   * A model's `contextCost` (model-shape.ts) and renderer (renderer.ts),
   * where the engine needs a request per model to tell them; asked once per
   * model and remembered.
   */
  describeModel?(get: GetJson, model: string): Promise<ModelDescription>;
  /**
   * Whether the engine moves inline `role: "system"` messages to the top of
   * the prompt (so folding them matters); null where it depends on the chat
   * template or on the engines behind a router.
   */
  readonly liftsInlineSystem: boolean | null;
  /** Whether its Anthropic usage already carries cache_read_input_tokens (then they pass through). */
  readonly usageCarriesCache: boolean;
  /** Whether a prompt longer than the context is cut silently rather than refused with an error. */
  readonly truncatesSilently: boolean;
  readonly knobs: Knobs;
}
