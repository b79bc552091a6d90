import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { _backends, _toHex } from './_vectors.js';
import { CryptoRangeError, CryptoTypeError } from './errors.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

// FIPS 180-4 examples (NIST CSRC "Examples with intermediate values"): one-block, empty and
// multi-block messages.
const SHA256: [string, string][] = [
  ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
];
const SHA512: [string, string][] = [
  [
    'abc',
    'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
  ],
  [
    '',
    'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
  ],
  [
    'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
    '8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909',
  ],
];

describe('SHA-2', () => {
  for (const sut of _backends) {
    it(`${sut.name}: FIPS 180-4 examples`, () => {
      for (const [m, d] of SHA256) assert.equal(_toHex(sut.sha256(utf8(m))), d, `sha256 "${m}"`);
      for (const [m, d] of SHA512) assert.equal(_toHex(sut.sha512(utf8(m))), d, `sha512 "${m}"`);
    });

    it(`${sut.name}: a non-byte input is a CryptoTypeError`, () => {
      assert.throws(() => sut.sha512('abc' as unknown as Uint8Array), CryptoTypeError);
      assert.throws(() => sut.sha256.create().update('abc' as unknown as Uint8Array), CryptoTypeError);
    });

    it(`${sut.name}: sha256.create() in pieces equals the one-shot digest; a spent hasher refuses`, () => {
      for (const [m, d] of SHA256) {
        const h = sut.sha256.create();
        const b = utf8(m);
        for (let i = 0; i < b.length; i += 7) h.update(b.subarray(i, i + 7));
        assert.equal(_toHex(h.digest()), d, `sha256.create "${m}"`);
      }
      const big = sut.randomBytes(65536);
      const h = sut.sha256.create();
      for (let i = 0; i < big.length; i += 10_000) h.update(big.subarray(i, i + 10_000));
      assert.deepEqual(h.digest(), sut.sha256(big));
      assert.throws(() => h.digest(), (e: unknown) => e instanceof CryptoRangeError && e.code === 'BAD_VALUE');
      assert.throws(() => h.update(big), (e: unknown) => e instanceof CryptoRangeError && e.field === 'digest');
    });
  }

  it('backends agree on random inputs, views into larger buffers included', () => {
    const [a, b] = _backends;
    for (let i = 0; i < 16; i++) {
      const buf = a!.randomBytes(300);
      const view = buf.subarray(i, 40 + i * 13);
      assert.deepEqual(a!.sha256(view), b!.sha256(view));
      assert.deepEqual(a!.sha512(view), b!.sha512(view));
    }
  });
});
