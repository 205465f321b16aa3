import type { Router } from 'express';
import type { RewriteMode } from '../rewrite/types.js';
import type { InlineSystemMode } from '../rewrite/inline-system.js';
import type { CallRecord, InFlightEvent, ProxyStatus, UpstreamError, WarmStatus, WarmUpRecord } from '../wire/types.js';
import type { BackendView } from '../backends/backend-info.js';
import type { ClientTimeLimits } from './client-timeouts.js';

export interface ProxyOptions {
  /** Where to listen; loopback unless the user opts in (then a token is required). */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The backend, e.g. http://127.0.0.1:11434. */
  readonly target: string;
  readonly rewrite: RewriteMode;
  /** Fold `role: "system"` entries of `messages` in place (default) or keep them. */
  readonly inlineSystem?: InlineSystemMode;
  /** Largest request body accepted, in bytes. */
  readonly maxBodyBytes: number;
  /** Required when host is not loopback: clients send it as Bearer or x-api-key. */
  readonly token?: string | undefined;
  /** Browser origins allowed besides the proxy's own. */
  readonly allowOrigins?: readonly string[];
  /** Extra Host names accepted besides localhost, 127.0.0.1 and [::1]. */
  readonly allowHosts?: readonly string[];
  /**
   * Add estimated cache_read_input_tokens to usage: Ollama and most local
   * engines report none, so Claude Code would otherwise show no cache at all.
   */
  readonly cacheUsage?: boolean;
  /** Cache slots the backend holds (OLLAMA_NUM_PARALLEL). */
  readonly slots?: number;
  /** Side calls (titles and the like) go to this model, which keeps its own cache; empty or absent = off. */
  readonly sideModel?: string;
  /** Milliseconds after which an upstream call is abandoned; 0 = never (prefill can take minutes). */
  readonly upstreamTimeoutMs?: number;
  /** What answers at the target (from the backend monitor), for the status API and the context check. */
  readonly backend?: BackendView | undefined;
  /** Header names (or `cookie:NAME`) given each forwarded /v1/messages call's affinity key. */
  readonly affinityHeaders?: readonly string[];
  /** The upstream's own auth header, `Name: value`, set on everything forwarded; never logged or shown. */
  readonly upstreamAuth?: string | undefined;
  /** PEM certificates to trust for an https target, besides the system's. */
  readonly upstreamCa?: string | undefined;
  /**
   * Whether a model is loaded right now (from the monitor's last look, and the
   * calls it answered since), and its context window. Read once per call,
   * after the call has been forwarded, for the in-flight entry.
   */
  readonly backendInfo?: (model: string | null) => BackendModelInfo;
  /** Routers served under /_proxy behind the guard, beside the status API: the host mounts the Activity page here. */
  readonly pages?: readonly Router[];
  /** Warm start's state and warm-ups, for /_proxy/status and /_proxy/events. */
  readonly warm?: WarmFeed;
  /** What the proxy waits for from a client: its headers and each pause in its body (client-timeouts.ts). */
  readonly clientTimeLimits?: Partial<Pick<ClientTimeLimits, 'headersMs' | 'bodyIdleMs'>>;
  /** Show prompt excerpts around a cache miss in call records, the status API, the live feed and --explain; off by default. */
  readonly promptExcerpts?: boolean;
  /** A full garbage collection this long after the last request (idle-collect.ts); 0 = never. Default 10 s. */
  readonly collectWhenIdleMs?: number;
}

export interface BackendModelInfo {
  /** False when the backend reported the model not loaded; null when unknown. */
  readonly loaded: boolean | null;
  /** The model's context window in tokens; null when unknown. */
  readonly contextTokens: number | null;
  /** How much dearer a prefilled token gets per token of context, from the model's shape; null when unknown. */
  readonly contextCost: number | null;
}

/** One line per request, for the CLI log and the app's activity feed. */
export interface RequestLogEntry {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly rewritten: boolean;
  readonly rule: string | null;
  /** Why the proxy itself answered, when it did (refused host, upstream down, ...). */
  readonly note?: string;
  /** Failures of the backend for this request, in order: a retried stale connection, or what gave the 502. */
  readonly upstreamErrors?: readonly UpstreamError[];
}

/** The body a call forwarded, parsed only when asked for (warm start keeps the last main call's per model). */
export interface ForwardedBody {
  parse(): unknown;
}

/** Warm start beside the proxy (built by host/), as the status API and the live feed show it. */
export interface WarmFeed {
  status(): WarmStatus;
  subscribe(listener: (record: WarmUpRecord) => void): () => void;
}

export interface ProxyEvents {
  request: [entry: RequestLogEntry];
  call: [record: CallRecord, forwarded: ForwardedBody];
  /** A call started (with its prediction), got its first token, or ended. */
  'in-flight': [event: InFlightEvent];
  /** stop() finished: the proxy serves nothing any more. */
  stopped: [];
}

export interface ProxyController {
  /** Binds and starts serving; rejects with code EADDRINUSE when the port is busy. */
  start(): Promise<{ host: string; port: number }>;
  /** Stops accepting, lets in-flight streams finish up to graceMs, then cuts the rest. */
  stop(graceMs?: number): Promise<void>;
  /** Takes effect for the next request; streams in flight are not touched. */
  setRewriteMode(mode: RewriteMode): void;
  /** Takes effect for the next request, like the rewrite mode. */
  setInlineSystem(mode: InlineSystemMode): void;
  status(): ProxyStatus;
  readonly running: boolean;
  on<K extends keyof ProxyEvents>(event: K, listener: (...args: ProxyEvents[K]) => void): this;
  off<K extends keyof ProxyEvents>(event: K, listener: (...args: ProxyEvents[K]) => void): this;
}
