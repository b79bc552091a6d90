// When a CoalescedFlush runs: at the end of the turn while quiet, `coalesceMs` after the last run
// while busy, once however often it was asked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as turn, setTimeout as sleep } from 'node:timers/promises';
import { CoalescedFlush } from './coalesced-flush.js';
import { until } from './spec-fixtures.js';

describe(CoalescedFlush.name, () => {
  it('runs at the end of the turn on a quiet start, once however often it was asked', async () => {
    const runs: number[] = [];
    const sut = new CoalescedFlush(() => runs.push(performance.now()), 1000);
    sut.schedule();
    sut.schedule();
    sut.schedule();
    assert.equal(runs.length, 0, 'not inside the turn that asked');
    await turn();
    assert.equal(runs.length, 1);
  });

  it('while busy waits until coalesceMs after the last run, then runs once for all that asked meanwhile; quiet again, at once', async () => {
    const runs: number[] = [];
    const sut = new CoalescedFlush(() => runs.push(performance.now()), 300);
    sut.schedule();
    await turn();
    sut.schedule();
    await turn();
    sut.schedule();
    await turn();
    assert.equal(runs.length, 1, 'held');
    await until(() => runs.length === 2, 3000, 'the held run');
    // (libuv times a timer from the loop's cached clock, of whole milliseconds and read at the start of
    // the turn: measured here it may seem a millisecond or two early; 298.9 ms was seen.)
    assert.ok(runs[1]! - runs[0]! >= 290, `held ${runs[1]! - runs[0]!} ms`);
    await sleep(350);
    assert.equal(runs.length, 2, 'nothing more was asked');
    sut.schedule();
    await turn();
    assert.equal(runs.length, 3, 'quiet again: at the end of the turn');
  });

  it('with coalesceMs 0 runs at the end of every turn that asked', async () => {
    let runs = 0;
    const sut = new CoalescedFlush(() => void runs++, 0);
    for (let i = 1; i <= 3; i++) {
      sut.schedule();
      await turn();
      assert.equal(runs, i);
    }
  });
});
