import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UnavailableError } from '@tacit/kit';
import { GroupCommitter } from './group-commit.js';

/** A flush that records its batches and answers each item doubled, after `ms`. */
function recorder(ms = 5) {
  const batches: number[][] = [];
  let running = 0;
  let overlap = false;
  const flush = async (items: number[]): Promise<number[]> => {
    running++;
    overlap ||= running > 1;
    batches.push(items);
    await new Promise((r) => setTimeout(r, ms));
    running--;
    return items.map((i) => i * 2);
  };
  return { batches, flush, overlapped: () => overlap };
}

describe(GroupCommitter.name, () => {
  it('writes concurrent calls in one flush and answers each caller its own results', async () => {
    const rec = recorder();
    const sut = new GroupCommitter(rec.flush, { maxDelayMs: 2 });
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => sut.submit([i, i + 1000])));
    assert.equal(rec.batches.length, 1);
    assert.deepEqual(results[7], [14, 2014]);
    assert.deepEqual(sut.stats, { flushes: 1, items: 200, largest: 200, refused: 0 });
  });

  it('refuses items past maxWaiting at once (UnavailableError), keeps what it took, and takes more once it drains', async () => {
    const rec = recorder(20);
    const sut = new GroupCommitter(rec.flush, { maxDelayMs: 1, maxItems: 10, maxInFlight: 1, maxWaiting: 25 });
    // Ten start a flush at once; fifteen more wait behind it.
    const taken = [sut.submit(Array(10).fill(1)), sut.submit(Array(15).fill(2))];
    await assert.rejects(sut.submit(Array(11).fill(3)), UnavailableError, '15 waiting + 11 > 25');
    assert.equal(sut.stats.refused, 11);
    const fits = sut.submit(Array(10).fill(4));
    assert.equal((await Promise.all([...taken, fits])).flat().length, 35, 'everything taken is committed');
    assert.deepEqual(await sut.submit([7]), [14]);
  });

  it('starts the next flush before answering the callers of the one that ended', async () => {
    const rec = recorder(5);
    const sut = new GroupCommitter(rec.flush, { maxDelayMs: 0 });
    const first = sut.submit([1]);
    await new Promise((r) => setTimeout(r, 1));
    const second = sut.submit([2]);
    // When the first caller hears back, the batch that waited is already being written.
    const seen = await first.then(() => rec.batches.length);
    assert.equal(seen, 2);
    assert.deepEqual(await second, [4]);
  });

  it('fails the callers of a flush that throws synchronously and keeps serving', async () => {
    let calls = 0;
    const sut = new GroupCommitter<number, number>((items) => {
      if (++calls === 1) throw new Error('flush threw');
      return Promise.resolve(items.map((i) => i + 1));
    }, { maxDelayMs: 0 });
    await assert.rejects(sut.submit([1]), /flush threw/);
    assert.deepEqual(await sut.submit([2]), [3]);
  });

  it('runs one flush at a time and batches what arrives meanwhile, while fewer than 32 wait', async () => {
    const rec = recorder(10);
    const sut = new GroupCommitter(rec.flush, { maxDelayMs: 0, maxInFlight: 2 });
    const first = sut.submit([1]);
    await new Promise((r) => setTimeout(r, 2));
    const later = Array.from({ length: 31 }, (_, i) => sut.submit([i]));
    await Promise.all([first, ...later]);
    assert.equal(rec.overlapped(), false);
    assert.deepEqual(rec.batches.map((b) => b.length), [1, 31]);
  });

  it('overlaps a second flush once as many items wait as the running one carries (and at least 32)', async () => {
    // Flushes that end only when released: nothing here depends on timing.
    const batches: number[][] = [];
    const release: Array<() => void> = [];
    const sut = new GroupCommitter(
      (items: number[]) => {
        batches.push(items);
        return new Promise<number[]>((resolve) => release.push(() => resolve(items)));
      },
      { maxDelayMs: 0, maxInFlight: 2 },
    );
    const tick = () => new Promise((r) => setImmediate(r));
    const all = [sut.submit(Array.from({ length: 40 }, (_, i) => i))];
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(batches.map((b) => b.length), [40]);
    for (let i = 0; i < 39; i++) all.push(sut.submit([i]));
    await tick();
    assert.equal(batches.length, 1, '39 waiting behind a flush of 40: they wait for it');
    all.push(sut.submit([39]));
    await tick();
    assert.deepEqual(batches.map((b) => b.length), [40, 40], 'the 40th starts a second flush beside the first');
    for (let i = 0; i < 50; i++) all.push(sut.submit([i]));
    await tick();
    assert.equal(batches.length, 2, 'never more than maxInFlight');
    release.shift()!();
    await tick();
    assert.deepEqual(batches.map((b) => b.length), [40, 40, 50], 'the next goes as the first ends');
    while (release.length > 0) {
      release.shift()!();
      await tick();
    }
    await Promise.all(all);
    const solo: number[][] = [];
    const one = new GroupCommitter(
      async (items: number[]) => {
        solo.push(items);
        await new Promise((r) => setTimeout(r, 10));
        return items;
      },
      { maxDelayMs: 0, maxInFlight: 1 },
    );
    const head = one.submit(Array.from({ length: 40 }, (_, i) => i));
    await new Promise((r) => setTimeout(r, 2));
    await Promise.all([head, ...Array.from({ length: 60 }, (_, i) => one.submit([i]))]);
    assert.deepEqual(solo.map((b) => b.length), [40, 60], 'with maxInFlight 1, one at a time');
  });

  it('overlaps a second flush when a full batch waits', async () => {
    const rec = recorder(10);
    const sut = new GroupCommitter(rec.flush, { maxItems: 4, maxDelayMs: 0, maxInFlight: 2 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => sut.submit([i])));
    assert.equal(rec.overlapped(), true);
    assert.deepEqual(rec.batches.map((b) => b.length), [4, 4, 4]);
    const solo = new GroupCommitter(recorder(10).flush, { maxItems: 4, maxDelayMs: 0, maxInFlight: 1 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => solo.submit([i])));
    assert.deepEqual(solo.stats.flushes, 3);
  });

  it('caps a flush at maxItems without splitting a caller', async () => {
    const rec = recorder(1);
    const sut = new GroupCommitter(rec.flush, { maxItems: 10, maxDelayMs: 50 });
    const calls = [sut.submit([1, 2, 3, 4]), sut.submit([5, 6, 7, 8]), sut.submit([9, 10, 11]), sut.submit([12])];
    const results = await Promise.all(calls);
    assert.deepEqual(rec.batches, [[1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12]]);
    assert.deepEqual(results[2], [18, 20, 22]);
  });

  it('fails every caller of a failed flush, and the next flush still runs', async () => {
    let fail = true;
    const sut = new GroupCommitter(async (items: number[]) => {
      if (fail) throw new UnavailableError('down');
      return items;
    });
    const doomed = [sut.submit([1]), sut.submit([2])];
    for (const p of doomed) await assert.rejects(p, UnavailableError);
    fail = false;
    assert.deepEqual(await sut.submit([3]), [3]);
  });

  it('commits what waits on close and refuses later calls', async () => {
    const rec = recorder(1);
    const sut = new GroupCommitter(rec.flush, { maxDelayMs: 1000 });
    const waiting = sut.submit([21]);
    await sut.close();
    assert.deepEqual(await waiting, [42]);
    await assert.rejects(sut.submit([1]), UnavailableError);
  });
});
