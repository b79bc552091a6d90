// varintSize and writeVarint against protobuf-es's writer, at each width's edges up to 2^53 - 1.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { varintSize, writeVarint } from './hand-wire.js';

const EDGES = [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455, 268_435_456, 0xffff_ffff, 2 ** 32, 2 ** 35 - 1, 2 ** 35, Number.MAX_SAFE_INTEGER];

describe('hand-wire', () => {
  it('writes the varint protobuf-es writes, at its size, and returns the offset after it', () => {
    for (const n of EDGES) {
      const want = new BinaryWriter().uint64(n).finish();
      assert.equal(varintSize(n), want.length, `size of ${n}`);
      const out = new Uint8Array(want.length + 3).fill(0xee);
      assert.equal(writeVarint(out, 2, n), 2 + want.length, `end of ${n}`);
      assert.deepEqual([...out.subarray(2, 2 + want.length)], [...want], `bytes of ${n}`);
      assert.deepEqual([out[0], out[1], out[2 + want.length]], [0xee, 0xee, 0xee], 'nothing written around it');
    }
  });
});
