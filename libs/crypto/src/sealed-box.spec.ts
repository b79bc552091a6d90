import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { _backends, _thrown } from './_vectors.js';
import { CryptoError, CryptoRangeError } from './errors.js';
import { SEALED_BOX_OVERHEAD } from './sealed-box.js';

const utf8 = new TextEncoder();

function expectAuthFailed(fn: () => unknown, why: string): void {
  const err = _thrown(fn);
  assert.ok(err instanceof CryptoError, `${why}: expected CryptoError, got ${String(err ?? 'opened')}`);
  assert.equal((err as CryptoError).code, 'AUTH_FAILED', why);
  assert.equal((err as CryptoError).field, 'box', why);
}

describe('sealed box', () => {
  for (const sut of _backends) {
    const { seal, open } = sut.sealedBox;

    describe(sut.name, () => {
      it('round trip: empty, short and 64 KiB plaintexts, with and without aad', () => {
        const r = sut.x25519.keygen();
        for (const pt of [new Uint8Array(0), utf8.encode('hello'), sut.randomBytes(65536)]) {
          const box = seal(r.publicKey, pt);
          assert.equal(box.length, pt.length + SEALED_BOX_OVERHEAD);
          assert.deepEqual(open(r.secretKey, box), pt);
          const aad = utf8.encode('header');
          assert.deepEqual(open(r.secretKey, seal(r.publicKey, pt, aad), aad), pt);
        }
      });

      it('follows the documented layout and key schedule', () => {
        const r = sut.x25519.keygen();
        const pt = utf8.encode('layout');
        const aad = utf8.encode('aad');
        const box = seal(r.publicKey, pt, aad);
        const epk = box.subarray(0, 32);
        const ss = sut.x25519.getSharedSecret(r.secretKey, epk);
        const info = new Uint8Array([...utf8.encode('tacit sealed box v1'), ...epk, ...r.publicKey]);
        const okm = sut.hkdfSha256(ss, new Uint8Array(0), info, 44);
        assert.deepEqual(sut.aes256gcm.decrypt(okm.subarray(0, 32), okm.subarray(32), box.subarray(32), aad), pt);
      });

      it('each box is fresh: same input, different ephemeral key and ciphertext', () => {
        const r = sut.x25519.keygen();
        const a = seal(r.publicKey, utf8.encode('same'));
        const b = seal(r.publicKey, utf8.encode('same'));
        assert.notDeepEqual(a.subarray(0, 32), b.subarray(0, 32));
        assert.notDeepEqual(a.subarray(32), b.subarray(32));
      });

      it('refuses any single flipped bit, in every byte', () => {
        const r = sut.x25519.keygen();
        const box = seal(r.publicKey, utf8.encode('tamper me'));
        for (let i = 0; i < box.length; i++) {
          const bad = box.slice();
          bad[i]! ^= 1 << i % 8;
          expectAuthFailed(() => open(r.secretKey, bad), `byte ${i}`);
        }
      });

      it('refuses a wrong recipient, wrong or missing aad, swapped epk, low-order epk', () => {
        const r = sut.x25519.keygen();
        const other = sut.x25519.keygen();
        const aad = utf8.encode('ctx');
        const box = seal(r.publicKey, utf8.encode('secret'), aad);
        expectAuthFailed(() => open(other.secretKey, box, aad), 'wrong recipient');
        expectAuthFailed(() => open(r.secretKey, box), 'missing aad');
        expectAuthFailed(() => open(r.secretKey, box, utf8.encode('ctX')), 'wrong aad');
        const swapped = box.slice();
        swapped.set(other.publicKey, 0);
        expectAuthFailed(() => open(r.secretKey, swapped, aad), 'swapped epk');
        const lowOrder = box.slice();
        lowOrder.fill(0, 0, 32);
        expectAuthFailed(() => open(r.secretKey, lowOrder, aad), 'low-order epk');
      });

      it('refuses truncated boxes with BAD_LENGTH, and truncation past the header with AUTH_FAILED', () => {
        const r = sut.x25519.keygen();
        const box = seal(r.publicKey, utf8.encode('truncate'));
        for (let n = 0; n < SEALED_BOX_OVERHEAD; n++) {
          const err = _thrown(() => open(r.secretKey, box.subarray(0, n)));
          assert.ok(err instanceof CryptoRangeError, `length ${n}`);
          assert.equal((err as CryptoRangeError).field, 'box');
          assert.equal((err as CryptoRangeError).message, `"box" expected at least 48 bytes, got ${n}`);
        }
        for (let n = SEALED_BOX_OVERHEAD; n < box.length; n++) expectAuthFailed(() => open(r.secretKey, box.subarray(0, n)), `length ${n}`);
      });

      it('refuses to seal to a low-order public key', () => {
        const err = _thrown(() => seal(new Uint8Array(32), utf8.encode('x')));
        assert.ok(err instanceof CryptoError);
        assert.equal((err as CryptoError).code, 'LOW_ORDER_POINT');
        assert.equal((err as CryptoError).field, 'recipientPublicKey');
      });
    });
  }

  it('boxes sealed by one backend open with the other', () => {
    for (const a of _backends)
      for (const b of _backends) {
        const r = a.x25519.keygen();
        const pt = a.randomBytes(100);
        assert.deepEqual(b.sealedBox.open(r.secretKey, a.sealedBox.seal(r.publicKey, pt, pt.subarray(0, 7)), pt.subarray(0, 7)), pt);
      }
  });
});
