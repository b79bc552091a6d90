import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DedupSet } from './dedup.js';

/** A 16-byte id for a number: its four bytes big-endian at the end, the rest `fill`. */
function id(n: number, fill = 0): Uint8Array {
  const b = new Uint8Array(16).fill(fill);
  new DataView(b.buffer).setUint32(12, n);
  return b;
}

describe('DedupSet', () => {
  it('remembers the last `capacity` ids and forgets the oldest first, across the growth of its ring', () => {
    for (const cap of [1, 3, 1000, 1024, 1025, 5000]) {
      const d = new DedupSet(cap);
      const n = cap * 2 + 500;
      for (let i = 0; i < n; i++) d.add(id(i));
      assert.equal(d.size, cap);
      for (let i = 0; i < n; i++) assert.equal(d.has(id(i)), i >= n - cap, `capacity ${cap}: id ${i}`);
    }
  });

  it('an id deleted and added again is forgotten at its new turn, not at its old slot', () => {
    const [a, b, c, dd, e, f] = [1, 2, 3, 4, 5, 6].map((n) => id(n));
    const d = new DedupSet(3);
    d.add(a!);
    d.add(b!);
    d.delete(a!);
    d.add(c!);
    d.add(a!); // the ring holds a (deleted), b, c: a takes slot 0 again as the newest
    assert.deepEqual([a, b, c].map((k) => d.has(k!)), [true, true, true]);
    d.add(dd!); // forgets b, the oldest still remembered
    assert.deepEqual([a, b, c, dd].map((k) => d.has(k!)), [true, false, true, true]);
    d.add(e!); // forgets c
    d.add(f!); // forgets a (added fourth)
    assert.deepEqual([a, c, dd, e, f].map((k) => d.has(k!)), [false, false, true, true, true]);
    assert.equal(d.size, 3);
  });

  it('an id added again while remembered takes the newest turn', () => {
    const d = new DedupSet(2);
    d.add(id(1));
    d.add(id(2));
    d.add(id(1)); // 1 is now newer than 2
    d.add(id(3)); // forgets 2
    assert.deepEqual([1, 2, 3].map((n) => d.has(id(n))), [true, false, true]);
    assert.equal(d.size, 2);
  });

  it('agrees with a model on random adds and deletes: an id is remembered iff its latest add, not deleted since, is among the last `capacity` adds', () => {
    let seed = 7;
    const rand = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    for (const cap of [50, 1500]) {
      const d = new DedupSet(cap);
      const latest = new Map<number, number>();
      let adds = 0;
      const ids = Array.from({ length: cap * 4 }, (_, i) => id(i));
      for (let step = 0; step < 20_000; step++) {
        const k = rand(ids.length);
        if (rand(4) === 0) {
          d.delete(ids[k]!);
          latest.delete(k);
        } else if (!d.has(ids[k]!)) {
          d.add(ids[k]!);
          latest.set(k, adds++);
        }
        if (step % (cap === 50 ? 3 : 97) !== 0) continue;
        for (let i = 0; i < ids.length; i++) {
          const at = latest.get(i);
          if (d.has(ids[i]!) !== (at !== undefined && at >= adds - cap)) assert.fail(`capacity ${cap}, step ${step}, id ${i}`);
        }
      }
      assert.equal(d.size, [...latest.values()].filter((at) => at >= adds - cap).length);
    }
  });

  it('tells apart ids that share all but their last bytes, or all but their first (a sender picks the ids)', () => {
    const d = new DedupSet(4096);
    const tail = (n: number) => id(n, 0xab);
    const head = (n: number) => {
      const b = new Uint8Array(16).fill(0xcd);
      new DataView(b.buffer).setUint16(0, n);
      return b;
    };
    for (let i = 0; i < 2000; i++) {
      d.add(tail(i));
      d.add(head(i));
    }
    assert.equal(d.size, 4000);
    for (let i = 0; i < 2000; i++) assert.ok(d.has(tail(i)) && d.has(head(i)), `id ${i}`);
    assert.equal(d.has(tail(2000)), false);
    assert.equal(d.has(head(2000)), false);
    for (let i = 0; i < 2000; i += 2) d.delete(tail(i));
    for (let i = 0; i < 2000; i++) assert.equal(d.has(tail(i)), i % 2 === 1, `tail ${i} after deletes`);
    assert.equal(d.size, 3000);
  });

  it('keeps a copy of the id, not the caller\'s bytes', () => {
    const d = new DedupSet(10);
    const b = id(42);
    d.add(b);
    b.fill(0);
    assert.equal(d.has(id(42)), true);
    assert.equal(d.has(b), false);
  });

  it('refuses a capacity that is not an integer in 1..2^26, and ids that are not 16 bytes', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 26 + 1]) assert.throws(() => new DedupSet(bad), RangeError);
    const d = new DedupSet(10);
    for (const bad of [new Uint8Array(15), new Uint8Array(17), new Uint8Array(0), 'k1' as unknown as Uint8Array]) {
      assert.throws(() => d.has(bad), RangeError);
      assert.throws(() => d.add(bad), RangeError);
      assert.throws(() => d.delete(bad), RangeError);
    }
    assert.equal(d.size, 0);
  });
});
