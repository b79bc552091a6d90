import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { keyAt, keyBytes, keyOf } from './keys.js';

describe('keyOf', () => {
  it('is the latin1 string of the bytes, as the gateway cuts keys out of frames, for every byte value and length', () => {
    for (let start = 0; start < 256; start += 16) {
      const id = new Uint8Array(16).map((_, i) => start + i);
      assert.equal(keyOf(id), Buffer.from(id).toString('latin1'));
      assert.equal(keyOf(Buffer.from(id)), Buffer.from(id).toString('latin1'));
    }
    const frame = Buffer.from(randomBytes(80));
    assert.equal(keyOf(frame.subarray(35, 51)), frame.toString('latin1', 35, 51));
    assert.equal(keyAt(frame, 35), frame.toString('latin1', 35, 51));
    assert.equal(keyAt(frame, 35) + keyAt(frame, 51), frame.toString('latin1', 35, 67));
    assert.equal(keyAt(frame, 64), frame.toString('latin1', 64, 80));
    assert.throws(() => keyAt(frame, 65), RangeError);
    assert.throws(() => keyAt(frame, -1), RangeError);
    assert.deepEqual(Buffer.from(keyBytes(keyOf(frame.subarray(35, 51)))), frame.subarray(35, 51));
    for (const n of [0, 15, 17, 32]) {
      const b = new Uint8Array(randomBytes(n));
      assert.equal(keyOf(b), Buffer.from(b).toString('latin1'));
    }
  });
});

