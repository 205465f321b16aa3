// The Activity view: totals, the live table of calls (newest on top, each
// subagent folded under its parent: see agent-tree.ts), the reuse chart of
// the selected conversation, and the selected call's details.
import type { CallRecord } from '../main/core/wire/types.js';
import { treeLines, type TreeLine } from './agent-tree.js';
import { callKey, type CallStore } from './call-store.js';
import { byId, h, replaceChildren, srOnly } from './dom.js';
import { formatClock, formatCompact, formatCount, formatDuration, formatPercent, formatReuseSource, formatTurn, visibleWhitespace } from './format.js';
import { reuseChart } from './reuse-chart.js';
import { overflowText } from './backend-text.js';
import { activityTotals, conversationCalls, isError, isMiss, reusedTokens } from './stats.js';

function statusLabel(status: number): string {
  return status === 499 ? 'cancelled' : `HTTP ${status}`;
}

function causeCell(record: CallRecord): HTMLTableCellElement {
  const overflow = overflowText(record);
  if (overflow) {
    return h('td', { class: 'cause' }, h('span', { class: 'badge overflow', title: overflow }, 'context overflow', srOnly(`: ${overflow}`)));
  }
  if (record.bust) {
    const { cause, remedy } = record.bust;
    // The title shows the remedy on hover; the hidden text gives it to screen readers.
    return h('td', { class: 'cause' }, h('span', { class: 'badge miss', title: remedy }, cause, srOnly(`: ${remedy}`)));
  }
  if (isError(record)) return h('td', { class: 'cause' }, h('span', { class: 'badge error' }, statusLabel(record.status)));
  if (record.sideCall) return h('td', { class: 'cause muted' }, 'side call');
  if (record.reusedFrom !== undefined) return h('td', { class: 'cause muted' }, `first turn · reused the system prompt and tools from session ${record.reusedFrom}`);
  return h('td', { class: 'cause muted' }, record.turn === 1 && record.call === 1 ? 'first turn' : '—');
}

function reuseBar(fraction: number, kind: string): HTMLSpanElement {
  const fill = h('span', { class: 'fill' });
  // Set through the CSSOM: the page's CSP forbids inline style attributes.
  fill.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
  return h('span', { class: `meter ${kind}`, 'aria-hidden': 'true' }, fill);
}

/** Indents a row's conversation cell by its depth in the agent tree (through the CSSOM: the CSP forbids style attributes). */
function indented(cell: HTMLTableCellElement, depth: number): HTMLTableCellElement {
  if (depth > 0) cell.style.paddingLeft = `${0.5 + depth * 1.25}em`;
  return cell;
}

const AGENT_ROW_PREFIX = 'agent:';

/** The columns after Time and Conversation, which a subagent's row spans. */
const CALL_COLUMNS_AFTER_CONVERSATION = 8;

/** A subagent, folded or not: click or Enter toggles it. */
function agentRow(line: Extract<TreeLine, { kind: 'agent' }>): HTMLTableRowElement {
  const misses = line.misses > 0 ? ` · ${line.misses} ${line.misses === 1 ? 'miss' : 'misses'}` : '';
  const parent = line.parent === null ? '' : ` · started by ${line.parent}`;
  return h('tr', { class: 'agent-row', 'data-key': `${AGENT_ROW_PREFIX}${line.key}`, 'data-group': line.key, 'aria-expanded': String(line.expanded), tabindex: -1 },
    h('td', { class: 'time' }, formatClock(line.latest.time)),
    indented(h('td', { class: 'session' }, h('span', { class: 'twisty', 'aria-hidden': 'true' }, line.expanded ? '▾ ' : '▸ '), h('code', {}, line.agent.includes('/') ? line.agent : `${line.session}/${line.agent}`)), line.depth),
    h('td', { class: 'agent-summary', colspan: CALL_COLUMNS_AFTER_CONVERSATION }, `subagent ${line.agent} · ${line.calls} ${line.calls === 1 ? 'call' : 'calls'}${misses}${parent}`));
}

