// `npm test`'s reporter: Node's spec output, then one last line that says
// whether anything was skipped, how much and why. Node 20 drops the tests of
// a skipped `describe` from its counts ("tests 3, pass 3, skipped 0" once hid
// 9 browser tests), so a skip must never rely on those counts to be seen.
// The skipped suites are named here, so none of them can hide.
import { Readable } from 'node:stream';
import { spec } from 'node:test/reporters';

interface TestEvent {
  type: string;
  data?: { name?: string; skip?: boolean | string; todo?: boolean | string; details?: { type?: string } };
}

export interface SkipTally {
  tests: number;
  suites: string[];
  reasons: Map<string, number>;
}

export function newTally(): SkipTally {
  return { tests: 0, suites: [], reasons: new Map() };
}

/** Counts one runner event into the tally when it is a skipped test or suite. */
export function tallySkip(tally: SkipTally, event: TestEvent): void {
  if ((event.type !== 'test:pass' && event.type !== 'test:fail') || event.data?.skip === undefined || event.data.skip === false) return;
  const reason = typeof event.data.skip === 'string' ? event.data.skip : 'no reason given';
  if (event.data.details?.type === 'suite') tally.suites.push(event.data.name ?? '?');
  else tally.tests += 1;
  tally.reasons.set(reason, (tally.reasons.get(reason) ?? 0) + 1);
}

/** The line a run ends with. */
export function skipSummary(tally: SkipTally): string {
  if (tally.tests === 0 && tally.suites.length === 0) return 'skipped: nothing — every test ran\n';
  const reasons = [...tally.reasons].map(([reason, count]) => `${reason} (${count})`).join('; ');
  const suites = tally.suites.length === 0 ? '' : ` and ${tally.suites.length} whole suite(s), their tests uncounted: ${tally.suites.join('; ')}`;
  return `SKIPPED ${tally.tests} test(s)${suites} — ${reasons}\n`;
}

export default async function* skipSummaryReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const tally = newTally();
  async function* counted(): AsyncGenerator<TestEvent> {
    for await (const event of source) {
      tallySkip(tally, event);
      yield event;
    }
  }
  const specOutput = Readable.from(counted()).pipe(new spec());
  for await (const chunk of specOutput) yield String(chunk);
  yield `\n${skipSummary(tally)}`;
}
