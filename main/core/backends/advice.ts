// The remedy for a conversation pushed out of the backend's cache by another
// (a subagent on the same slot), named for the engine that answers. Ollama's
// wording (OLLAMA_NUM_PARALLEL) stays with the diagnostics, which model its runner.
import type { BackendProfile } from './profile.js';

/** The slot-evicted remedy for this engine; null where the diagnostics' own (Ollama's) applies. */
export function slotEvictedAdvice(profile: BackendProfile | null, slots: number): string | null {
  if (profile === null || profile.kind === 'ollama') return null;
  if (profile.kind === 'llama-server') {
    return `start llama-server with -np ${slots + 1} (or more) and -c raised to match, and pass --slots ${slots + 1}, so each agent keeps its own slot`;
  }
  if (profile.kind === 'vllm' || profile.kind === 'sglang' || profile.kind === 'router') {
    return `${profile.label} keeps the prefixes of many conversations at once: pass --slots with the number of agents you run, so the proxy counts it the same way`;
  }
  return 'give subagents a model of their own (CLAUDE_CODE_SUBAGENT_MODEL in the claudel function), so they do not take the main model\'s cache';
}
