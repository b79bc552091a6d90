/**
 * Kyber-1024 as submitted to NIST's third round (CRYSTALS-Kyber v3.02), the KEM behind
 * libsignal's PQXDH prekeys (key type 0x08). libsignal ships it rather than FIPS 203 ML-KEM-1024
 * (type 0x0A, compiled out of its releases), so a session with any Signal client needs it.
 *
 * Both share K-PKE, the key layout and all lengths; only the Fujisaki-Okamoto wrapping differs.
 * Kyber hashes its random message first (m = H(m0)) and returns K = KDF(K̄ || H(c)) where ML-KEM
 * returns K̄ itself. With m0 uniform, H(m0) is uniform too, so ML-KEM.Encaps is Kyber's with that
 * step already taken, and here:
 *
 *     encapsulate(ek):     (c, K̄) = ML-KEM-1024.Encaps(ek);     K = SHAKE-256(K̄ || SHA3-256(c), 32)
 *     decapsulate(dk, c):  K̄ = ML-KEM-1024.Decaps(dk, c);       K = SHAKE-256(K̄ || SHA3-256(c), 32)
 *
 * For a valid ciphertext this is Kyber's output bit for bit. For a forged one both return an
 * unrelated pseudorandom secret, but not the same one (Kyber's rejection secret is
 * KDF(z || H(c)), ML-KEM's J(z || c) goes through the KDF here): implicit rejection still holds,
 * and no honest peer can tell. Keys are ML-KEM-1024 key pairs from a 64-byte seed `d || z`; every
 * ML-KEM key pair is a Kyber key pair (the seed expansion differs, which only matters for vectors
 * that start from a seed).
 * @module
 */
import { _concat, _wipe } from './_bytes.js';
import type { MlKem } from './ml-kem.js';

/** Backend part: SHA3-256 and SHAKE-256 (32-byte output), inputs already checked. */
export interface _Sha3Core {
  sha3_256(data: Uint8Array): Uint8Array;
  shake256_32(data: Uint8Array): Uint8Array;
}

/** Kyber-1024 (round 3) over one backend's ML-KEM-1024 and SHA-3. */
export function _kyber1024(mlkem1024: MlKem, sha3: _Sha3Core): MlKem {
  const kdf = (kbar: Uint8Array, ciphertext: Uint8Array): Uint8Array => {
    const input = _concat(kbar, sha3.sha3_256(ciphertext));
    try {
      return sha3.shake256_32(input);
    } finally {
      _wipe(input, kbar);
    }
  };
  return Object.freeze({
    name: 'Kyber-1024',
    lengths: mlkem1024.lengths,
    keygen: (seed?: Uint8Array) => mlkem1024.keygen(seed),
    getPublicKey: (secretKey: Uint8Array) => mlkem1024.getPublicKey(secretKey),
    encapsulate(publicKey: Uint8Array) {
      const { ciphertext, sharedSecret } = mlkem1024.encapsulate(publicKey);
      return { ciphertext, sharedSecret: kdf(sharedSecret, ciphertext) };
    },
    decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
      return kdf(mlkem1024.decapsulate(secretKey, ciphertext), ciphertext);
    },
  } as const);
}
