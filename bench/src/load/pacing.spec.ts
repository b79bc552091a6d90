import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  countBefore,
  dueCount,
  isMeasured,
  pacedRate,
  pacedSchedule,
  packetIndex,
  pairShare,
  scheduledOffsetMs,
  toSendNow,
} from './pacing.js';

const rates = fc.oneof(fc.integer({ min: 1, max: 200_000 }), fc.double({ min: 0.5, max: 200_000, noNaN: true }));

describe(dueCount.name, () => {
  it('counts packet 0 at once and one more every 1000 / rate ms', () => {
    assert.equal(dueCount(1000, 0), 1);
    assert.equal(dueCount(1000, 0.999), 1);
    assert.equal(dueCount(1000, 1), 2);
    assert.equal(dueCount(1000, 10), 11);
    assert.equal(dueCount(4, 249), 1);
    assert.equal(dueCount(4, 250), 2);
    assert.equal(dueCount(4, 1000), 5);
    assert.equal(dueCount(3, 1000), 4); // 0, 333.3, 666.7, 1000
    assert.equal(dueCount(1000, -5), 0);
    assert.equal(dueCount(1000, Number.NaN), 0);
  });

  it('agrees with scheduledOffsetMs exactly: packets due are those whose time has come', () => {
    fc.assert(
      fc.property(rates, fc.double({ min: 0, max: 60_000, noNaN: true }), (rate, t) => {
        const n = dueCount(rate, t);
        assert.ok(n >= 1);
        assert.ok(scheduledOffsetMs(rate, n - 1) <= t, `packet ${n - 1} counted but due at ${scheduledOffsetMs(rate, n - 1)} > ${t}`);
        assert.ok(scheduledOffsetMs(rate, n) > t, `packet ${n} due at ${scheduledOffsetMs(rate, n)} <= ${t} not counted`);
      }),
      { numRuns: 2000 },
    );
  });

  it('at a scheduled instant counts that packet (float division and all)', () => {
    fc.assert(
      fc.property(rates, fc.integer({ min: 0, max: 1_000_000 }), (rate, k) => {
        assert.equal(dueCount(rate, scheduledOffsetMs(rate, k)), k + 1);
      }),
      { numRuns: 2000 },
    );
  });

  it('never decreases as time passes', () => {
    fc.assert(
      fc.property(rates, fc.double({ min: 0, max: 60_000, noNaN: true }), fc.double({ min: 0, max: 1000, noNaN: true }), (rate, t, dt) => {
        assert.ok(dueCount(rate, t + dt) >= dueCount(rate, t));
      }),
    );
  });

  it('rejects a rate that is not a positive finite number', () => {
    assert.throws(() => dueCount(0, 1), RangeError);
    assert.throws(() => dueCount(-1, 1), RangeError);
    assert.throws(() => dueCount(Number.POSITIVE_INFINITY, 1), RangeError);
  });
});

describe(countBefore.name, () => {
  it('counts packets strictly before the instant', () => {
    assert.equal(countBefore(1000, 0), 0);
    assert.equal(countBefore(1000, 1), 1);
    assert.equal(countBefore(1000, 1.5), 2);
    assert.equal(countBefore(1000, 5000), 5000);
    assert.equal(countBefore(3, 1000), 3);
  });

  it('is dueCount of the instant minus a packet due exactly then', () => {
    fc.assert(
      fc.property(rates, fc.double({ min: 0.001, max: 60_000, noNaN: true }), (rate, ms) => {
        const n = countBefore(rate, ms);
        assert.ok(n === 0 || scheduledOffsetMs(rate, n - 1) < ms);
        assert.ok(scheduledOffsetMs(rate, n) >= ms);
      }),
      { numRuns: 2000 },
    );
  });
});

describe(pairShare.name, () => {
  it('deals packets round-robin: pair p has the k with k % pairs === p', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 64 }), (count, pairs) => {
        let sum = 0;
        for (let pair = 0; pair < pairs; pair++) {
          let brute = 0;
          for (let k = 0; k < count; k++) if (k % pairs === pair) brute++;
          assert.equal(pairShare(count, pairs, pair), brute);
          sum += brute;
        }
        assert.equal(sum, count);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the pairs within one packet of each other', () => {
    assert.deepEqual([0, 1, 2, 3].map((p) => pairShare(10, 4, p)), [3, 3, 2, 2]);
    assert.equal(packetIndex(4, 1, 2), 9);
    assert.equal(9 % 4, 1);
  });
});

