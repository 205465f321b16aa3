// Reuse per call of one conversation (turn, then call within the turn), as an inline SVG bar chart: a healthy
// conversation is a wall of full bars; a miss is a gap you cannot overlook.
import type { CallRecord } from '../main/core/wire/types.js';
import { svg } from './dom.js';
import { formatPercent } from './format.js';

const WIDTH = 640;
const HEIGHT = 200;
const PAD = { left: 40, right: 8, top: 10, bottom: 22 };
const MAX_BAR_WIDTH = 36;
/** Past this many turns, label every n-th so the numbers stay legible. */
const MAX_LABELS = 20;

export type BarKind = 'hit' | 'miss' | 'first' | 'error';

export function barKind(call: CallRecord): BarKind {
  if (call.status >= 400) return 'error';
  if (call.bust !== null) return 'miss';
  return call.turn === 1 && call.call === 1 ? 'first' : 'hit';
}

function describeBar(call: CallRecord): string {
  const cause = call.bust ? ` (miss: ${call.bust.cause})` : call.status >= 400 ? ` (HTTP ${call.status})` : '';
  return `turn ${call.turn} · call ${call.call}: ${formatPercent(call.reuse)} reused${cause}`;
}

/** `calls` in turn order, all from one conversation; `selected` gets a highlight behind its bar. */
export function reuseChart(calls: readonly CallRecord[], session: string, selected: CallRecord | undefined): SVGSVGElement {
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotWidth / Math.max(calls.length, 1);
  const barWidth = Math.max(2, Math.min(MAX_BAR_WIDTH, slot * 0.7));
  const labelEvery = Math.ceil(calls.length / MAX_LABELS);
  const y = (fraction: number): number => PAD.top + plotHeight * (1 - fraction);

  const grid = [0, 0.5, 1].map((fraction) => svg('g', { class: 'grid' },
    svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(fraction), y2: y(fraction) }),
    svg('text', { x: PAD.left - 6, y: y(fraction) + 4, 'text-anchor': 'end' }, formatPercent(fraction))));

  const bars = calls.map((call, index) => {
    const x = PAD.left + slot * index + (slot - barWidth) / 2;
    // An empty bar still gets a sliver, so a 0% turn reads as "nothing reused", not "no data".
    const height = Math.max(2, call.reuse * plotHeight);
    const kind = barKind(call);
    return svg('g', { class: `bar ${kind}`, 'data-turn': call.turn, 'data-kind': kind },
      svg('title', {}, describeBar(call)),
      svg('rect', { x, y: PAD.top + plotHeight - height, width: barWidth, height, rx: 2 }),
      index % labelEvery === 0 ? svg('text', { class: 'turn', x: x + barWidth / 2, y: HEIGHT - 6, 'text-anchor': 'middle' }, call.call > 1 ? `${call.turn}·${call.call}` : String(call.turn)) : null);
  });

  const selectedIndex = selected ? calls.indexOf(selected) : -1;
  const band = selectedIndex === -1 ? null
    : svg('rect', { class: 'band', x: PAD.left + slot * selectedIndex, y: PAD.top, width: slot, height: plotHeight });

  const summary = calls.slice(-MAX_LABELS).map(describeBar).join('; ');
  return svg('svg', {
    class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', preserveAspectRatio: 'xMidYMid meet',
    'aria-label': `Reuse per turn for conversation ${session}${calls.length > MAX_LABELS ? ' (last turns)' : ''}: ${summary}`,
  }, band, ...grid, ...bars);
}
