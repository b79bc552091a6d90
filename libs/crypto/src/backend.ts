/**
 * A backend is one implementation of every primitive: `nodeBackend` (node:crypto, native) or
 * `nobleBackend` (@noble/*, portable). Both sit behind the same input checks, so they accept and
 * reject the same inputs with the same errors and return identical bytes.
 * @module
 */
import { _aes256cbc, type _AesCbcCore, type Aes256Cbc } from './aes-cbc.js';
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
import { _kyber1024, type _Sha3Core } from './kyber.js';
import { _sealedBox, type SealedBox } from './sealed-box.js';
import { _sha2, type _Sha2Core, type Sha256, type Sha512 } from './sha2.js';
import { _xeddsa, type XEdDSA } from './xeddsa.js';
import { _x25519, type _X25519Core, type X25519 } from './x25519.js';
import { _int } from './_bytes.js';

/** Every primitive of one implementation, with raw Uint8Array keys. */
export interface CryptoBackend {
  /** `node` or `noble`. */
  readonly name: string;
  readonly x25519: X25519;
  readonly ed25519: Ed25519;
  /** XEdDSA signatures with X25519 keys (libsignal's variant). */
  readonly xeddsa: XEdDSA;
  readonly aes256gcm: Aes256Gcm;
  /** AES-256-CBC with PKCS#7 padding (Signal message bodies; unauthenticated on its own). */
  readonly aes256cbc: Aes256Cbc;
  readonly sha256: Sha256;
  readonly sha512: Sha512;
  readonly hkdfSha256: HkdfSha256;
  readonly hmacSha256: HmacSha256;
  readonly hmacSha256Verify: HmacSha256Verify;
  readonly mlkem768: MlKem;
  readonly mlkem1024: MlKem;
  /** Kyber-1024 (NIST round 3), libsignal's PQXDH KEM: ML-KEM-1024 with round 3's key derivation. */
  readonly kyber1024: MlKem;
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
  readonly aesCbc: _AesCbcCore;
  readonly sha2: _Sha2Core;
  readonly sha3: _Sha3Core;
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
  const { sha256, sha512 } = _sha2(core.sha2);
  const ed25519 = _ed25519(core.ed25519);
  const randomBytes = (n: number): Uint8Array => {
    _int('n', n, 0, 65536);
    return core.randomBytes(n);
  };
  const mlkem1024 = _mlkem(_MLKEM1024, core.mlkem(_MLKEM1024), core.randomBytes);
  return Object.freeze({
    name: core.name,
    x25519,
    ed25519,
    xeddsa: _xeddsa({ ed25519, sha512, randomBytes: core.randomBytes }),
    aes256gcm,
    aes256cbc: _aes256cbc(core.aesCbc),
    sha256,
    sha512,
    hkdfSha256,
    hmacSha256,
    hmacSha256Verify,
    mlkem768: _mlkem(_MLKEM768, core.mlkem(_MLKEM768), core.randomBytes),
    mlkem1024,
    kyber1024: _kyber1024(mlkem1024, core.sha3),
    sealedBox: _sealedBox({ x25519, hkdfSha256, aes256gcm }),
    randomBytes,
    clearKeyCache: core.clearKeyCache,
  });
}
