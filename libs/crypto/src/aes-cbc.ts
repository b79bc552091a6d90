/**
 * AES-256-CBC with PKCS#7 padding, the cipher of Signal's message bodies (the Double Ratchet's
 * `WhisperMessageKeys` give a 32-byte key and a 16-byte IV per message). CBC is not authenticated:
 * callers check a MAC over the ciphertext first, as the Signal protocol does.
 *
 * Padding is added and checked here, not by the backends (both run the raw cipher with padding
 * off), so the two backends accept and refuse exactly the same ciphertexts.
 * @module
 */
import { _bytes, _wipe } from './_bytes.js';
import { CryptoError, CryptoRangeError } from './errors.js';

/** AES-256-CBC with PKCS#7 padding. */
export interface Aes256Cbc {
  /** Lengths in bytes. */
  readonly lengths: { readonly key: 32; readonly iv: 16; readonly block: 16 };
  /** Pads and encrypts `plaintext` (any length); the ciphertext is 1..16 bytes longer, a multiple of 16. */
  encrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /**
   * Decrypts and unpads. Throws `CryptoRangeError` `BAD_LENGTH` (field `ciphertext`) unless the
   * length is a non-zero multiple of 16, and `CryptoError` `BAD_PADDING` when the padding is wrong
   * (a wrong key or a forged ciphertext, since a MAC should have been checked before).
   */
  decrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array;
}

/** Backend part: the raw cipher over whole blocks, no padding, inputs already checked. */
export interface _AesCbcCore {
  encrypt(key: Uint8Array, iv: Uint8Array, blocks: Uint8Array): Uint8Array;
  decrypt(key: Uint8Array, iv: Uint8Array, blocks: Uint8Array): Uint8Array;
}

/** Wraps a backend core with the shared input checks and PKCS#7 padding. */
export function _aes256cbc(core: _AesCbcCore): Aes256Cbc {
  return Object.freeze({
    lengths: Object.freeze({ key: 32, iv: 16, block: 16 } as const),
    encrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
      _bytes('key', key, 32);
      _bytes('iv', iv, 16);
      _bytes('plaintext', plaintext);
      const pad = 16 - (plaintext.length % 16);
      const padded = new Uint8Array(plaintext.length + pad);
      padded.set(plaintext);
      padded.fill(pad, plaintext.length);
      try {
        return core.encrypt(key, iv, padded);
      } finally {
        _wipe(padded);
      }
    },
    decrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
      _bytes('key', key, 32);
      _bytes('iv', iv, 16);
      _bytes('ciphertext', ciphertext);
      if (ciphertext.length === 0 || ciphertext.length % 16 !== 0)
        throw new CryptoRangeError(
          'BAD_LENGTH',
          'ciphertext',
          `"ciphertext" expected a non-zero multiple of 16 bytes, got ${ciphertext.length}`,
        );
      const padded = core.decrypt(key, iv, ciphertext);
      // Checked without an early exit on the first bad byte.
      const n = padded[padded.length - 1]!;
      let bad = n === 0 || n > 16 ? 1 : 0;
      for (let i = 1; i <= 16; i++) {
        const inPad = i <= n ? 1 : 0;
        bad |= inPad & (padded[padded.length - i]! !== n ? 1 : 0);
      }
      if (bad !== 0) {
        _wipe(padded);
        throw new CryptoError('BAD_PADDING', 'ciphertext', '"ciphertext" has bad PKCS#7 padding');
      }
      const out = padded.slice(0, padded.length - n);
      _wipe(padded);
      return out;
    },
  });
}
