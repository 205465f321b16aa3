// The calls table as a tree of agents: the main agent's calls at
// the top level, newest first; each subagent as one row, folded by default,
// under its parent (the main agent or the subagent that started it), at the
// place of its newest call. Pure: records and the unfolded groups in, lines out.
import type { CallRecord } from '../main/core/wire/types.js';
import { isMiss } from './stats.js';

export type TreeLine =
  | { readonly kind: 'call'; readonly record: CallRecord; readonly depth: number }
  | {
    readonly kind: 'agent';
    /** Unique per session and agent. */
    readonly key: string;
    readonly depth: number;
    readonly agent: string;
    readonly parent: string | null;
    readonly session: string;
    readonly calls: number;
    readonly misses: number;
    /** Its newest call (of its own or of the subagents it started). */
    readonly latest: CallRecord;
    readonly expanded: boolean;
  };

interface Group {
  readonly key: string;
  readonly agent: string;
  readonly parent: string | null;
  readonly session: string;
  readonly calls: CallRecord[];
  readonly children: Group[];
  /** Index of the newest call in the group or below it. */
  newest: number;
}

/** The session a record belongs to, without the subagent part of its label. */
function rootSession(record: CallRecord): string {
  return record.session.split('/')[0] ?? record.session;
}

export function agentGroupKey(session: string, agent: string): string {
  return `${session}|${agent}`;
}

type Item = { readonly index: number; readonly record: CallRecord } | { readonly index: number; readonly group: Group };

/** `records` oldest first, as the store holds them; the lines come newest first. */
export function treeLines(records: readonly CallRecord[], expanded: ReadonlySet<string>): TreeLine[] {
  const groups = new Map<string, Group>();
  const index = new Map<CallRecord, number>();
  records.forEach((record, i) => {
    index.set(record, i);
    if (record.agent === null) return;
    const session = rootSession(record);
    const key = agentGroupKey(session, record.agent.id);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { key, agent: record.agent.id, parent: record.agent.parent, session, calls: [], children: [], newest: i }));
    group.calls.push(record);
    group.newest = i;
  });
  const top: Group[] = [];
  for (const group of groups.values()) {
    // A parent that is not in view (out of the window, or the main agent) puts it at the top level.
    const parent = group.parent === null ? undefined : groups.get(agentGroupKey(group.session, group.parent));
    (parent ? parent.children : top).push(group);
  }
  const newestOf = (group: Group): number => Math.max(group.newest, ...group.children.map(newestOf));

  const lines: TreeLine[] = [];
  const emit = (items: Item[], depth: number): void => {
    items.sort((a, b) => b.index - a.index);
    for (const item of items) {
      if ('record' in item) {
        lines.push({ kind: 'call', record: item.record, depth });
        continue;
      }
      const { group } = item;
      const all = collect(group);
      const open = expanded.has(group.key);
      lines.push({
        kind: 'agent', key: group.key, depth, agent: group.agent, parent: group.parent, session: group.session,
        calls: all.length, misses: all.filter(isMiss).length, latest: records[item.index]!, expanded: open,
      });
      if (open) emit([...group.calls.map((record) => ({ index: index.get(record)!, record })), ...group.children.map(asItem)], depth + 1);
    }
  };
  const asItem = (group: Group): Item => ({ index: newestOf(group), group });
  const collect = (group: Group): CallRecord[] => [...group.calls, ...group.children.flatMap(collect)];
  emit([...records.flatMap((record, i) => (record.agent === null ? [{ index: i, record }] : [])), ...top.map(asItem)], 0);
  return lines;
}
