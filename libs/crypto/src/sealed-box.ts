/**
 * Sealed box: anonymous public-key encryption to an X25519 key; also one onion layer.
 *
 * Byte layout of a box (overhead 48 bytes):
 *
 *     offset  length  field
 *     0       32      epk: ephemeral X25519 public key, fresh per box
 *     32      n       AES-256-GCM ciphertext (n = plaintext length)
 *     32 + n  16      AES-256-GCM tag
 *
 * Key schedule:
 *
 *     ss          = X25519(esk, rpk)      all-zero result rejected (low-order rpk)
 *     okm         = HKDF-SHA256(ikm = ss, salt = empty,
 *                               info = "tacit sealed box v1" || epk || rpk, length = 44)
 *     key, nonce  = okm[0..32], okm[32..44]
 *     ct || tag   = AES-256-GCM(key, nonce, plaintext, aad)
 *
 * `epk` and `rpk` in `info` bind the key to this exchange (a box re-targeted at another recipient,
 * or with its epk swapped, does not open). The nonce may be derived because each key seals one box.
 * The optional `aad` is authenticated, not stored: the opener passes the same bytes.
 * @module
 */
import { _bytes, _bytesMin, _concat, _optBytes, _wipe } from './_bytes.js';
import type { Aes256Gcm } from './aes-gcm.js';
import { CryptoError } from './errors.js';
import type { HkdfSha256 } from './hmac.js';
import type { X25519 } from './x25519.js';

/** Bytes a box adds to its plaintext: 32 (epk) + 16 (tag). */
export const SEALED_BOX_OVERHEAD = 48;

const _INFO = new TextEncoder().encode('tacit sealed box v1');

/** Seal to a recipient's X25519 public key; open with its secret key. */
export interface SealedBox {
  /** A box only the holder of the secret key of `recipientPublicKey` can open. */
  seal(recipientPublicKey: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  /**
   * The plaintext of `box`. Throws `CryptoRangeError` `BAD_LENGTH` (field `box`) for a box shorter
   * than 48 bytes, `CryptoError` `AUTH_FAILED` (field `box`) for a forged or corrupted one.
   */
  open(recipientSecretKey: Uint8Array, box: Uint8Array, aad?: Uint8Array): Uint8Array;
}

/** The primitives a sealed box is built from. */
export interface _SealedBoxDeps {
  readonly x25519: X25519;
  readonly hkdfSha256: HkdfSha256;
  readonly aes256gcm: Aes256Gcm;
}

function _keys(deps: _SealedBoxDeps, ss: Uint8Array, epk: Uint8Array, rpk: Uint8Array): Uint8Array {
  const info = _concat(_INFO, epk, rpk);
  return deps.hkdfSha256(ss, new Uint8Array(0), info, 44);
}

/** Sealed box over the given primitives (one backend). */
export function _sealedBox(deps: _SealedBoxDeps): SealedBox {
  return Object.freeze({
    seal(recipientPublicKey: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
      _bytes('recipientPublicKey', recipientPublicKey, 32);
      _bytes('plaintext', plaintext);
      const ad = _optBytes('aad', aad);
      let e: { publicKey: Uint8Array; sharedSecret: Uint8Array };
      try {
        e = deps.x25519.ephemeral(recipientPublicKey);
      } catch (err) {
        if (err instanceof CryptoError && err.code === 'LOW_ORDER_POINT')
          throw new CryptoError('LOW_ORDER_POINT', 'recipientPublicKey', '"recipientPublicKey" is a low-order point', { cause: err });
        throw err;
      }
      const okm = _keys(deps, e.sharedSecret, e.publicKey, recipientPublicKey);
      try {
        const ct = deps.aes256gcm.encrypt(okm.subarray(0, 32), okm.subarray(32, 44), plaintext, ad);
        return _concat(e.publicKey, ct);
      } finally {
        _wipe(okm, e.sharedSecret);
      }
    },

    open(recipientSecretKey: Uint8Array, box: Uint8Array, aad?: Uint8Array): Uint8Array {
      _bytes('recipientSecretKey', recipientSecretKey, 32);
      _bytesMin('box', box, SEALED_BOX_OVERHEAD);
      const ad = _optBytes('aad', aad);
      const epk = box.subarray(0, 32);
      let ss: Uint8Array;
      try {
        ss = deps.x25519.getSharedSecret(recipientSecretKey, epk);
      } catch (err) {
        // A low-order epk can only come from a forger; report it like any other forgery.
        throw new CryptoError('AUTH_FAILED', 'box', '"box" does not authenticate', { cause: err });
      }
      const rpk = deps.x25519.getPublicKey(recipientSecretKey);
      const okm = _keys(deps, ss, epk, rpk);
      try {
        return deps.aes256gcm.decrypt(okm.subarray(0, 32), okm.subarray(32, 44), box.subarray(32), ad);
      } catch (err) {
        throw new CryptoError('AUTH_FAILED', 'box', '"box" does not authenticate', { cause: err });
      } finally {
        _wipe(okm, ss);
      }
    },
  });
}
