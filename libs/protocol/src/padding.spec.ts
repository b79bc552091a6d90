import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SIZE_BUCKETS } from './constants.js';
import { ProtocolError } from './errors.js';
import { bucketFor, isBucket, pad, unpad } from './padding.js';

describe(bucketFor.name, () => {
  it('picks the smallest bucket that fits', () => {
    assert.equal(bucketFor(0), 256);
    assert.equal(bucketFor(256), 256);
    assert.equal(bucketFor(257), 512);
    assert.equal(bucketFor(65_535), 65_536);
    assert.equal(bucketFor(65_536), 65_536);
  });

  it('rejects sizes above the largest bucket', () => {
    assert.throws(() => bucketFor(65_537), { name: 'RangeError', message: '"n" expected integer 0..65536, got 65537' });
    assert.throws(() => bucketFor(-1), RangeError);
  });
});

describe(isBucket.name, () => {
  it('accepts exactly the size buckets', () => {
    const buckets = new Set(SIZE_BUCKETS);
    for (let n = 0; n <= 70_000; n++) assert.equal(isBucket(n), buckets.has(n), `n = ${n}`);
  });
});

describe(pad.name, () => {
  it('length-prefixes, then zero-fills so length + overhead is a bucket', () => {
    const sut = pad(Uint8Array.of(1, 2, 3), 28);
    assert.equal(sut.length + 28, 256);
    assert.deepEqual(sut.subarray(0, 7), Uint8Array.of(0, 0, 0, 3, 1, 2, 3));
    assert.ok(sut.subarray(7).every((b) => b === 0));
  });

  it('fills the largest bucket exactly and refuses one byte more', () => {
    assert.equal(pad(new Uint8Array(65_536 - 4 - 40), 40).length, 65_536 - 40);
    assert.throws(() => pad(new Uint8Array(65_536 - 4 - 40 + 1), 40), { message: '"data" expected at most 65492 bytes, got 65493' });
  });

  it('rejects non-bytes', () => {
    assert.throws(() => pad('hi' as unknown as Uint8Array), TypeError);
  });
});

describe(unpad.name, () => {
  it('inverts pad for every bucket boundary', () => {
    for (const n of [0, 1, 251, 252, 253, 1000, 65_532]) {
      const data = Uint8Array.from({ length: n }, (_, i) => i % 251);
      assert.deepEqual(unpad(pad(data)), data);
    }
  });

  it('rejects a prefix longer than the body and non-zero fill with ProtocolError', () => {
    const sut = pad(Uint8Array.of(9));
    sut[100] = 1;
    assert.throws(() => unpad(sut), (e: unknown) => e instanceof ProtocolError && e.field === 'padding');
    assert.throws(() => unpad(Uint8Array.of(0, 0, 0, 1)), (e: unknown) => e instanceof ProtocolError && e.field === 'paddedLength');
  });
});
