import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { _backends, _thrown, _toHex } from './_vectors.js';
import { CryptoError, CryptoRangeError } from './errors.js';

// Kyber-1024 (round 3) is checked bit for bit against libsignal through whole PQXDH sessions in
// libs/sdk (session-libsignal.spec.ts): libsignal encapsulates to our keys and decapsulates ours.
// Here: the construction, and that both backends agree.
const kdf = (kbar: Uint8Array, ct: Uint8Array) =>
  new Uint8Array(createHash('shake256', { outputLength: 32 }).update(kbar).update(createHash('sha3-256').update(ct).digest()).digest());

describe('Kyber-1024 (round 3)', () => {
  for (const sut of _backends) {
    it(`${sut.name}: round trip; K = SHAKE-256(ML-KEM K || SHA3-256(c)) for the same key and ciphertext`, () => {
      const kp = sut.kyber1024.keygen();
      assert.equal(sut.kyber1024.name, 'Kyber-1024');
      assert.equal(kp.publicKey.length, 1568);
      const e = sut.kyber1024.encapsulate(kp.publicKey);
      assert.equal(e.ciphertext.length, 1568);
      assert.deepEqual(sut.kyber1024.decapsulate(kp.secretKey, e.ciphertext), e.sharedSecret);
      assert.deepEqual(e.sharedSecret, kdf(sut.mlkem1024.decapsulate(kp.secretKey, e.ciphertext), e.ciphertext));
      assert.notDeepEqual(e.sharedSecret, sut.mlkem1024.decapsulate(kp.secretKey, e.ciphertext));
    });

    it(`${sut.name}: a forged ciphertext gives an unrelated secret; bad lengths and keys are typed errors`, () => {
      const kp = sut.kyber1024.keygen();
      const e = sut.kyber1024.encapsulate(kp.publicKey);
      const forged = e.ciphertext.slice();
      forged[100]! ^= 1;
      assert.notDeepEqual(sut.kyber1024.decapsulate(kp.secretKey, forged), e.sharedSecret);
      assert.ok(_thrown(() => sut.kyber1024.encapsulate(kp.publicKey.subarray(1))) instanceof CryptoRangeError);
      assert.ok(_thrown(() => sut.kyber1024.decapsulate(kp.secretKey, forged.subarray(1))) instanceof CryptoRangeError);
      const badKey = kp.publicKey.slice();
      badKey[0] = 0xff;
      badKey[1]! |= 0x0f;
      const err = _thrown(() => sut.kyber1024.encapsulate(badKey));
      assert.ok(err instanceof CryptoError && err.code === 'INVALID_KEY', String(err));
    });
  }

  it('backends agree: same keys from a seed, cross decapsulation, same rejection secret', () => {
    const [a, b] = _backends;
    for (let i = 0; i < 3; i++) {
      const seed = a!.randomBytes(64);
      const ka = a!.kyber1024.keygen(seed);
      assert.equal(_toHex(ka.publicKey), _toHex(b!.kyber1024.keygen(seed).publicKey));
      const e = a!.kyber1024.encapsulate(ka.publicKey);
      assert.deepEqual(b!.kyber1024.decapsulate(seed, e.ciphertext), e.sharedSecret);
      const forged = a!.randomBytes(1568);
      assert.deepEqual(a!.kyber1024.decapsulate(seed, forged), b!.kyber1024.decapsulate(seed, forged));
    }
  });
});