/** The prompt in tokens beside the model's window, so a prompt near or over the window shows before the backend cuts it. */
function windowCell(record: CallRecord): HTMLTableCellElement {
  const window = record.contextTokens ?? null;
  const tokens = record.inputTokens;
  const text = `${tokens === null ? '—' : formatCount(tokens)} / ${window === null ? '?' : formatCount(window)}`;
  const over = tokens !== null && window !== null && tokens >= window;
  const title = window === null
    ? 'The model\'s context window is not known (the backend did not report it and the contextTokens setting is not set).'
    : `${tokens === null ? 'Unknown' : formatCount(tokens)} prompt tokens in a ${formatCount(window)}-token window${over ? ': the backend cut the prompt to fit' : ''}`;
  return h('td', { class: over ? 'num window warn' : 'num window', title }, text);
}

function callRow(record: CallRecord, depth = 0): HTMLTableRowElement {
  const kind = isMiss(record) ? 'miss' : isError(record) ? 'error' : 'hit';
  return h('tr', { 'data-key': callKey(record), 'data-kind': kind, tabindex: -1 },
    h('td', { class: 'time' }, formatClock(record.time)),
    indented(h('td', { class: 'session' }, h('code', {}, record.session || '—')), depth),
    h('td', { class: 'num turn', title: record.sideCall ? 'a side call (title or the like), not part of the conversation' : `user turn ${record.turn}, model call ${record.call} of it` }, formatTurn(record)),
    h('td', { class: 'model' }, record.model ?? '—'),
    h('td', { class: 'num prompt', title: `${formatCount(record.promptChars)} characters` }, formatCompact(record.promptChars)),
    windowCell(record),
    h('td', { class: 'reuse', title: formatReuseSource(record) }, h('span', { class: 'reuse-cell' }, reuseBar(record.reuse, kind), h('span', { class: 'pct' }, formatPercent(record.reuse)))),
    h('td', { class: 'num ttft' }, formatDuration(record.ttftMs)),
    h('td', { class: 'num duration' }, formatDuration(record.durationMs)),
    causeCell(record));
}

function fact(term: string, value: string): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, value)];
}

function tokens(n: number | null): string {
  return n === null ? '—' : formatCount(n);
}

function detailOf(record: CallRecord): HTMLElement {
  const facts = h('dl', { class: 'facts' },
    ...fact('Time', formatClock(record.time)),
    ...fact('Model', record.model ?? '—'),
    ...fact('Path', record.path),
    ...fact('Status', record.status === 200 ? '200 OK' : statusLabel(record.status)),
    ...fact('Prompt', `${formatCount(record.promptChars)} chars`),
    ...fact('Reused by the backend', `${formatPercent(record.reuse)} (${formatReuseSource(record)})`),
    ...fact('Begins with the previous turn', record.conversationReuse === null ? '— (first turn)' : formatPercent(record.conversationReuse)),
    ...fact('Input tokens', tokens(record.inputTokens)),
    ...fact('Context window', record.contextTokens == null ? '— (not reported)' : `${formatCount(record.contextTokens)} tokens`),
    ...fact(record.reuseSource === 'backend' ? 'Reused tokens' : 'Reused tokens (est.)', formatCount(reusedTokens(record))),
    ...fact('Output tokens', tokens(record.outputTokens)),
    ...fact('First token', formatDuration(record.ttftMs)),
    ...fact('Duration', formatDuration(record.durationMs)),
    // The slots the calls so far need so that no agent evicts another (compare with --slots).
    ...fact('Cache slots needed', record.slotsNeeded === null ? 'more slots would not help' : String(record.slotsNeeded)));
  const title = record.sideCall
    ? h('h3', {}, 'Side call of conversation ', h('code', {}, record.session || '—'))
    : h('h3', {}, `Turn ${record.turn} · call ${record.call} of conversation `, h('code', {}, record.session || '—'));
  const overflow = overflowText(record);
  const warning = overflow ? h('p', { class: 'overflow-warning', role: 'alert' }, h('span', { class: 'badge overflow' }, 'context overflow'), ' ', overflow) : null;
  if (!record.bust) return h('div', { class: 'detail-body' }, title, warning, facts);

  const { cause, remedy, path, before, after, lead } = record.bust;
  const shared = lead ? visibleWhitespace(lead) : '';
  const excerpt = (label: string, text: string, mark: 'del' | 'ins'): HTMLElement[] => [
    h('span', { class: 'excerpt-label' }, label),
    h('code', { class: `excerpt-side ${mark === 'del' ? 'before' : 'after'}` }, '…', shared ? h('span', { class: 'lead' }, shared) : null, h(mark, {}, visibleWhitespace(text)), '…'),
  ];
  return h('div', { class: 'detail-body' }, title, warning,
    h('div', { class: 'bust', role: 'group', 'aria-label': 'Cache miss' },
      h('p', { class: 'bust-cause' }, h('span', { class: 'badge miss' }, cause), ' ', remedy),
      ...(before === '' && after === ''
        // Prompt excerpts are off (the default): only the place is shown.
        ? [h('p', {}, 'The prompt diverged from the previous one at ', h('code', { class: 'path' }, path), '.')]
        : [h('p', {}, 'The prompt diverged from the previous one at ', h('code', { class: 'path' }, path), ':'),
          h('div', { class: 'excerpt' }, ...excerpt('before', before, 'del'), ...excerpt('→ after', after, 'ins'))])),
    facts);
}

