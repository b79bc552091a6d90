/**
 * X25519 Diffie-Hellman (RFC 7748). Keys are raw 32-byte arrays. Public keys on the twist and
 * non-canonical encodings are accepted as RFC 7748 §5 defines them; a public key of low order is
 * rejected because it makes the shared secret all-zero (RFC 7748 §6.1).
 * @module
 */
import { _bytes, _isZero, _wipe } from './_bytes.js';
import { CryptoError } from './errors.js';

/** A secret key and its public key. */
export interface KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** X25519 key agreement. */
export interface X25519 {
  /** Lengths in bytes. */
  readonly lengths: { readonly secretKey: 32; readonly publicKey: 32; readonly sharedSecret: 32 };
  /** A fresh random key pair. */
  keygen(): KeyPair;
  /** The public key of a 32-byte secret key (any 32 bytes: clamping is part of X25519). */
  getPublicKey(secretKey: Uint8Array): Uint8Array;
  /** The 32-byte shared secret; throws `CryptoError` `LOW_ORDER_POINT` for a low-order `publicKey`. */
  getSharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** One-shot ephemeral exchange with `publicKey`: the ephemeral public key and the shared secret. */
  ephemeral(publicKey: Uint8Array): { publicKey: Uint8Array; sharedSecret: Uint8Array };
}

/** Backend part: raw operations, inputs already checked; `dh` returns null for an all-zero result. */
export interface _X25519Core {
  keygen(): KeyPair;
  getPublicKey(secretKey: Uint8Array): Uint8Array;
  dh(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null;
  ephemeral(publicKey: Uint8Array): { publicKey: Uint8Array; sharedSecret: Uint8Array | null };
}

function _lowOrder(field: string): CryptoError {
  return new CryptoError('LOW_ORDER_POINT', field, `"${field}" is a low-order point (all-zero shared secret)`);
}

// Checks the result again even when the backend does: a core that forgot would otherwise hand out
// the all-zero key.
function _checked(shared: Uint8Array | null, field: string): Uint8Array {
  if (shared === null) throw _lowOrder(field);
  if (_isZero(shared)) {
    _wipe(shared);
    throw _lowOrder(field);
  }
  return shared;
}

/** Wraps a backend core with the shared input checks and low-order rejection. */
export function _x25519(core: _X25519Core): X25519 {
  return Object.freeze({
    lengths: Object.freeze({ secretKey: 32, publicKey: 32, sharedSecret: 32 } as const),
    keygen: () => core.keygen(),
    getPublicKey(secretKey: Uint8Array): Uint8Array {
      _bytes('secretKey', secretKey, 32);
      return core.getPublicKey(secretKey);
    },
    getSharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
      _bytes('secretKey', secretKey, 32);
      _bytes('publicKey', publicKey, 32);
      return _checked(core.dh(secretKey, publicKey), 'publicKey');
    },
    ephemeral(publicKey: Uint8Array) {
      _bytes('publicKey', publicKey, 32);
      const r = core.ephemeral(publicKey);
      return { publicKey: r.publicKey, sharedSecret: _checked(r.sharedSecret, 'publicKey') };
    },
  });
}
