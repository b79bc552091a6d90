/**
 * Ed25519 signatures (RFC 8032, pure, no context). Secret keys are 32-byte seeds. Verification is
 * the same in both backends, and stricter than RFC 8032 requires, like libsodium's:
 * - canonical S (< L) and canonical encodings of A and R (y < p), no ZIP-215 leniency;
 * - A and R must not be small-order points: OpenSSL alone accepts `R = identity, S = 0` for every
 *   message under a small-order key, so anyone picking such a key could "sign" anything;
 * - the cofactorless equation [S]B = R + [k]A (OpenSSL's; the noble backend checks it itself,
 *   since noble's verify is cofactored and accepts more under keys with a small-order part).
 * @module
 */
import { _bytes, _hex } from './_bytes.js';
import type { KeyPair } from './x25519.js';

/** Ed25519 signing and verification. */
export interface Ed25519 {
  /** Lengths in bytes. */
  readonly lengths: { readonly secretKey: 32; readonly publicKey: 32; readonly signature: 64 };
  /** A fresh random key pair. */
  keygen(): KeyPair;
  /** The public key of a 32-byte secret seed. */
  getPublicKey(secretKey: Uint8Array): Uint8Array;
  /** The 64-byte signature of `message`. */
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array;
  /**
   * True when `signature` is valid for `message` under `publicKey`; false for any bad signature,
   * or a public key that is not a point or is small-order. Throws `CryptoRangeError` for wrong lengths.
   */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** Backend part: raw operations, inputs already checked. */
export interface _Ed25519Core {
  keygen(): KeyPair;
  getPublicKey(secretKey: Uint8Array): Uint8Array;
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

// The eight points of order dividing 8, as y-coordinates (sign bit of x cleared); each is
// listed once per y, so both signs of x are covered by the masking below.
const _SMALL_ORDER_Y = [
  '0000000000000000000000000000000000000000000000000000000000000000', // order 4
  '0100000000000000000000000000000000000000000000000000000000000000', // identity
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // order 2 (y = p - 1)
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8
].map(_hex);

/** True when a 32-byte point encoding is non-canonical (y >= p) or a small-order point. */
export function _weakPoint(enc: Uint8Array): boolean {
  const top = enc[31]! & 0x7f;
  // y >= p = 2^255 - 19: top byte 0x7f, bytes 30..1 all 0xff, byte 0 >= 0xed.
  let allFF = top === 0x7f;
  for (let i = 1; i < 31 && allFF; i++) allFF = enc[i] === 0xff;
  if (allFF && enc[0]! >= 0xed) return true;
  return _SMALL_ORDER_Y.some((y) => {
    for (let i = 0; i < 31; i++) if (y[i] !== enc[i]) return false;
    return y[31] === top;
  });
}

/** Wraps a backend core with the shared input checks. */
export function _ed25519(core: _Ed25519Core): Ed25519 {
  return Object.freeze({
    lengths: Object.freeze({ secretKey: 32, publicKey: 32, signature: 64 } as const),
    keygen: () => core.keygen(),
    getPublicKey(secretKey: Uint8Array): Uint8Array {
      _bytes('secretKey', secretKey, 32);
      return core.getPublicKey(secretKey);
    },
    sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
      _bytes('secretKey', secretKey, 32);
      _bytes('message', message);
      return core.sign(secretKey, message);
    },
    verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      _bytes('publicKey', publicKey, 32);
      _bytes('message', message);
      _bytes('signature', signature, 64);
      if (_weakPoint(publicKey) || _weakPoint(signature.subarray(0, 32))) return false;
      return core.verify(publicKey, message, signature);
    },
  });
}