export class ActivityView {
  private readonly empty = byId('activity-empty');
  private readonly live = byId('activity-live');
  private readonly rows = byId<HTMLTableSectionElement>('calls-body');
  private readonly chart = byId('chart');
  private readonly chartSession = byId('chart-session');
  private readonly detail = byId('detail');
  /** The call the user picked; null follows the latest call's conversation. */
  private selectedKey: string | null = null;
  /** The row the user last focused: it keeps the table's one tab stop while new rows arrive above it. */
  private focusKey: string | null = null;
  /** Subagents the user unfolded (all are folded at first). */
  private readonly expanded = new Set<string>();

  constructor(private readonly store: CallStore) {
    store.subscribe((change) => (change.type === 'added' ? this.added(change.record) : this.render()));
    this.rows.addEventListener('click', (event) => {
      const row = (event.target as Element).closest('tr');
      if (row) this.select(row);
    });
    this.rows.addEventListener('keydown', (event) => this.onKey(event));
    this.rows.addEventListener('focusin', (event) => {
      this.focusKey = (event.target as Element).closest('tr')?.dataset['key'] ?? this.focusKey;
    });
    this.render();
  }

  private render(): void {
    if (this.selectedKey !== null && !this.store.find(this.selectedKey)) this.selectedKey = null;
    const hadFocus = this.rows.contains(document.activeElement);
    this.rows.replaceChildren(...treeLines(this.store.all, this.expanded).map((line) => (line.kind === 'call' ? callRow(line.record, line.depth) : agentRow(line))));
    this.markSelection();
    if (hadFocus) this.rows.querySelector<HTMLTableRowElement>('tr[tabindex="0"]')?.focus();
    this.refreshAround();
  }

  private added(record: CallRecord): void {
    // With subagents in view, a call may land inside a folded group: lay the tree out again.
    if (this.store.all.some((known) => known.agent !== null)) return this.render();
    this.rows.prepend(callRow(record));
    while (this.rows.rows.length > this.store.size) this.rows.lastElementChild?.remove();
    this.markSelection();
    this.refreshAround();
  }

  /** Everything but the rows: empty state, totals, chart, details. */
  private refreshAround(): void {
    const hasCalls = this.store.size > 0;
    this.empty.hidden = hasCalls;
    this.live.hidden = !hasCalls;
    this.renderTotals();
    this.renderChart();
    this.renderDetail();
  }

