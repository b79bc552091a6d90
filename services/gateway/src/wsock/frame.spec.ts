import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closePayload, headerLength, isValidCloseCode, unmask, writeHeader, WsCloseCode } from './frame.js';

describe('wsock frame helpers', () => {
  it('writes 7-bit, 16-bit and 64-bit lengths', () => {
    for (const [len, bytes] of [
      [0, [0x82, 0]],
      [125, [0x82, 125]],
      [126, [0x82, 126, 0, 126]],
      [65_535, [0x82, 126, 0xff, 0xff]],
      [65_536, [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]],
      [2 ** 32 + 5, [0x82, 127, 0, 0, 0, 1, 0, 0, 0, 5]],
    ] as const) {
      const out = new Uint8Array(10);
      const n = writeHeader(out, 0x2, len);
      assert.equal(n, headerLength(len));
      assert.deepEqual([...out.subarray(0, n)], bytes, `length ${len}`);
      // At an offset: the same bytes there, nothing written before or after them.
      const at = new Uint8Array(16).fill(7);
      assert.equal(writeHeader(at, 0x2, len, 3), n);
      assert.deepEqual([...at.subarray(3, 3 + n)], bytes, `length ${len} at 3`);
      assert.ok(at.subarray(0, 3).every((b) => b === 7) && at.subarray(3 + n).every((b) => b === 7));
    }
  });

  it('unmasks any length at any offset (and masking twice is the identity)', () => {
    const mask = 0x37fa213d;
    for (let len = 0; len < 11; len++) {
      const plain = Buffer.from(Array.from({ length: len }, (_, i) => i * 7));
      const buf = Buffer.concat([Buffer.from([9, 9, 9]), plain]);
      unmask(buf, 3, buf.length, mask);
      const key = [0x37, 0xfa, 0x21, 0x3d];
      assert.deepEqual([...buf.subarray(3)], [...plain].map((b, i) => b ^ key[i % 4]!));
      assert.deepEqual([...buf.subarray(0, 3)], [9, 9, 9]);
      unmask(buf, 3, buf.length, mask);
      assert.deepEqual(buf.subarray(3), plain);
    }
  });

  it('accepts only close codes a peer may send', () => {
    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999]) {
      assert.equal(isValidCloseCode(code), true, String(code));
    }
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65_535]) {
      assert.equal(isValidCloseCode(code), false, String(code));
    }
  });

  it('cuts a close reason to 123 bytes without splitting a character', () => {
    const p = closePayload(4400, 'é'.repeat(100));
    assert.equal(p.readUInt16BE(0), 4400);
    assert.ok(p.length <= 125);
    assert.equal(p.subarray(2).toString('utf8'), 'é'.repeat(61));
    assert.equal(closePayload(WsCloseCode.NO_STATUS, 'ignored').length, 0);
  });
});
