// The `claudel` snippet as the page shows it, for the app and the headless
// proxy alike.
import { claudelSnippet } from '../snippet/claudel.js';
import type { KnownWindow } from '../backends/model-window.js';
import { windowWarning } from '../snippet/context-window.js';
import type { Shell } from '../snippet/shells.js';
import { SHELLS, isShell } from '../snippet/shells.js';
import type { SnippetView } from './bridge.js';

export interface SnippetSource {
  readonly host: string;
  readonly port: number;
  readonly model: string;
  readonly bare: boolean;
  readonly subagentModel?: string;
  /** The model's context window, when the backend or the settings know it. */
  readonly window?: KnownWindow | null;
}

/** A shell the page asked for, else the user's own (the page's input is not trusted). */
export function requestedShell(requested: unknown, fallback: Shell): Shell {
  return isShell(requested) ? requested : fallback;
}

export function snippetView(source: SnippetSource, shell: Shell): SnippetView {
  const { host, port, model, bare, subagentModel } = source;
  const window = source.window ?? null;
  return {
    shell,
    shells: SHELLS,
    text: claudelSnippet({ shell, host, port, model, bare, subagentModel, window }),
    warning: window && windowWarning(window, model, bare),
  };
}
