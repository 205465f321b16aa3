// Memory handed back once the proxy goes quiet: one full garbage
// collection after a quiet spell, none while calls keep coming or when there
// were none, and none after the proxy stopped.
import assert from 'node:assert/strict';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { collectGarbage, IdleCollector } from '../main/core/proxy/idle-collect.js';
import { bareBody } from './support/claude-code-bodies.js';
import { send } from './support/http-client.js';
import { startHarness } from './support/proxy-harness.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Forced full collections seen while `run` runs (what collectGarbage makes; V8's own are not forced). */
async function forcedCollections(run: () => Promise<void>): Promise<number> {
  const seen: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => seen.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  try {
    await run();
    await sleep(50);
  } finally {
    observer.disconnect();
  }
  return seen.filter((e) => {
    const detail = (e as PerformanceEntry & { detail: { kind: number; flags: number } }).detail;
    return detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR && (detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0;
  }).length;
}

describe('collecting when idle', () => {
  test('once, a quiet spell after the last activity; never without activity; never after stop', async () => {
    // Margins of several times the spell, so a busy machine's late timers cannot pass for quiet.
    const SPELL = 300;
    let collected = 0;
    const idle = new IdleCollector(SPELL, () => collected++);
    await sleep(2 * SPELL);
    assert.equal(collected, 0, 'nothing happened, nothing to collect');
    for (let i = 0; i < 10; i++) {
      idle.activity();
      await sleep(SPELL / 10);
    }
    assert.equal(collected, 0, 'activity kept coming');
    await sleep(2 * SPELL);
    assert.equal(collected, 1);
    await sleep(2 * SPELL);
    assert.equal(collected, 1, 'once per quiet spell');
    idle.activity();
    idle.stop();
    await sleep(2 * SPELL);
    assert.equal(collected, 1);
    new IdleCollector(0, () => collected++).activity();
    await sleep(SPELL);
    assert.equal(collected, 1, '0 turns it off');
  });

  test("V8's collector can be had without a command-line flag, and frees what is garbage", async () => {
    let garbage: string[] | null = Array.from({ length: 200 }, () => randomBytes(50_000).toString('hex'));
    const before = process.memoryUsage().heapUsed;
    garbage = null;
    assert.equal(garbage, null);
    assert.equal(await forcedCollections(async () => assert.equal(collectGarbage(), true)), 1);
    assert.ok(process.memoryUsage().heapUsed < before - 5_000_000, 'the garbage is gone');
  });

  test('the proxy collects after its last request, not during a run of requests', async () => {
    const h = await startHarness({ collectWhenIdleMs: 500 });
    try {
      const during = await forcedCollections(async () => {
        for (let i = 0; i < 4; i++) assert.equal((await send(h.url, { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json' }, body: bareBody() })).status, 200);
      });
      assert.equal(during, 0);
      assert.equal(await forcedCollections(() => sleep(1000)), 1);
    } finally {
      await h.close();
    }
  });
});
