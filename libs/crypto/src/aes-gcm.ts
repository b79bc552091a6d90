/**
 * AES-256-GCM with a 12-byte nonce and a 16-byte tag appended to the ciphertext
 * (`ciphertext || tag`, as WebCrypto and noble lay it out). A nonce must never repeat under one key.
 * @module
 */
import { _bytes, _bytesMin, _optBytes } from './_bytes.js';
import { CryptoError } from './errors.js';

/** AES-256-GCM authenticated encryption. */
export interface Aes256Gcm {
  /** Lengths in bytes. */
  readonly lengths: { readonly key: 32; readonly nonce: 12; readonly tag: 16 };
  /** Encrypts `plaintext`; returns `ciphertext || tag` (plaintext length + 16). */
  encrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  /** Decrypts `ciphertext || tag`; throws `CryptoError` `AUTH_FAILED` (field `tag`) when it does not authenticate. */
  decrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array): Uint8Array;
}

/** Backend part: inputs already checked; `decrypt` returns null when the tag does not match. */
export interface _AesGcmCore {
  encrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  decrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | null;
}

/** Wraps a backend core with the shared input checks. */
export function _aes256gcm(core: _AesGcmCore): Aes256Gcm {
  return Object.freeze({
    lengths: Object.freeze({ key: 32, nonce: 12, tag: 16 } as const),
    encrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
      _bytes('key', key, 32);
      _bytes('nonce', nonce, 12);
      _bytes('plaintext', plaintext);
      return core.encrypt(key, nonce, plaintext, _optBytes('aad', aad));
    },
    decrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array): Uint8Array {
      _bytes('key', key, 32);
      _bytes('nonce', nonce, 12);
      _bytesMin('ciphertext', ciphertext, 16);
      const pt = core.decrypt(key, nonce, ciphertext, _optBytes('aad', aad));
      if (pt === null) throw new CryptoError('AUTH_FAILED', 'tag', '"tag" does not authenticate the ciphertext');
      return pt;
    },
  });
}
