/**
 * ML-KEM-768 and ML-KEM-1024 (FIPS 203). The secret key is the 64-byte seed `d || z` that
 * FIPS 203 §7.1 lets implementations store in place of the expanded 2400/3168-byte key: it is
 * smaller, and a stored seed cannot be an ill-formed decapsulation key.
 * @module
 */
import { _bytes } from './_bytes.js';
import { CryptoError } from './errors.js';
import type { KeyPair } from './x25519.js';

/** One ML-KEM parameter set (or Kyber-1024, its round-3 predecessor: `src/kyber.ts`). */
export interface MlKem {
  /** FIPS 203 name of the parameter set, or `Kyber-1024`. */
  readonly name: 'ML-KEM-768' | 'ML-KEM-1024' | 'Kyber-1024';
  /** Lengths in bytes; `secretKey` is the seed. */
  readonly lengths: {
    readonly seed: 64;
    readonly secretKey: 64;
    readonly publicKey: number;
    readonly ciphertext: number;
    readonly sharedSecret: 32;
  };
  /** A key pair from a 64-byte `seed` (`d || z`, deterministic, for vectors) or fresh randomness. */
  keygen(seed?: Uint8Array): KeyPair;
  /** The encapsulation (public) key of a 64-byte secret seed. */
  getPublicKey(secretKey: Uint8Array): Uint8Array;
  /**
   * A fresh shared secret and its ciphertext for `publicKey`; throws `CryptoError` `INVALID_KEY`
   * when the key fails the FIPS 203 §7.2 modulus check.
   */
  encapsulate(publicKey: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array };
  /**
   * The shared secret of `ciphertext`. A forged ciphertext of the right length yields an
   * unrelated pseudorandom secret (implicit rejection), not an error.
   */
  decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array;
}

/** Backend part: inputs already checked (lengths, modulus). */
export interface _MlKemCore {
  publicKey(seed: Uint8Array): Uint8Array;
  encapsulate(publicKey: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array };
  decapsulate(seed: Uint8Array, ciphertext: Uint8Array): Uint8Array;
}

/** Parameters that the wrapper and both cores need. */
export interface _MlKemParams {
  readonly name: 'ML-KEM-768' | 'ML-KEM-1024';
  readonly k: 3 | 4;
  readonly publicKey: number;
  readonly ciphertext: number;
}

/** ML-KEM-768 parameters. */
export const _MLKEM768: _MlKemParams = { name: 'ML-KEM-768', k: 3, publicKey: 1184, ciphertext: 1088 };
/** ML-KEM-1024 parameters. */
export const _MLKEM1024: _MlKemParams = { name: 'ML-KEM-1024', k: 4, publicKey: 1568, ciphertext: 1568 };

const _Q = 3329;

/**
 * FIPS 203 §7.2 modulus check: every 12-bit coefficient of `t` is below q. Done here rather than
 * left to the backends because @noble/post-quantum 0.5.4 decodes without reducing mod q, so its
 * own re-encode comparison never fails; OpenSSL does check, and both must agree.
 */
export function _modulusOk(publicKey: Uint8Array, k: number): boolean {
  const end = 384 * k;
  for (let i = 0; i < end; i += 3) {
    const b0 = publicKey[i]!;
    const b1 = publicKey[i + 1]!;
    const b2 = publicKey[i + 2]!;
    if ((b0 | ((b1 & 0x0f) << 8)) >= _Q || ((b1 >> 4) | (b2 << 4)) >= _Q) return false;
  }
  return true;
}

/** Wraps a backend core with the shared input checks. */
export function _mlkem(p: _MlKemParams, core: _MlKemCore, random: (n: number) => Uint8Array): MlKem {
  return Object.freeze({
    name: p.name,
    lengths: Object.freeze({ seed: 64, secretKey: 64, publicKey: p.publicKey, ciphertext: p.ciphertext, sharedSecret: 32 } as const),
    keygen(seed?: Uint8Array): KeyPair {
      let secretKey: Uint8Array;
      if (seed === undefined) secretKey = random(64);
      else {
        _bytes('seed', seed, 64);
        // A copy: the caller may wipe its seed, and the returned key is ours to cache by identity.
        secretKey = Uint8Array.from(seed);
      }
      return { secretKey, publicKey: core.publicKey(secretKey) };
    },
    getPublicKey(secretKey: Uint8Array): Uint8Array {
      _bytes('secretKey', secretKey, 64);
      return core.publicKey(secretKey);
    },
    encapsulate(publicKey: Uint8Array) {
      _bytes('publicKey', publicKey, p.publicKey);
      if (!_modulusOk(publicKey, p.k))
        throw new CryptoError('INVALID_KEY', 'publicKey', `"publicKey" has a coefficient not below q=${_Q} (FIPS 203 modulus check)`);
      return core.encapsulate(publicKey);
    },
    decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
      _bytes('secretKey', secretKey, 64);
      _bytes('ciphertext', ciphertext, p.ciphertext);
      return core.decapsulate(secretKey, ciphertext);
    },
  });
}

