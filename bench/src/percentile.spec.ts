import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LatencyRecorder, median, percentileSorted, percentiles } from './stats.js';

// Nearest rank, straight from the definition: the smallest sample x with #{s <= x} >= p% of n.
function bruteForce(samples: number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  if (p === 0) return sorted[0]!;
  return sorted.find((x) => sorted.filter((s) => s <= x).length * 100 >= p * sorted.length) ?? null;
}

describe(percentileSorted.name, () => {
  it('matches hand-computed nearest-rank vectors', () => {
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(percentileSorted(ten, 50), 5);
    assert.equal(percentileSorted(ten, 90), 9);
    assert.equal(percentileSorted(ten, 99), 10);
    assert.equal(percentileSorted(ten, 100), 10);
    assert.equal(percentileSorted(ten, 10), 1);
    assert.equal(percentileSorted(ten, 11), 2);
    assert.equal(percentileSorted(ten, 0), 1);
    assert.equal(percentileSorted([1, 2, 3, 4], 50), 2);
    assert.equal(percentileSorted([15, 20, 35, 40, 50], 30), 20);
    assert.equal(percentileSorted([15, 20, 35, 40, 50], 40), 20);
    assert.equal(percentileSorted([15, 20, 35, 40, 50], 50), 35);
    assert.equal(percentileSorted([7], 99), 7);
  });

  it('p99 of 100 samples is the 99th, not the maximum (float rounding of 0.99 * 100)', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentileSorted(hundred, 99), 99);
    const thousand = Array.from({ length: 1000 }, (_, i) => i + 1);
    assert.equal(percentileSorted(thousand, 99), 990);
    assert.equal(percentileSorted(thousand, 50), 500);
  });

  it('returns null for no samples and rejects p outside 0..100', () => {
    assert.equal(percentileSorted([], 50), null);
    assert.throws(() => percentileSorted([1], 101), RangeError);
    assert.throws(() => percentileSorted([1], -1), RangeError);
    assert.throws(() => percentileSorted([1], Number.NaN), RangeError);
  });

  it('agrees with the definition on random inputs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.constantFrom(0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100),
        (samples, p) => {
          assert.equal(percentiles(samples, [p])[0], bruteForce(samples, p));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe(percentiles.name, () => {
  it('sorts numerically without touching its input', () => {
    const input = [10, 9, 100, 1];
    assert.deepEqual(percentiles(input, [50, 100]), [9, 100]);
    assert.deepEqual(input, [10, 9, 100, 1]);
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([]), null);
  });
});

describe(LatencyRecorder.name, () => {
  it('summarises what it recorded, and reset forgets the warm-up', () => {
    const sut = new LatencyRecorder();
    sut.add(1000);
    sut.reset();
    for (let i = 1; i <= 100; i++) sut.add(i / 10);
    const s = sut.summary();
    assert.equal(s.count, 100);
    assert.equal(s.p50Ms, 5);
    assert.equal(s.p90Ms, 9);
    assert.equal(s.p99Ms, 9.9);
    assert.equal(s.maxMs, 10);
    assert.deepEqual(new LatencyRecorder().summary(), { count: 0, p50Ms: null, p90Ms: null, p99Ms: null, maxMs: null });
  });

  it('past its capacity keeps a uniform sample: percentiles stay close, count and max exact', () => {
    let seed = 42;
    const rand = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const sut = new LatencyRecorder(1000, rand);
    for (let i = 0; i < 100_000; i++) sut.add(i % 1000); // uniform 0..999
    const s = sut.summary();
    assert.equal(s.count, 100_000);
    assert.equal(s.maxMs, 999);
    assert.ok(Math.abs(s.p50Ms! - 500) < 60, `p50 ${s.p50Ms}`);
    assert.ok(Math.abs(s.p90Ms! - 900) < 40, `p90 ${s.p90Ms}`);
  });

  it('rejects a capacity that is not a positive integer', () => {
    assert.throws(() => new LatencyRecorder(0), RangeError);
    assert.throws(() => new LatencyRecorder(1.5), RangeError);
  });
});
