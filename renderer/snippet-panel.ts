// The `claudel` function with a shell picker and a Copy button. Shown in the
// Snippet view and in the Activity view's empty state.
import type { SnippetView, UiBridge } from '../main/core/ui/bridge.js';
import { h, replaceChildren } from './dom.js';

const INSTALL_FILE: Readonly<Record<string, string>> = {
  zsh: '~/.zshrc',
  bash: '~/.bashrc',
  fish: '~/.config/fish/functions/claudel.fish',
};

/** Selects the text, so a failed clipboard write still leaves the user one keystroke from a copy. */
function selectText(element: Element): void {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
}

export class SnippetPanel {
  readonly element: HTMLElement;
  private readonly shells = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'Shell' });
  private readonly code = h('code');
  private readonly pre = h('pre', { class: 'code', tabindex: 0 }, this.code);
  private readonly copy = h('button', { type: 'button', class: 'primary copy' }, 'Copy');
  private readonly copied = h('span', { class: 'copy-status', role: 'status' });
  private readonly install = h('p', { class: 'install muted' });
  private readonly warning = h('p', { class: 'window-warning warn', role: 'note' });
  private shell: string | null = null;

  constructor(private readonly bridge: UiBridge, private readonly name: string) {
    this.element = h('div', { class: 'snippet' },
      h('div', { class: 'snippet-bar' }, this.shells, this.copy, this.copied), this.warning, this.pre, this.install);
    this.copy.addEventListener('click', () => void this.copyText());
    this.shells.addEventListener('change', (event) => void this.load((event.target as HTMLInputElement).value));
  }

  /** Loads the snippet; without a shell, the one the user last picked (or their own). */
  async load(shell: string | undefined = this.shell ?? undefined): Promise<void> {
    try {
      this.show(await this.bridge.getSnippet(shell));
    } catch (error) {
      this.code.textContent = `The snippet could not be loaded: ${(error as Error).message}`;
    }
  }

  private show(view: SnippetView): void {
    this.shell = view.shell;
    this.code.textContent = view.text;
    this.warning.textContent = view.warning ?? '';
    this.warning.hidden = !view.warning;
    this.pre.setAttribute('aria-label', `claudel function for ${view.shell}`);
    replaceChildren(this.shells, ...view.shells.map((shell) => {
      const input = h('input', { type: 'radio', name: `${this.name}-shell`, value: shell });
      input.checked = shell === view.shell;
      return h('label', {}, input, shell);
    }));
    replaceChildren(this.install, 'Paste it into ', h('code', {}, INSTALL_FILE[view.shell] ?? 'your shell\'s startup file'),
      ', open a new terminal, and run ', h('code', {}, 'claudel'), ' wherever you would run ', h('code', {}, 'claude'), '.');
    this.copied.textContent = '';
  }

  private async copyText(): Promise<void> {
    if (this.shell === null) return;
    try {
      await this.bridge.copySnippet(this.shell);
      this.copied.textContent = 'Copied.';
    } catch {
      selectText(this.code);
      this.copied.textContent = 'Could not reach the clipboard; the text is selected, copy it with ⌘C / Ctrl+C.';
    }
  }
}
