// Whether the claudel function the user copied still says the right thing:
// it names the model and its context window, and both can change under it
// (another model chosen, Ollama restarted with another OLLAMA_CONTEXT_LENGTH).
// Pure.
import type { KnownWindow } from '../backends/model-window.js';
import { thousands as n } from '../number-format.js';

/** What a copied snippet was written from. */
export interface SnippetInputs {
  readonly model: string;
  readonly bare: boolean;
  readonly host: string;
  readonly port: number;
  /** The window it carries, in tokens; null when it left the variable out. */
  readonly windowTokens: number | null;
}

export function snippetInputs(settings: Omit<SnippetInputs, 'windowTokens'>, window: KnownWindow | null): SnippetInputs {
  return { model: settings.model, bare: settings.bare, host: settings.host, port: settings.port, windowTokens: window?.tokens ?? null };
}

/**
 * Why the copied snippet is out of date, or null while it is right. A window
 * that is unknown now (the model unloaded after its idle time) is no change:
 * the backend only stopped saying, it did not say something else.
 */
export function snippetOutdated(copied: SnippetInputs | null, now: SnippetInputs): string | null {
  if (copied === null) return null;
  if (copied.model !== now.model) return `the model is now ${now.model} (the copied function says ${copied.model})`;
  if (now.windowTokens !== null && now.windowTokens !== copied.windowTokens) {
    return copied.windowTokens === null
      ? `${now.model}'s context window is now known: ${n(now.windowTokens)} tokens`
      : `${now.model}'s context window is now ${n(now.windowTokens)} tokens (the copied function says ${n(copied.windowTokens)})`;
  }
  if (copied.bare !== now.bare) return `--bare is now ${now.bare ? 'on' : 'off'}`;
  if (copied.port !== now.port || copied.host !== now.host) return 'the proxy now listens elsewhere';
  return null;
}
