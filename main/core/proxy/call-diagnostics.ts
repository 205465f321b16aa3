// Connects the proxy to the cache diagnostics: one analysis per forwarded
// prompt, the usage estimate handed back to the client, a count_tokens
// estimate when the backend has none, and a CallRecord when the call ends.
import { CacheTracker } from '../diagnostics/tracker.js';
import type { Observation } from '../diagnostics/tracker-types.js';
import { renderPrompt, type RenderedPrompt } from '../diagnostics/render.js';
import { agentConversationKey, agentOf, conversationKey } from '../diagnostics/conversation-key.js';
import { estimateCacheRead } from '../diagnostics/cache-usage.js';
import { TokenCalibrator } from '../diagnostics/token-calibrator.js';
import { checkpointRuleFor } from '../diagnostics/checkpoints.js';
import { readableExcerpt } from '../diagnostics/body-text.js';
import { BodyParser } from '../diagnostics/body-parser.js';
import { startsUserTurn } from '../diagnostics/turns.js';
import { isSideCall } from '../rewrite/side-call.js';
import type { Bust, BustCause, CallRecord, ContextOverflow } from '../wire/types.js';
import { piecesLength } from '../rewrite/index.js';
import type { CallAnalysis, MessageCall } from './message-call.js';
import { cacheUsageRewriter, type UsageRewriter } from './usage.js';
import { AffinityKeys } from './affinity.js';
import { MAX_ANALYSED_DEPTH, nestsDeeperThan } from './json-depth.js';
import { slotEvictedAdvice } from '../backends/advice.js';
import { oneSlotEvictedRemedy, reasoningDroppedRemedy } from '../diagnostics/remedies.js';
import type { BackendView } from '../backends/backend-info.js';
import { keepsPromptCache } from '../backends/host-cache.js';
import { defaultLimits } from '../diagnostics/prompt-cache.js';
import type { PromptCacheModel } from '../diagnostics/tracker-types.js';

/**
 * KV bytes per token assumed for a saved prompt: a 30B-class model with 48
 * layers and 4 KV heads of 128 at f16 holds 2 × 48 × 4 × 128 × 2 = 96 KiB, so
 * 8 GiB keeps some 87K tokens. Larger models keep fewer; hybrid ones more.
 */
const ASSUMED_KV_BYTES_PER_TOKEN = 96 * 1024;

export interface CallDiagnosticsOptions {
  readonly slots: number;
  readonly cacheUsage: boolean;
  /** Where context windows and the backend's habits come from; absent without a backend monitor. */
  readonly backend?: BackendView | undefined;
  /** Keep the prompt text around a miss in the record (off unless the user asks). */
  readonly promptExcerpts?: boolean;
}

export class CallDiagnostics {
  private readonly tracker: CacheTracker;
  private readonly calibrator = new TokenCalibrator();
  private readonly parser = new BodyParser();
  private readonly affinity = new AffinityKeys();
  /** The backend's restart count when the tracker last learnt what its slots hold. */
  private restartsSeen: number;

  constructor(private readonly options: CallDiagnosticsOptions) {
    // A hybrid model's checkpoints are in tokens: the model's measured characters per token place them.
    // Which rule: the backend's, and on Ollama its version's (its engine changed at 0.30).
    this.tracker = new CacheTracker({
      slots: options.slots,
      hybrid: (model) => {
        const backend = options.backend;
        const rule = checkpointRuleFor(backend?.renderer?.(model)?.hybrid === true, backend?.profile?.kind ?? null, backend?.version ?? null);
        return rule === null ? null : { rule, charsPerToken: this.calibrator.charsPerToken(model) };
      },
      promptCache: (model) => this.promptCache(model),
    });
    this.restartsSeen = options.backend?.restarts ?? 0;
  }

