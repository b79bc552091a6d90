import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { firstRoundOrder, roundOrder, type PlanRow } from './plan.js';
import { allScenarios } from './registry.js';
import { compareName } from './rows.js';

const names = (rows: readonly PlanRow[], only: readonly string[]): PlanRow[] => rows.filter((r) => only.includes(r.name));
const twins = (rows: readonly PlanRow[], of: readonly string[]): PlanRow[] => [
  ...rows,
  ...rows.filter((r) => of.includes(r.name)).map((r) => ({ name: compareName(r.name), ratios: r.ratios })),
];
const adjacent = (order: readonly string[], a: string, b: string): boolean => Math.abs(order.indexOf(a) - order.indexOf(b)) === 1;

describe(firstRoundOrder.name, () => {
  const all = allScenarios();
  const tacit = all.map((s) => s.name).filter((n) => n.startsWith('tacit-'));

  it('runs every row once, each Tacit row right beside the reference it is divided by', () => {
    const order = firstRoundOrder(all);
    assert.deepEqual([...order].sort(), all.map((s) => s.name).sort());
    assert.ok(adjacent(order, 'tacit-same-gateway', 'baseline-ws'));
    assert.ok(adjacent(order, 'tacit-cross-replica', 'baseline-ws'));
    assert.ok(adjacent(order, 'tacit-enqueue', 'meshwhisper-offline-drain'));
    assert.ok(adjacent(order, 'tacit-drain', 'meshwhisper-offline-drain'));
    // The third row divided by it, one row away.
    assert.equal(order.indexOf('meshwhisper-offline-drain') - order.indexOf('tacit-enqueue-deep'), 2);
    assert.ok(adjacent(order, 'tacit-idle-connections', 'baseline-idle-connections'));
    assert.ok(adjacent(order, 'tacit-media-upload', 's3-direct-upload'));
    assert.ok(adjacent(order, 'tacit-media-upload-held', 's3-direct-upload'));
    assert.ok(adjacent(order, 'tacit-media-download', 's3-direct-download'));
    assert.ok(adjacent(order, 'tacit-media-download-redirect', 's3-direct-download'));
    for (const work of ['session-start', 'ratchet', 'ratchet-alternating']) {
      assert.ok(adjacent(order, `tacit-${work}`, `libsignal-${work}`) && adjacent(order, `tacit-${work}-noble`, `libsignal-${work}`), work);
    }
    assert.deepEqual(order, [
      'tacit-same-gateway',
      'baseline-ws',
      'tacit-cross-replica',
      'meshwhisper-same-relay',
      'tacit-enqueue-deep',
      'tacit-enqueue',
      'meshwhisper-offline-drain',
      'tacit-drain',
      'tacit-idle-connections',
      'baseline-idle-connections',
      'meshwhisper-idle-connections',
      'tacit-prekey-fetch',
      'tacit-directory-lookup',
      'tacit-directory-register',
      'tacit-push-wakes',
      'tacit-media-upload',
      's3-direct-upload',
      'tacit-media-upload-held',
      'tacit-media-download',
      's3-direct-download',
      'tacit-media-download-redirect',
      'tacit-session-start',
      'libsignal-session-start',
      'tacit-session-start-noble',
      'tacit-ratchet',
      'libsignal-ratchet',
      'tacit-ratchet-noble',
      'tacit-ratchet-alternating',
      'libsignal-ratchet-alternating',
      'tacit-ratchet-alternating-noble',
    ]);
  });

  it('puts each --compare twin beside its row, on the far side from the reference', () => {
    const rows = twins(all, tacit);
    const order = firstRoundOrder(rows);
    assert.equal(order.length, rows.length);
    assert.equal(new Set(order).size, rows.length);
    for (const t of tacit) assert.ok(adjacent(order, t, compareName(t)), `${t} beside its twin in ${order.join(' ')}`);
    assert.ok(adjacent(order, 'tacit-same-gateway', 'baseline-ws') && adjacent(order, 'tacit-cross-replica', 'baseline-ws'));
    assert.ok(adjacent(order, 'tacit-enqueue', 'meshwhisper-offline-drain') && adjacent(order, 'tacit-drain', 'meshwhisper-offline-drain'));
    assert.deepEqual(order.slice(0, 5), [
      'tacit-same-gateway@compare',
      'tacit-same-gateway',
      'baseline-ws',
      'tacit-cross-replica',
      'tacit-cross-replica@compare',
    ]);
  });

  it('uses the second reference when the first is not in the run, and keeps rows without one in place', () => {
    // tacit-same-gateway's first reference (baseline-ws) is left out: it runs beside MeshWhisper.
    assert.deepEqual(firstRoundOrder(names(all, ['meshwhisper-same-relay', 'tacit-same-gateway'])), ['tacit-same-gateway', 'meshwhisper-same-relay']);
    assert.deepEqual(firstRoundOrder(names(all, ['tacit-drain', 'baseline-ws'])), ['baseline-ws', 'tacit-drain']);
    assert.deepEqual(firstRoundOrder(twins(names(all, ['tacit-drain']), ['tacit-drain'])), ['tacit-drain', 'tacit-drain@compare']);
    assert.deepEqual(firstRoundOrder([]), []);
  });
});

describe(roundOrder.name, () => {
  const first = firstRoundOrder(names(allScenarios(), ['baseline-ws', 'tacit-same-gateway']));

  it('alternates which of a row and its reference goes first, round by round', () => {
    assert.deepEqual(roundOrder(first, 0), ['tacit-same-gateway', 'baseline-ws']);
    assert.deepEqual(roundOrder(first, 1), ['baseline-ws', 'tacit-same-gateway']);
    assert.deepEqual(roundOrder(first, 2), roundOrder(first, 0));
    assert.deepEqual(roundOrder(first, 3), roundOrder(first, 1));
  });

  it('gives every pair of rows each order equally often over an even number of rounds', () => {
    const order = firstRoundOrder(twins(allScenarios(), ['tacit-drain', 'tacit-same-gateway']));
    const rounds = [0, 1, 2, 3].map((r) => roundOrder(order, r));
    for (const a of order) {
      for (const b of order) {
        if (a === b) continue;
        const aFirst = rounds.filter((o) => o.indexOf(a) < o.indexOf(b)).length;
        assert.equal(aFirst, 2, `${a} before ${b} in ${aFirst} of 4 rounds`);
      }
    }
  });

  it('does not change the first order it is given, and refuses a round that is not a count', () => {
    const copy = [...first];
    roundOrder(first, 1);
    assert.deepEqual(first, copy);
    for (const bad of [-1, 1.5, NaN]) assert.throws(() => roundOrder(first, bad), { name: 'RangeError', message: `"round" expected an integer >= 0, got ${bad}` });
  });
});
