// The view switcher, following the WAI-ARIA tabs pattern: one tab stop, the
// arrow keys move between tabs, and the address's #fragment picks the view
// (the app opens #settings straight from the menu).

export class Tabs {
  private readonly tabs: HTMLButtonElement[];

  constructor(list: HTMLElement, private readonly onShow: (name: string) => void) {
    this.tabs = [...list.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
    list.addEventListener('click', (event) => {
      const tab = (event.target as Element).closest<HTMLButtonElement>('[role="tab"]');
      if (tab) this.show(tab);
    });
    list.addEventListener('keydown', (event) => this.onKey(event));
    addEventListener('hashchange', () => this.showNamed(location.hash.slice(1)));
  }

  /** Shows the view named in the address, else the first. */
  start(): void {
    if (!this.showNamed(location.hash.slice(1))) this.show(this.visible()[0]!);
  }

  private showNamed(name: string): boolean {
    const tab = this.visible().find((candidate) => candidate.dataset['view'] === name);
    if (tab) this.show(tab);
    return tab !== undefined;
  }

  private visible(): HTMLButtonElement[] {
    return this.tabs.filter((tab) => !tab.hidden);
  }

  private show(tab: HTMLButtonElement, focus = false): void {
    for (const candidate of this.tabs) {
      const selected = candidate === tab;
      candidate.setAttribute('aria-selected', String(selected));
      candidate.tabIndex = selected ? 0 : -1;
      const panel = document.getElementById(candidate.getAttribute('aria-controls') ?? '');
      if (panel) panel.hidden = !selected;
    }
    if (focus) tab.focus();
    this.onShow(tab.dataset['view'] ?? '');
  }

  private onKey(event: KeyboardEvent): void {
    const tabs = this.visible();
    const index = tabs.indexOf(event.target as HTMLButtonElement);
    if (index === -1) return;
    const targets: Readonly<Record<string, number>> = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
    const next = targets[event.key];
    if (next === undefined) return;
    event.preventDefault();
    this.show(tabs[(next + tabs.length) % tabs.length]!, true);
  }
}