  /**
   * The backend's host-memory prompt cache in characters (backends/host-cache.ts):
   * llama-server's 8 GiB, each entry costing its tokens at an assumed KV size
   * (the proxy does not know the model's); null where the backend keeps none.
   */
  private promptCache(model: string | null): PromptCacheModel | null {
    const backend = this.options.backend;
    if (!keepsPromptCache(backend?.profile?.kind, backend?.version)) return null;
    const perToken = this.calibrator.charsPerToken(model);
    const context = backend?.contextLength(model) ?? 0;
    return { limits: defaultLimits(Math.round(context * perToken)), bytesPerChar: ASSUMED_KV_BYTES_PER_TOKEN / perToken };
  }

  usageRewriter(call: MessageCall): UsageRewriter | null {
    if (!this.options.cacheUsage || call.countTokens) return null;
    return cacheUsageRewriter(() => this.analyze(call)?.observation?.reuse ?? 0);
  }

  /**
   * The router affinity key of a call, computed before it is forwarded (so
   * its analysis runs now rather than during prefill); null when its body
   * cannot be read, which the backend will report.
   */
  affinityKey(call: MessageCall): string | null {
    const analysis = this.analyze(call);
    if (!analysis) return null;
    return this.affinity.keyFor({ headers: call.headers, body: analysis.body, client: call.client, promptText: analysis.rendered.text });
  }

  estimateTokens(call: MessageCall): number {
    const analysis = this.analyze(call);
    if (!analysis) return this.calibrator.estimate(null, piecesLength(call.pieces));
    return this.calibrator.estimate(analysis.rendered.model, analysis.rendered.text.length);
  }

  /**
   * What the diagnostics predict for a call about to be prefilled: its size in
   * tokens and how much of it the backend's cache holds. Null for count_tokens
   * and bodies that do not parse. The server asks once the body is upstream,
   * so the call's analysis runs then, while the backend prefills; whatever
   * needs it earlier (the router affinity key, the usage rewrite) forces it.
   */
  predict(call: MessageCall): Pick<CallRecord, 'session' | 'turn' | 'call' | 'model'> & { promptTokens: number; reusedTokens: number; cause: BustCause | null } | null {
    const o = this.analyze(call)?.observation;
    if (!o) return null;
    const promptTokens = this.calibrator.estimate(o.model, o.promptChars);
    return { session: o.session, turn: o.turn, call: o.call, model: o.model, promptTokens, reusedTokens: Math.round(promptTokens * o.reuse), cause: o.bust?.cause ?? null };
  }

  /**
   * The call's record once it has ended, with the context window and model
   * load its prediction found; null for a call the diagnostics could not read.
   */
  complete(call: MessageCall, outcome: { id: number; status: number; endedAt: number }): CallRecord | null {
    const analysis = this.analyze(call);
    if (!analysis?.observation) return null;
    const o = analysis.observation;
    const answered = backendAnswered(outcome.status, call);
    // What never reached the backend's cache must not become the baseline the next call is held against.
    if (!answered) this.tracker.forget(o);
    const figures = reuseFigures(call, o.reuse, answered);
    if (outcome.status === 200 && figures.inputTokens !== null) this.calibrator.record(o.model, o.promptChars, figures.inputTokens);
    const bust = answered ? o.bust : null;
    // A refusal (llama-server answers 400 past its context) is just where an overflow must be said.
    const overflow = this.overflow(o.model, figures.inputTokens, this.calibrator.estimate(o.model, o.promptChars));
    return {
      id: outcome.id,
      time: call.receivedAt.toISOString(),
      session: o.session,
      turn: o.turn,
      call: o.call,
      sideCall: o.side,
      path: call.path,
      status: outcome.status,
      model: o.model,
      promptChars: o.promptChars,
      reuse: figures.reuse,
      reuseSource: figures.source,
      estimatedReuse: answered ? o.reuse : 0,
      answered,
      conversationReuse: o.conversationReuse,
      bust: bust && this.withExcerpts(bust, o),
      ttftMs: call.firstContentAt === null ? null : Math.round(call.firstContentAt - call.startedAt),
      durationMs: Math.round(outcome.endedAt - call.startedAt),
      inputTokens: figures.inputTokens,
      outputTokens: call.observed.outputTokens,
      cacheReadTokens: figures.cacheRead,
      rewritten: call.rewritten,
      agent: o.agent,
      slotsNeeded: o.slotsNeeded,
      ...(o.reusedFrom ? { reusedFrom: o.reusedFrom } : {}),
      ...(o.restoredFrom === undefined ? {} : { restoredFrom: o.restoredFrom }),
      ...(o.mainKept === undefined ? {} : { mainKept: o.mainKept }),
      ...(overflow ? { contextOverflow: overflow } : {}),
      contextTokens: call.prediction?.contextTokens ?? null,
      loadingModel: call.prediction?.loadingModel ?? false,
    };
  }

