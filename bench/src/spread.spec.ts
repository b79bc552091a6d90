import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { medianOf, spreadOf } from './spread.js';

describe(spreadOf.name, () => {
  it('gives the middle reading of an odd count, with the lowest and highest', () => {
    assert.deepEqual(spreadOf([95_500, 53_900, 74_200]), { median: 74_200, min: 53_900, max: 95_500, n: 3 });
    assert.deepEqual(spreadOf([0.93]), { median: 0.93, min: 0.93, max: 0.93, n: 1 });
  });

  it('gives the mean of the two middle readings of an even count, whichever order they came in', () => {
    assert.deepEqual(spreadOf([0.97, 0.88]), { median: 0.925, min: 0.88, max: 0.97, n: 2 });
    assert.deepEqual(spreadOf([0.88, 0.97]), spreadOf([0.97, 0.88]));
    assert.equal(spreadOf([0.1, 0.2])!.median, 0.15); // not 0.15000000000000002
  });

  it('skips rounds that have no reading (failed, or a null figure), and counts only the others', () => {
    assert.deepEqual(spreadOf([null, 3, undefined, 1, NaN, Infinity]), { median: 2, min: 1, max: 3, n: 2 });
    assert.equal(spreadOf([]), null);
    assert.equal(spreadOf([null, null]), null);
  });

  it('has min <= median <= max and n = the finite readings, for any readings', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.constant(null)), { maxLength: 25 }), (xs) => {
        const sp = spreadOf(xs);
        const finite = xs.filter((x): x is number => x !== null);
        if (finite.length === 0) return sp === null;
        assert.ok(sp);
        assert.equal(sp.n, finite.length);
        assert.equal(sp.min, Math.min(...finite));
        assert.equal(sp.max, Math.max(...finite));
        // Rounded to 3 decimals, so within half a thousandth of the bounds.
        assert.ok(sp.median >= sp.min - 5e-4 && sp.median <= sp.max + 5e-4, `${sp.median} outside ${sp.min}..${sp.max}`);
        return true;
      }),
    );
  });
});

describe(medianOf.name, () => {
  it('is the median of spreadOf, or null for no readings', () => {
    assert.equal(medianOf([3, 1, 2]), 2);
    assert.equal(medianOf([null]), null);
  });
});
