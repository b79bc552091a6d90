import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DedupSet } from './dedup.js';

describe('DedupSet', () => {
  it('remembers the last `capacity` keys and forgets the oldest first', () => {
    const d = new DedupSet(1000);
    for (let i = 0; i < 2500; i++) d.add(`k${i}`);
    assert.equal(d.size, 1000);
    for (let i = 0; i < 1500; i++) assert.equal(d.has(`k${i}`), false, `k${i} forgotten`);
    for (let i = 1500; i < 2500; i++) assert.equal(d.has(`k${i}`), true, `k${i} remembered`);
  });

  it('a key deleted and added again is forgotten at its new turn, not at its old slot', () => {
    const d = new DedupSet(3);
    d.add('a');
    d.add('b');
    d.delete('a');
    d.add('c');
    d.add('a'); // ring now holds a(old), b, c → a takes slot 0 again as the newest
    assert.deepEqual(['a', 'b', 'c'].map((k) => d.has(k)), [true, true, true]);
    d.add('d'); // forgets b, the oldest still remembered
    assert.deepEqual(['a', 'b', 'c', 'd'].map((k) => d.has(k)), [true, false, true, true]);
    d.add('e'); // forgets c
    d.add('f'); // forgets a (added fourth)
    assert.deepEqual(['a', 'c', 'd', 'e', 'f'].map((k) => d.has(k)), [false, false, true, true, true]);
    assert.equal(d.size, 3);
  });

  it('agrees with a model on random adds and deletes: a key is remembered iff its latest add, not deleted since, is among the last `capacity` adds', () => {
    let seed = 7;
    const rand = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    const cap = 50;
    const d = new DedupSet(cap);
    const latest = new Map<string, number>();
    let adds = 0;
    for (let step = 0; step < 20_000; step++) {
      const key = `k${rand(200)}`;
      if (rand(4) === 0) {
        d.delete(key);
        latest.delete(key);
      } else if (!d.has(key)) {
        d.add(key);
        latest.set(key, adds++);
      }
      for (let i = 0; i < 200; i++) {
        const k = `k${i}`;
        const at = latest.get(k);
        assert.equal(d.has(k), at !== undefined && at >= adds - cap, `step ${step}, ${k}`);
      }
    }
  });

  it('refuses a capacity that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => new DedupSet(bad), RangeError);
  });
});