  /**
   * The prompt text around a miss, only when the user asked for it: a record
   * goes to the status API and the live feed, which any local user can read
   * on loopback without a token, and to the --explain log.
   */
  private withExcerpts(bust: Bust, o: Observation): Bust {
    const { before, after, lead, ...rest } = bust;
    const shown = { ...rest, ...this.engineRemedy(bust.cause, o) };
    if (!this.options.promptExcerpts) return { ...shown, before: '', after: '' };
    return { ...shown, before: readableExcerpt(before), after: readableExcerpt(after), ...(lead === undefined ? {} : { lead: readableExcerpt(lead) }) };
  }

  /** A remedy that names the engine's own setting, where the diagnostics' one is Ollama's. */
  private engineRemedy(cause: string, o: Observation): { remedy: string } | Record<string, never> {
    if (cause === 'reasoning-dropped') {
      const backend = this.options.backend;
      const reread = this.calibrator.estimate(o.model, Math.round(o.promptChars * (1 - o.reuse)));
      return { remedy: reasoningDroppedRemedy(backend?.renderer?.(o.model) ?? null, backend?.info().kind ?? null, reread) };
    }
    if (cause !== 'slot-evicted' && cause !== 'side-call-evicted') return {};
    const backend = this.options.backend;
    if (backend?.profile?.kind === 'ollama' && backend.renderer?.(o.model)?.oneSlot === true) {
      return { remedy: oneSlotEvictedRemedy(cause, o.bust?.evictedBy ?? null, keepsPromptCache('ollama', backend.version)) };
    }
    if (cause !== 'slot-evicted') return {};
    const advice = slotEvictedAdvice(backend?.profile ?? null, this.options.slots);
    return advice === null ? {} : { remedy: advice };
  }

  /**
   * Whether the prompt outgrew the model's loaded window, by the backend's own
   * count where it gave one, else the estimate. An engine that cuts silently
   * reports the count after the cut, so there the estimate counts as well.
   */
  private overflow(model: string | null, reported: number | null, estimated: number): ContextOverflow | null {
    const backend = this.options.backend;
    const contextLength = backend?.contextLength(model) ?? null;
    const profile = backend?.profile ?? null;
    if (contextLength === null || profile === null) return null;
    const useEstimate = reported === null || (profile.truncatesSilently && estimated > reported);
    const promptTokens = useEstimate ? estimated : reported;
    if (promptTokens < contextLength) return null;
    return { promptTokens, contextLength, source: useEstimate ? 'estimate' : 'backend', setting: profile.knobs.context };
  }

