import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { _backends, _h, _thrown, _toHex } from './_vectors.js';
import { CryptoError, CryptoRangeError } from './errors.js';

// NIST SP 800-38A F.2.5 (CBC-AES256.Encrypt): four blocks, no padding in the vector; with PKCS#7
// the first 64 ciphertext bytes are the vector's and one full padding block follows.
const KEY = _h('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
const IV = _h('000102030405060708090a0b0c0d0e0f');
const PT = _h(
  '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
);
const CT = 'f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b';

describe('AES-256-CBC (PKCS#7)', () => {
  for (const sut of _backends) {
    it(`${sut.name}: SP 800-38A F.2.5, then a full padding block; decrypts back`, () => {
      const ct = sut.aes256cbc.encrypt(KEY, IV, PT);
      assert.equal(ct.length, 80);
      assert.equal(_toHex(ct.subarray(0, 64)), CT);
      assert.deepEqual(sut.aes256cbc.decrypt(KEY, IV, ct), PT);
    });

    it(`${sut.name}: every plaintext length 0..33 round-trips with 1..16 bytes of padding`, () => {
      for (let n = 0; n <= 33; n++) {
        const pt = sut.randomBytes(n);
        const ct = sut.aes256cbc.encrypt(KEY, IV, pt);
        assert.equal(ct.length, (Math.floor(n / 16) + 1) * 16);
        assert.deepEqual(sut.aes256cbc.decrypt(KEY, IV, ct), pt);
      }
    });

    it(`${sut.name}: bad padding is CryptoError BAD_PADDING, bad lengths CryptoRangeError`, () => {
      // One block: 5 zero bytes then eleven 0x0b. Changing IV byte 15 changes the last plaintext
      // byte (the padding length) and nothing else, so all 256 values can be tried.
      const ct = sut.aes256cbc.encrypt(KEY, IV, new Uint8Array(5));
      let refused = 0;
      for (let v = 0; v < 256; v++) {
        const iv = IV.slice();
        iv[15] = v;
        const err = _thrown(() => sut.aes256cbc.decrypt(KEY, iv, ct));
        if (err !== undefined) {
          assert.ok(err instanceof CryptoError && err.code === 'BAD_PADDING' && err.field === 'ciphertext', String(err));
          refused++;
        }
      }
      // Only a last byte of 11 (the real padding) or of 1 decodes: 2..10 would need byte 14 to
      // match, 12..16 would need the zero bytes to.
      assert.equal(refused, 254);
      for (const len of [0, 15, 17]) {
        const err = _thrown(() => sut.aes256cbc.decrypt(KEY, IV, new Uint8Array(len)));
        assert.ok(err instanceof CryptoRangeError && err.field === 'ciphertext', `${len}: ${String(err)}`);
      }
      assert.ok(_thrown(() => sut.aes256cbc.encrypt(KEY.subarray(1), IV, PT)) instanceof CryptoRangeError);
      assert.ok(_thrown(() => sut.aes256cbc.encrypt(KEY, IV.subarray(1), PT)) instanceof CryptoRangeError);
    });
  }

  it('backends produce identical ciphertexts and refuse the same paddings', () => {
    const [a, b] = _backends;
    for (let i = 0; i < 32; i++) {
      const [key, iv, pt] = [a!.randomBytes(32), a!.randomBytes(16), a!.randomBytes(i * 5)];
      const ct = a!.aes256cbc.encrypt(key, iv, pt);
      assert.deepEqual(ct, b!.aes256cbc.encrypt(key, iv, pt));
      const junk = a!.randomBytes(32);
      const ea = _thrown(() => a!.aes256cbc.decrypt(key, iv, junk));
      const eb = _thrown(() => b!.aes256cbc.decrypt(key, iv, junk));
      assert.equal(ea === undefined, eb === undefined);
    }
  });
});
