import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { heapPerItem } from './spec-heap.js';

/** A flat string of 1 000 one-byte chars: 1 016 bytes on V8's heap (a 16-byte header). */
const kilo = (c: number) => Buffer.alloc(1000, c).toString('latin1');

describe('heapPerItem: what the gateway specs read objects\' size with', () => {
  it('reads what each item made keeps: 1 000-char strings at ~1 KB each (the array slot besides)', async () => {
    const per = await heapPerItem(5000, () => kilo(0x61));
    assert.ok(per > 1000 && per < 1100, `${per.toFixed(0)} B per item`);
  });

  it('given a change, reads what the change adds to items made first, not what it made and dropped', async () => {
    const per = await heapPerItem(
      5000,
      () => ({ s: '' }),
      (o) => {
        kilo(0x62); // garbage, dropped at once
        o.s = kilo(0x63);
      },
    );
    assert.ok(per > 1000 && per < 1100, `${per.toFixed(0)} B per item`);
  });

  it('reads nothing when nothing is kept', async () => {
    const per = await heapPerItem(5000, () => undefined, () => kilo(0x64));
    assert.ok(Math.abs(per) < 50, `${per.toFixed(0)} B per item`);
  });
});
