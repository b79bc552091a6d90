/**
 * A backend is one implementation of every primitive: `nodeBackend` (node:crypto, native) or
 * `nobleBackend` (@noble/*, portable). Both sit behind the same input checks, so they accept and
 * reject the same inputs with the same errors and return identical bytes.
 * @module
 */
import { _aes256gcm, type _AesGcmCore, type Aes256Gcm } from './aes-gcm.js';
import { _ed25519, type _Ed25519Core, type Ed25519 } from './ed25519.js';
import {
  _hkdfSha256,
  _hmacSha256,
  type HkdfSha256,
  type HmacSha256,
  type HmacSha256Verify,
} from './hmac.js';
import { _MLKEM1024, _MLKEM768, _mlkem, type _MlKemCore, type _MlKemParams, type MlKem } from './ml-kem.js';
import { _sealedBox, type SealedBox } from './sealed-box.js';
import { _x25519, type _X25519Core, type X25519 } from './x25519.js';
import { _int } from './_bytes.js';

/** Every primitive of one implementation, with raw Uint8Array keys. */
export interface CryptoBackend {
  /** `node` or `noble`. */
  readonly name: string;
  readonly x25519: X25519;
  readonly ed25519: Ed25519;
  readonly aes256gcm: Aes256Gcm;
  readonly hkdfSha256: HkdfSha256;
  readonly hmacSha256: HmacSha256;
  readonly hmacSha256Verify: HmacSha256Verify;
  readonly mlkem768: MlKem;
  readonly mlkem1024: MlKem;
  readonly sealedBox: SealedBox;
  /** `n` bytes from the platform CSPRNG (n up to 65536). */
  randomBytes(n: number): Uint8Array;
  /**
   * Drops cached imported keys. Entries otherwise live as long as the caller's key arrays; call
   * this after wiping a long-lived secret key so no copy of it stays reachable here.
   */
  clearKeyCache(): void;
}

/** What a backend implements; `_createBackend` adds the checks. */
export interface _BackendCore {
  readonly name: string;
  readonly x25519: _X25519Core;
  readonly ed25519: _Ed25519Core;
  readonly aesGcm: _AesGcmCore;
  readonly hkdf: HkdfSha256;
  readonly hmac: HmacSha256;
  readonly mlkem: (p: _MlKemParams) => _MlKemCore;
  readonly randomBytes: (n: number) => Uint8Array;
  readonly clearKeyCache: () => void;
}

/** Builds the checked, frozen backend around a core. */
export function _createBackend(core: _BackendCore): CryptoBackend {
  const x25519 = _x25519(core.x25519);
  const hkdfSha256 = _hkdfSha256(core.hkdf);
  const aes256gcm = _aes256gcm(core.aesGcm);
  const { hmacSha256, hmacSha256Verify } = _hmacSha256(core.hmac);
  return Object.freeze({
    name: core.name,
    x25519,
    ed25519: _ed25519(core.ed25519),
    aes256gcm,
    hkdfSha256,
    hmacSha256,
    hmacSha256Verify,
    mlkem768: _mlkem(_MLKEM768, core.mlkem(_MLKEM768), core.randomBytes),
    mlkem1024: _mlkem(_MLKEM1024, core.mlkem(_MLKEM1024), core.randomBytes),
    sealedBox: _sealedBox({ x25519, hkdfSha256, aes256gcm }),
    randomBytes(n: number): Uint8Array {
      _int('n', n, 0, 65536);
      return core.randomBytes(n);
    },
    clearKeyCache: core.clearKeyCache,
  });
}
