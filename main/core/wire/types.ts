// What goes over the wire: the shapes of /_proxy/status and /_proxy/events,
// the records the CLI's --explain prints, and the names of engines and
// routers they carry. Every side (proxy, backends, diagnostics, wait, menu,
// bridge, renderer) may import this module, and it imports nothing, so no
// two of them need each other to agree on a shape. The renderer imports it
// with `import type`.

/** The engines the proxy tells apart; a router fronts several of them. */
export const BACKEND_KINDS = ['ollama', 'llama-server', 'lmstudio', 'vllm', 'sglang', 'router'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

/** Routers that can be told apart from their own endpoints, or named with --router. */
export const ROUTER_FLAVOURS = ['dynamo', 'sglang', 'vllm-router', 'llm-d'] as const;
export type RouterFlavour = (typeof ROUTER_FLAVOURS)[number];

/** How a model's renderer places inline system messages and earlier turns' reasoning (backends/renderer.ts). */
export type PromptFamily = 'template' | 'qwen3-coder' | 'qwen3.5' | 'qwen3.8';

export const PROMPT_FAMILIES: readonly PromptFamily[] = ['template', 'qwen3-coder', 'qwen3.5', 'qwen3.8'];

export interface ModelRenderer {
  readonly family: PromptFamily;
  /** The backend's own name for it: Ollama's renderer, `template`, or `chat template` (llama-server). */
  readonly name: string;
  /**
   * The chat-template switch that keeps earlier turns' reasoning (Qwen 3.6's
   * `preserve_thinking`), where the backend renders with a template that has
   * one; null where there is none (Ollama's built-in renderers).
   */
  readonly keepReasoningSwitch: string | null;
  /**
   * The model keeps a recurrent state beside its attention cache (Qwen 3.5
   * and 3.6, Qwen3-Next), so its cache resumes only from checkpoints
   * (diagnostics/checkpoints.ts); absent when not known to be.
   */
  readonly hybrid?: boolean;
  /**
   * Ollama runs the model on one slot whatever OLLAMA_NUM_PARALLEL says
   * (server/sched.go: mllama, the Qwen 3.5 and Qwen3-VL families, LFM2,
   * Nemotron-H); absent when not known to.
   */
  readonly oneSlot?: boolean;
}

/** GET /_proxy/status → backend: what was found at the target, and what that means for the cache. */
export interface BackendInfo {
  /**
   * 'checking' before the first check has finished; 'unexpected' when the
   * target answers, but not as the engine named with --backend does.
   */
  readonly status: 'checking' | 'up' | 'down' | 'unexpected';
  /** The engine: 'unknown' when it answers like none of them; null while nothing answers. */
  readonly kind: BackendKind | 'unknown' | null;
  /** How to name it to a person (LM Studio, vLLM, …); null while the kind is not known. */
  readonly label: string | null;
  readonly flavour: RouterFlavour | null;
  /** True when --backend named it rather than detection. */
  readonly forced: boolean;
  readonly version: string | null;
  readonly models: readonly string[];
  /** Parallel sequences (cache slots): reported by the engine, or as configured for Ollama. */
  readonly slots: number | null;
  /** The loaded context window of the model in use, where the engine reports it. */
  readonly contextLength: number | null;
  /** Whether inline system messages are lifted to the top of the prompt; null where it depends. */
  readonly liftsInlineSystem: boolean | null;
  /** What renders the prompt of the model in use, as the engine told; null while unknown. */
  readonly renderer?: ModelRenderer | null;
  /** Whether the engine's usage already carries cache figures (then they pass through untouched). */
  readonly usageCarriesCache: boolean | null;
  /** The settings the advice names for this engine. */
  readonly knobs: { readonly context: string; readonly slots: string | null } | null;
  readonly error?: string;
}

export type BustCause =
  | 'billing-header'
  | 'tools-reordered'
  | 'tools-changed'
  | 'date-changed'
  | 'system-reminder'
  | 'system-changed'
  | 'inline-system'
  | 'history-rewritten'
  | 'reasoning-dropped'
  | 'slot-evicted'
  | 'side-call-evicted'
  | 'unknown';

/** Why a turn did not begin with its predecessor, and what to do about it. */
export interface Bust {
  readonly cause: BustCause;
  /** JSON path of the divergence, e.g. `system[0].text` or `messages[3].content[0].text`. */
  readonly path: string;
  /**
   * At most 40 characters of the previous prompt from the divergence on.
   * Outside the tracker, empty (with `after`, and no `lead`) unless the user
   * turned prompt excerpts on: records reach the status API and the logs.
   */
  readonly before: string;
  /** At most 40 characters of this prompt from the divergence on; empty when excerpts are off. */
  readonly after: string;
  /**
   * The shared text just before the divergence, back to the start of the
   * token it splits (at most 24 characters), so a reader sees `cch=74e44`
   * rather than a bare `74e44`.
   */
  readonly lead?: string;
  readonly remedy: string;
  /** For `slot-evicted`: the conversation whose prompt took the slot, e.g. `subagent a2e12c9e of session a70f11`. */
  readonly evictedBy?: string;
}

/** A prompt that did not fit the loaded context window: the backend cut it or refused it. */
export interface ContextOverflow {
  readonly promptTokens: number;
  readonly contextLength: number;
  /** Where promptTokens came from: the backend's own usage, or the proxy's estimate. */
  readonly source: 'backend' | 'estimate';
  /** The setting that raises the context, named for this backend. */
  readonly setting: string;
}

/** One completed call to /v1/messages (or count_tokens), as the status API reports it. */
export interface CallRecord {
  readonly id: number;
  /** ISO time the request arrived. */
  readonly time: string;
  /** Conversation key, shortened for display (never prompt text). */
  readonly session: string;
  /** 1-based user turn within the conversation (see turns.ts); 0 for a side call. */
  readonly turn: number;
  /** 1-based model call within the user turn: a tool loop makes several; 0 for a side call. */
  readonly call: number;
  /** A side call (title generation and the like, see side-call.ts), not part of the conversation. */
  readonly sideCall: boolean;
  readonly path: string;
  readonly status: number;
  readonly model: string | null;
  /** Length of the rendered prompt, counted in UTF-8 bytes (what the backend's tokenizer reads). */
  readonly promptChars: number;
  /**
   * Fraction (0..1) of this prompt the backend reused from its cache slots:
   * its own figure where it reports one, else the proxy's estimate; 0 when
   * the backend never answered.
   */
  readonly reuse: number;
  /** Where `reuse` and `cacheReadTokens` come from: the backend's usage, or the proxy's estimate. */
  readonly reuseSource: 'backend' | 'estimate';
  /**
   * The proxy's own estimate of `reuse` from the prompts it rendered, kept
   * beside the backend's figure so the two can be held against each other.
   */
  readonly estimatedReuse: number;
  /** False when the backend gave no answer (unreachable, refused, failed): such a call reused nothing. */
  readonly answered: boolean;
  /** Fraction (0..1) of the previous turn's prompt that this turn begins with; null on turn 1. */
  readonly conversationReuse: number | null;
  readonly bust: Bust | null;
  readonly ttftMs: number | null;
  readonly durationMs: number;
  /** The whole prompt in tokens, as the backend counted it (cache reads included). */
  readonly inputTokens: number | null;
  readonly outputTokens: number | null;
  readonly cacheReadTokens: number | null;
  readonly rewritten: boolean;
  /**
   * The call's place in the agent tree: null for the main agent; for a
   * subagent its id and its parent's (null: the main agent). From Claude
   * Code's agent headers (2.1.268+), else recognised by the prompt (`inferred`).
   */
  readonly agent: { readonly id: string; readonly parent: string | null; readonly inferred: boolean } | null;
  /**
   * Slots the calls seen so far need for none to evict another's prefix, as
   * the backend chooses slots (compare with --slots); null when no number of
   * slots would keep them (only another weights file would).
   */
  readonly slotsNeeded: number | null;
  /**
   * A side call or a subagent's, on a backend with a prompt cache in host
   * memory (llama-server, Ollama 0.30+): whether the backend still holds the
   * model's latest main conversation afterwards, in a slot or that cache, as
   * estimated. Absent for main calls and backends without such a cache.
   */
  readonly mainKept?: boolean;
  /** The backend's prompt cache loaded a saved prompt for this call: whose (a conversation's label, or `side call`). */
  readonly restoredFrom?: string;
  /**
   * A new conversation's first call that found another conversation's prompt
   * in the backend's slot (the system prompt and tools every session of a
   * project shares): that conversation's label. Absent otherwise.
   */
  readonly reusedFrom?: string;
  /** Present only when the prompt was longer than the model's loaded context. */
  readonly contextOverflow?: ContextOverflow;
  /** The model's context window in tokens, as the backend (or the settings) said when the call arrived; null when unknown. */
  readonly contextTokens?: number | null;
  /** The backend reported the model not loaded when the call arrived: its time to first token includes the load. */
  readonly loadingModel?: boolean;
}

export type InFlightPhase = 'waiting' | 'streaming';

/**
 * A /v1/messages call forwarded but not finished. The prompt's figures are
 * filled in a few milliseconds after it arrives (the diagnostics run once the
 * body has gone upstream); until then they are null.
 */
export interface InFlightCall {
  /** The id its CallRecord will carry. */
  readonly id: number;
  /** ISO time the request arrived. */
  readonly time: string;
  readonly session: string | null;
  readonly turn: number | null;
  /** The model call within the user turn (see CallRecord.call); absent or null until known. */
  readonly call?: number | null;
  readonly model: string | null;
  /** The prompt's size, estimated from its rendered length. */
  readonly promptTokens: number | null;
  /** How much of it the backend should find in its cache (predicted). */
  readonly reusedTokens: number | null;
  /** Predicted time to first token; null until a prefill rate has been measured for this model. */
  readonly expectedPrefillMs: number | null;
  readonly elapsedMs: number;
  readonly phase: InFlightPhase;
  /** Why the cache will miss, when the diagnostics predict a miss. */
  readonly cause: BustCause | null;
  /** The backend reported the model not loaded when the call arrived: the wait is a model load first. */
  readonly loadingModel: boolean;
  /** The model's context window in tokens; null when unknown. */
  readonly contextTokens: number | null;
}

/** What /_proxy/events sends besides completed calls. */
export type InFlightEventType = 'call-start' | 'first-token' | 'call-end';

export interface InFlightEvent {
  readonly type: InFlightEventType;
  readonly call: InFlightCall;
}

export interface Totals {
  readonly requests: number;
  readonly rewritten: number;
  readonly errors: number;
  readonly reusedTokens: number;
  readonly processedTokens: number;
}

/** A request the backend failed before answering (kept by /_proxy/status and the log line). */
export interface UpstreamError {
  /** ISO time the failure was seen. */
  readonly time: string;
  readonly path: string;
  /** The socket error, e.g. ECONNRESET, ECONNREFUSED, ETIMEDOUT. */
  readonly code: string;
  /** True when it was a stale pooled connection and the request went out again on a fresh one. */
  readonly retried: boolean;
}

/** GET /_proxy/status */
export interface ProxyStatus {
  readonly version: string;
  readonly target: string;
  readonly rewrite: string;
  /** `fold` or `keep`: what the proxy does with system messages inside `messages`. */
  readonly inlineSystem?: string;
  readonly cacheUsage: boolean;
  readonly slots: number;
  /** Where side calls go (--side-model); null when they share the main model. */
  readonly sideModel?: string | null;
  /** What answers at the target; null where the proxy runs without a backend monitor. */
  readonly backend: BackendInfo | null;
  /** Headers (or `cookie:NAME`) that carry each conversation's affinity key to a router. */
  readonly affinityHeaders: readonly string[];
  /** Whether the proxy sets the upstream's own auth header (its value is never shown). */
  readonly upstreamAuth: boolean;
  readonly listening: { readonly host: string; readonly port: number } | null;
  readonly uptimeMs: number;
  readonly totals: Totals;
  readonly recent: readonly CallRecord[];
  /** The latest upstream failures, oldest first (at most 20). */
  readonly upstreamErrors?: readonly UpstreamError[];
  /** Calls forwarded and not yet finished, oldest first. */
  readonly inFlight: readonly InFlightCall[];
  /** Warm start; null where the proxy runs without one (tests, the bench's bare proxy). */
  readonly warm?: WarmStatus | null;
}

/**
 * --warm: `on` re-warms what the backend lost and, at start, the remembered
 * prefix (loading the model if need be); `idle` re-warms only a model the
 * backend holds; `off` never; `auto` is `idle` on the user's own engine and
 * `off` behind a router or on a shared server.
 */
export const WARM_SETTINGS = ['auto', 'on', 'idle', 'off'] as const;
export type WarmSetting = (typeof WARM_SETTINGS)[number];
export type WarmMode = Exclude<WarmSetting, 'auto'>;

/** What told the proxy that the backend lost the prompt Claude Code sends next. */
export type WarmTrigger =
  /** The proxy (or app) started with a prefix remembered from an earlier run. */
  | 'start'
  /** The model was (re)loaded: its cache is empty. */
  | 'model-loaded'
  /** A side call, a subagent or another conversation through the proxy used the model last. */
  | 'other-call'
  /** Something that does not go through the proxy used the model. */
  | 'foreign-use'
  /** A Claude Code client is starting (its start-up request came through): its user's first call is near. */
  | 'client-start';

export type WarmUpOutcome = 'running' | 'done' | 'cancelled' | 'failed';

/** One warm-up: shown as such, never counted as a user's call. */
export interface WarmUpRecord {
  readonly id: number;
  readonly model: string;
  readonly trigger: WarmTrigger;
  /** `conversation`: the conversation's last call again; `prefix`: the remembered system prompt and tools. */
  readonly kind: 'conversation' | 'prefix';
  /** ISO time it started. */
  readonly time: string;
  readonly outcome: WarmUpOutcome;
  readonly durationMs: number | null;
  /** The prompt's length in tokens, as the backend counted it; null until it answered. */
  readonly promptTokens: number | null;
  readonly error?: string;
}

/** GET /_proxy/status → warm. */
export interface WarmStatus {
  readonly setting: WarmSetting;
  /** What `setting` means here and now. */
  readonly mode: WarmMode;
  /** A loss waiting for the backend to be quiet, if any. */
  readonly waiting: WarmTrigger | null;
  readonly running: WarmUpRecord | null;
  readonly last: WarmUpRecord | null;
  /** Warm-ups since the proxy started. */
  readonly count: number;
}
