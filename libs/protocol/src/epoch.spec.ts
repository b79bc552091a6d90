import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TTL_HOURS, EPOCH_MS, MAX_CLAIM, SKEW_EPOCHS } from './constants.js';
import { currentEpoch, missedEpochs, skewWindow } from './epoch.js';

const NOV_2026 = Date.UTC(2026, 10, 1);

describe(currentEpoch.name, () => {
  it('floors Unix milliseconds to the hour', () => {
    assert.equal(currentEpoch(0), 0);
    assert.equal(currentEpoch(EPOCH_MS - 1), 0);
    assert.equal(currentEpoch(EPOCH_MS), 1);
    assert.equal(currentEpoch(NOV_2026), 498_192);
    assert.equal(currentEpoch(NOV_2026 + 0.5), 498_192);
  });

  it('rejects negative, non-finite and unsafe times; every safe time fits a u32 epoch', () => {
    assert.throws(() => currentEpoch(-1), { name: 'RangeError', message: /"nowMs" expected 0\.\.9007199254740991, got -1/ });
    assert.throws(() => currentEpoch(Number.NaN), RangeError);
    assert.throws(() => currentEpoch(Infinity), RangeError);
    assert.throws(() => currentEpoch(2 ** 53), RangeError);
    assert.ok(currentEpoch(Number.MAX_SAFE_INTEGER) < 2 ** 32);
    assert.throws(() => currentEpoch('1' as unknown as number), TypeError);
  });
});

describe(skewWindow.name, () => {
  it('claims the current epoch and one on each side', () => {
    assert.equal(SKEW_EPOCHS, 1);
    assert.deepEqual(skewWindow(NOV_2026), [498_191, 498_192, 498_193]);
  });

  it('does not go below epoch 0', () => {
    assert.deepEqual(skewWindow(0), [0, 1]);
    assert.deepEqual(skewWindow(EPOCH_MS), [0, 1, 2]);
  });
});

describe(missedEpochs.name, () => {
  it('returns nothing when the client was online this hour', () => {
    assert.deepEqual(missedEpochs(NOV_2026, NOV_2026 + 60_000, DEFAULT_TTL_HOURS), []);
  });

  it('covers the gap back to the last epoch seen, less the skew', () => {
    const sut = missedEpochs(NOV_2026 - 5 * EPOCH_MS, NOV_2026, DEFAULT_TTL_HOURS);
    assert.deepEqual(sut, [498_186, 498_187, 498_188, 498_189, 498_190]);
  });

  it('stops at the TTL (plus skew), and with the skew window fits one CLAIM', () => {
    const sut = missedEpochs(0, NOV_2026, DEFAULT_TTL_HOURS);
    assert.equal(sut.length, DEFAULT_TTL_HOURS);
    assert.equal(sut[0], 498_192 - DEFAULT_TTL_HOURS - SKEW_EPOCHS);
    assert.equal(sut.at(-1), 498_192 - SKEW_EPOCHS - 1);
    assert.ok(sut.length + skewWindow(NOV_2026).length <= MAX_CLAIM);
  });

  it('is disjoint from the skew window', () => {
    const window = new Set(skewWindow(NOV_2026));
    assert.ok(missedEpochs(NOV_2026 - 10 * EPOCH_MS, NOV_2026, 24).every((e) => !window.has(e)));
  });

  it('returns nothing when the clock went backwards', () => {
    assert.deepEqual(missedEpochs(NOV_2026 + 10 * EPOCH_MS, NOV_2026, 24), []);
  });

  it('rejects a TTL beyond the v1 packet TTL cap', () => {
    assert.throws(() => missedEpochs(0, NOV_2026, 721), { name: 'RangeError', message: /"ttlHours" expected integer 0\.\.720/ });
    assert.throws(() => missedEpochs(0, NOV_2026, -1), RangeError);
  });
});