  private analyze(call: MessageCall): CallAnalysis | null {
    if (call.analysis !== undefined) return call.analysis;
    call.analysis = null;
    // Checked before anything recursive sees the body: a deeper one is forwarded but not analysed.
    if (nestsDeeperThan(call.pieces)) {
      call.skipped = `not analysed: the body nests deeper than ${MAX_ANALYSED_DEPTH} levels`;
      return null;
    }
    try {
      let body: unknown;
      try {
        body = this.parser.parse(call.pieces, call.members);
      } catch {
        return null; // the backend will say what is wrong with it
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
      const model = 'model' in body && typeof body.model === 'string' ? body.model : null;
      // Rendered the way the model's renderer does, so the estimate moves and drops what the backend does.
      const rendered = renderPrompt(body, this.options.backend?.renderer?.(model)?.family ?? 'template');
      const observation = call.countTokens ? null : this.observe(call, body, rendered);
      call.analysis = { body, rendered, observation };
      return call.analysis;
    } catch (error) {
      // The analysis runs outside any request's error handling (in setImmediate,
      // inside http-proxy's events): whatever a body does to it must not end the process.
      // Named by its kind only: an error's message may quote the body.
      call.skipped = `not analysed: the diagnostics failed on it (${(error as Error).name})`;
      return null;
    }
  }

  /** A warm-up's body (warm start, never a user's call): the slot now holds its prompt. */
  warmed(json: Buffer): void {
    // Read as a call's body is read (the same parser, so the same text), and never past the depth a call may have.
    if (nestsDeeperThan([json])) return;
    try {
      const body = this.parser.parse([json], null);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
      const model = 'model' in body && typeof body.model === 'string' ? body.model : null;
      this.tracker.warmed(renderPrompt(body, this.options.backend?.renderer?.(model)?.family ?? 'template'));
    } catch {
      // Not a body the diagnostics can read: the estimate simply does not learn of this warm-up.
    }
  }

  /** Why a call was forwarded without being analysed, if it was. */
  skipped(call: MessageCall): string | null {
    this.analyze(call);
    return call.skipped;
  }

  /**
   * Each agent of a session is a conversation of its own: subagents share
   * their parent's session id, and only the agent id tells their prompts apart.
   */
  private observe(call: MessageCall, body: object, rendered: RenderedPrompt): Observation {
    const agent = agentOf(call.headers);
    const key = agentConversationKey(conversationKey(call.headers, body, call.client), agent);
    // A backend that restarted holds nothing of what its slots held: the estimate must not claim reuse from it.
    const restarts = this.options.backend?.restarts ?? 0;
    if (restarts !== this.restartsSeen) {
      this.restartsSeen = restarts;
      this.tracker.clearBackend();
    }
    return this.tracker.observe({ key, agent, rendered, rewriteMode: call.rewriteMode, userTurn: startsUserTurn(body), side: isSideCall(body) });
  }
}

/**
 * Whether the backend answered the call, so that it read the prompt into its
 * cache: a success, or any call whose response began (usage arrived) before
 * it ended. A refusal, an error status or an unreachable backend (the
 * proxy's own 502) reused nothing.
 */
function backendAnswered(status: number, call: MessageCall): boolean {
  return (status >= 200 && status < 400) || call.observed.inputTokens !== null;
}

interface ReuseFigures {
  readonly reuse: number;
  readonly source: 'backend' | 'estimate';
  /** The whole prompt in tokens. */
  readonly inputTokens: number | null;
  readonly cacheRead: number | null;
}

/**
 * The backend's own cache figure where its usage carries one (Anthropic's
 * meaning: input_tokens were evaluated, cache_read_input_tokens reused), else
 * the estimate applied to the tokens it reported.
 */
function reuseFigures(call: MessageCall, estimate: number, answered: boolean): ReuseFigures {
  const { inputTokens, cacheReadTokens, cacheCreationTokens } = call.observed;
  if (answered && typeof cacheReadTokens === 'number') {
    const total = (inputTokens ?? 0) + cacheReadTokens + (cacheCreationTokens ?? 0);
    return { reuse: total > 0 ? cacheReadTokens / total : 0, source: 'backend', inputTokens: total, cacheRead: cacheReadTokens };
  }
  const reuse = answered ? estimate : 0;
  return { reuse, source: 'estimate', inputTokens, cacheRead: inputTokens === null || !answered ? null : estimateCacheRead(inputTokens, reuse).cacheRead };
}
