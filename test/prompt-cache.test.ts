// llama-server's host-memory prompt cache rules (diagnostics/prompt-cache.ts),
// which the dev engine and the estimate share: when a slot is saved, which
// entry loads, and the limits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PromptCache, savesSlot, defaultLimits, type CacheEntry } from '../main/core/diagnostics/prompt-cache.js';

/** Entries are strings here: the common prefix of two strings. */
const lcp = (a: string, b: string): number => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};
const entry = (value: string, bytes = value.length): CacheEntry<string> => ({ value, length: value.length, bytes });
const cache = (bytes = 1 << 30, length = 0): PromptCache<string> => new PromptCache<string>({ bytes, length });
const save = (c: PromptCache<string>, value: string, bytes?: number): boolean => {
  if (!c.wouldSave(value.length, (e) => lcp(e, value))) return false;
  c.add(entry(value, bytes), (other) => lcp(other, value));
  return true;
};
const take = (c: PromptCache<string>, slot: string, prompt: string): string | null =>
  c.take(slot.length, lcp(slot, prompt), prompt.length, (e) => lcp(e, prompt))?.value ?? null;

describe('prompt cache: when the slot a prompt takes is saved', () => {
  it('(a) chosen by similarity (shares over a tenth of the prompt) but keeping under half of what it holds', () => {
    // Slot of 100, prompt of 100 sharing 40: similarity 0.4 > 0.1, keeps 0.4 < 0.5 → saved.
    assert.equal(savesSlot(100, 40, 100), true);
    // Sharing 60: keeps 0.6 → truncated in place, not saved.
    assert.equal(savesSlot(100, 60, 100), false);
    // Exactly half is kept: not saved (f_keep < 0.5 is strict).
    assert.equal(savesSlot(100, 50, 100), false);
  });

  it('(b) chosen by least recent use: no slot shares more than a tenth of the prompt', () => {
    assert.equal(savesSlot(100, 10, 100), true, 'a share of exactly 0.1 is not above the threshold: LRU');
    assert.equal(savesSlot(100, 0, 100), true);
    // Even when the slot keeps most of itself: a short slot and a long prompt sharing under a tenth.
    assert.equal(savesSlot(10, 9, 1000), true);
  });

  it('an empty slot has nothing to save', () => {
    assert.equal(savesSlot(0, 0, 100), false);
  });
});

describe('prompt cache: saving', () => {
  it('skips a slot an entry already holds as a prefix, and drops the entries that are prefixes of it', () => {
    const c = cache();
    assert.equal(save(c, 'abcdef'), true);
    assert.equal(save(c, 'abc'), false, 'abcdef already holds abc');
    assert.equal(save(c, 'abcdef'), false, 'and itself');
    assert.equal(save(c, 'xyz'), true);
    assert.equal(save(c, 'abcdefgh'), true);
    assert.deepEqual(c.entries.map((e) => e.value), ['xyz', 'abcdefgh'], 'abcdef, a prefix of the new one, went');
  });

  it('a cache of 0 bytes is off: nothing is saved or loaded', () => {
    const c = cache(0);
    assert.equal(c.enabled, false);
    assert.equal(save(c, 'abc'), false);
    assert.equal(c.take(0, 0, 3, () => 3), null);
  });
});

describe('prompt cache: loading', () => {
  it('loads the entry the prompt extends into a slot holding another prompt, and removes it from the cache', () => {
    const c = cache();
    save(c, 'conversation A');
    assert.equal(take(c, 'foreign chat', 'conversation A, next turn'), 'conversation A');
    assert.equal(c.entries.length, 0);
  });

  it('never loads an entry that keeps under a quarter of itself', () => {
    const c = cache();
    save(c, 'abcdefghijklmnopqrstuvwxyz');
    // Shares 6 of 26 (0.23) with the prompt, the slot nothing.
    assert.equal(take(c, '', 'abcdef-other'), null);
    // 7 of 26 (0.27): loaded.
    assert.equal(take(c, '', 'abcdefg-other'), 'abcdefghijklmnopqrstuvwxyz');
  });

  it('an entry must keep a strictly larger share of itself than the slot does, and cover a strictly larger share of the prompt', () => {
    const c = cache();
    save(c, 'abcdXXXX');
    // The slot holds 'abcdYYYY': the same 4 shared, the same share kept (0.5 each): no load.
    assert.equal(take(c, 'abcdYYYY', 'abcdZZZZ'), null);
    // The slot holds 'abcdYYYYYYYY' (keeps 4/12): the entry keeps more of itself (4/8) but covers no more of the prompt.
    assert.equal(take(c, 'abcdYYYYYYYY', 'abcdZZZZ'), null);
    // The slot shares less with the prompt and keeps less of itself: loaded.
    assert.equal(take(c, 'abYYYYYY', 'abcdZZZZ'), 'abcdXXXX');
  });

  it('picks the best of several entries, the improvement compounding', () => {
    const c = cache();
    save(c, 'abQQ');
    save(c, 'abcdefQQ');
    save(c, 'xyz');
    assert.equal(take(c, 'zzz', 'abcdefgh'), 'abcdefQQ');
    assert.deepEqual(c.entries.map((e) => e.value), ['abQQ', 'xyz']);
  });

  it('the slot just saved does not load itself back (its share is not strictly better)', () => {
    const c = cache();
    save(c, 'abcdXXXXXXXX');
    assert.equal(take(c, 'abcdXXXXXXXX', 'abcdZ'), null);
  });
});

describe('prompt cache: limits after each update', () => {
  it('evicts the oldest while the bytes exceed the limit, always keeping one', () => {
    const c = cache(100);
    save(c, 'aaa', 60);
    save(c, 'bbb', 30);
    assert.deepEqual(c.trim(), []);
    save(c, 'ccc', 30);
    assert.deepEqual(c.trim(), ['aaa'], '120 bytes > 100: the oldest goes');
    save(c, 'ddd', 500);
    assert.deepEqual(c.trim(), ['bbb', 'ccc'], 'the last one stays even alone over the limit');
    assert.deepEqual(c.entries.map((e) => e.value), ['ddd']);
  });

  it('evicts the oldest while the units exceed max(context length, limit ÷ bytes per unit), bytes per unit at least 1', () => {
    // Once the bytes fit, the units fit too unless a unit costs under a byte: entries of no bytes show the bound.
    const c = new PromptCache<string>({ bytes: 100, length: 50 });
    const add = (v: string): void => void c.add(entry(v, 0), () => 0);
    add('a'.repeat(40));
    add('b'.repeat(40));
    assert.deepEqual(c.trim(), [], '80 units ≤ max(50, 100 / 1)');
    add('c'.repeat(40));
    assert.deepEqual(c.trim(), ['a'.repeat(40)], '120 units > 100: the oldest goes');
    const ctx = new PromptCache<string>({ bytes: 10, length: 100 });
    ctx.add(entry('a'.repeat(60), 0), () => 0);
    ctx.add(entry('b'.repeat(30), 0), () => 0);
    assert.deepEqual(ctx.trim(), [], '90 units ≤ max(100, 10): the context length bounds it');
    ctx.add(entry('c'.repeat(30), 0), () => 0);
    assert.deepEqual(ctx.trim(), ['a'.repeat(60)]);
    ctx.add(entry('d'.repeat(500), 0), () => 0);
    assert.deepEqual(ctx.trim(), ['b'.repeat(30), 'c'.repeat(30)], 'the last one stays');
  });

  it('defaults to 8,192 MiB', () => {
    assert.equal(defaultLimits(4096).bytes, 8192 * 1024 * 1024);
  });
});