describe(toSendNow.name, () => {
  const s = pacedSchedule(1600, 16, 500, 1000); // 100/s per pair, 2400 packets

  it('bounds the phase: rate × (warm-up + window) packets, the measured ones after the warm-up', () => {
    assert.equal(s.total, 2400);
    assert.equal(s.firstMeasured, 800);
    assert.equal(isMeasured(s, 799), false);
    assert.equal(isMeasured(s, 800), true);
    assert.equal(isMeasured(s, 2399), true);
    assert.equal(isMeasured(s, 2400), false);
  });

  it('sends what came due since the last call, a burst after a late tick, nothing twice', () => {
    assert.equal(toSendNow(s, 0, 0, 0), 1); // packet 0
    assert.equal(toSendNow(s, 0, 1, 0), 0); // pair 1's first is due at 0.625 ms
    assert.equal(toSendNow(s, 0.625, 1, 0), 1);
    assert.equal(toSendNow(s, 9.99, 0, 1), 0); // pair 0's second is due at 10 ms: 16 × 0.625
    assert.equal(toSendNow(s, 10, 0, 1), 1);
    assert.equal(toSendNow(s, 10, 0, 0), 2);
    assert.equal(toSendNow(s, 105, 0, 1), 10); // a 95 ms stall: the 10 packets due meanwhile go at once
    assert.equal(toSendNow(s, 105, 0, 11), 0);
  });

  it('holds back what the in-flight cap does not allow, and never goes negative', () => {
    assert.equal(toSendNow(s, 105, 0, 1, 4), 4);
    assert.equal(toSendNow(s, 105, 0, 1, 0), 0);
    assert.equal(toSendNow(s, 105, 0, 1, -3), 0);
    assert.equal(toSendNow(s, 105, 0, 50), 0);
  });

  it('stops at the schedule total however late it is asked', () => {
    const total = Array.from({ length: 16 }, (_, pair) => toSendNow(s, 1e9, pair, 0)).reduce((a, b) => a + b, 0);
    assert.equal(total, s.total);
  });

  it('sent in ticks of any length, the pairs together follow the schedule: nothing early, nothing skipped', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50_000 }),
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.double({ min: 0, max: 30, noNaN: true }), { minLength: 1, maxLength: 200 }),
        (rate, pairs, ticks) => {
          const sch = pacedSchedule(rate, pairs, 0, 200);
          const sent = new Array<number>(pairs).fill(0);
          let t = 0;
          for (const dt of ticks) {
            t += dt;
            for (let pair = 0; pair < pairs; pair++) {
              const n = toSendNow(sch, t, pair, sent[pair]!);
              // Every packet sent is due by now.
              if (n > 0) assert.ok(scheduledOffsetMs(rate, packetIndex(pairs, pair, sent[pair]! + n - 1)) <= t);
              sent[pair]! += n;
            }
            const all = sent.reduce((a, b) => a + b, 0);
            assert.equal(all, Math.min(sch.total, dueCount(rate, t)));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe(pacedRate.name, () => {
  it('is the fraction of the peak, rounded, or 0 when there was no peak', () => {
    assert.equal(pacedRate(83_701, 0.5), 41_851);
    assert.equal(pacedRate(9720, 0.5), 4860);
    assert.equal(pacedRate(0, 0.5), 0);
    assert.equal(pacedRate(Number.NaN, 0.5), 0);
    assert.equal(pacedRate(0.4, 0.5), 0);
  });
});

describe(pacedSchedule.name, () => {
  it('rejects a bad rate, pair count or duration', () => {
    assert.throws(() => pacedSchedule(0, 16, 0, 1000), RangeError);
    assert.throws(() => pacedSchedule(100, 0, 0, 1000), RangeError);
    assert.throws(() => pacedSchedule(100, 1.5, 0, 1000), RangeError);
    assert.throws(() => pacedSchedule(100, 16, 0, 0), RangeError);
    assert.throws(() => pacedSchedule(100, 16, -1, 1000), RangeError);
  });
});