  private renderTotals(): void {
    const totals = activityTotals(this.store.all);
    byId('total-calls').textContent = formatCount(totals.calls);
    byId('total-misses').textContent = formatCount(totals.misses);
    byId('total-errors').textContent = totals.errors > 0 ? `${formatCount(totals.errors)} failed` : '';
    byId('total-reused').textContent = formatCount(totals.reusedTokens);
    byId('total-saved').textContent = totals.savedMs === null ? '—' : `≈ ${formatDuration(totals.savedMs)}`;
    byId('total-rate').textContent = totals.rate === null
      ? 'Needs an uncached call to measure the prefill rate.'
      : `At ${formatCount(totals.rate.tokensPerMs * 1000)} tokens/s, measured from ${totals.rate.calls} uncached call${totals.rate.calls === 1 ? '' : 's'}.`;
    byId('totals-scope').textContent = this.store.size >= 200 ? 'Over the last 200 calls' : 'Since the proxy started';
  }

  private selected(): CallRecord | undefined {
    return this.selectedKey === null ? undefined : this.store.find(this.selectedKey);
  }

  private renderChart(): void {
    const focus = this.selected() ?? this.store.latest;
    if (!focus) {
      this.chart.replaceChildren();
      this.chartSession.textContent = '';
      return;
    }
    this.chartSession.textContent = focus.session || '—';
    this.chart.replaceChildren(reuseChart(conversationCalls(this.store.all, focus.session), focus.session, this.selected()));
  }

  private renderDetail(): void {
    const record = this.selected();
    replaceChildren(this.detail, record
      ? detailOf(record)
      : h('p', { class: 'muted' }, 'Select a call (click it, or focus it and press Enter) to see its figures and, for a miss, where the prompt diverged.'));
  }

  private select(row: HTMLTableRowElement): void {
    const group = row.dataset['group'];
    if (group !== undefined) return this.toggle(group, row);
    this.selectedKey = row.dataset['key'] ?? null;
    this.markSelection(row);
    this.renderChart();
    this.renderDetail();
  }

  /** Folds or unfolds a subagent, keeping its row focused. */
  private toggle(group: string, row: HTMLTableRowElement): void {
    if (!this.expanded.delete(group)) this.expanded.add(group);
    this.focusKey = row.dataset['key'] ?? this.focusKey;
    this.render();
  }

  /**
   * One row is in the tab order at a time (the last focused, else the selected, else the newest);
   * the arrow keys move between rows, so 200 calls do not mean 200 tab stops.
   */
  private markSelection(focusable?: HTMLTableRowElement): void {
    const rows = [...this.rows.rows];
    const target = focusable ?? rows.find((row) => row.dataset['key'] === this.focusKey)
      ?? rows.find((row) => row.dataset['key'] === this.selectedKey) ?? rows[0];
    for (const row of rows) {
      const isSelected = row.dataset['key'] === this.selectedKey;
      row.toggleAttribute('aria-current', false);
      if (isSelected) row.setAttribute('aria-current', 'true');
      row.classList.toggle('selected', isSelected);
      row.tabIndex = row === target ? 0 : -1;
    }
  }

  private onKey(event: KeyboardEvent): void {
    const row = (event.target as Element).closest('tr');
    if (!row) return;
    const rows = [...this.rows.rows];
    const index = rows.indexOf(row);
    const moveTo = (next: HTMLTableRowElement | undefined): void => {
      if (!next) return;
      event.preventDefault();
      this.markSelection(next);
      next.focus();
    };
    switch (event.key) {
      case 'ArrowDown': return moveTo(rows[index + 1]);
      case 'ArrowUp': return moveTo(rows[index - 1]);
      case 'Home': return moveTo(rows[0]);
      case 'End': return moveTo(rows.at(-1));
      case 'Enter':
      case ' ':
        event.preventDefault();
        this.select(row);
    }
  }
}
