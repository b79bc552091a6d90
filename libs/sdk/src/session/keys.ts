/**
 * libsignal's serialized key forms: a type byte, then the raw key. Curve25519 public keys are
 * `0x05 || 32 bytes`; KEM public keys and ciphertexts are `0x08 || 1568 bytes` for Kyber-1024
 * (round 3, what every libsignal release uses) or `0x0A || 1568 bytes` for ML-KEM-1024
 * (FIPS 203; compiled out of libsignal's releases, Tacit's default between Tacit clients).
 * Signatures in bundles are over these serialized forms, type byte included.
 * @module
 */
import type { CryptoBackend, MlKem } from '@tacit/crypto';
import { SessionError } from './errors.js';

/** Type byte of a Curve25519 (X25519/XEdDSA) public key. */
export const DJB_KEY_TYPE = 0x05;

/** The post-quantum KEM of a prekey: `kyber1024` speaks with libsignal, `mlkem1024` is FIPS 203. */
export type KemType = 'kyber1024' | 'mlkem1024';

const _KEM_BYTE: Record<KemType, number> = { kyber1024: 0x08, mlkem1024: 0x0a };
const _KEM_LEN = 1568;

/** `0x05 || publicKey`. */
export function serializeCurveKey(publicKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(33);
  out[0] = DJB_KEY_TYPE;
  out.set(publicKey, 1);
  return out;
}

/** The 32-byte key of `0x05 || key`; `SessionError` `BAD_KEY` naming `field` otherwise. */
export function parseCurveKey(bytes: Uint8Array, field: string): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new SessionError('BAD_KEY', field, `"${field}" expected Uint8Array`);
  if (bytes.length !== 33)
    throw new SessionError('BAD_KEY', field, `"${field}" expected 33 bytes (0x05 + 32), got ${bytes.length}`);
  if (bytes[0] !== DJB_KEY_TYPE)
    throw new SessionError('BAD_KEY', field, `"${field}" expected key type 0x05, got 0x${bytes[0]!.toString(16).padStart(2, '0')}`);
  return bytes.slice(1);
}

/** `type byte || key` for a KEM public key or ciphertext. */
export function serializeKem(type: KemType, raw: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + raw.length);
  out[0] = _KEM_BYTE[type];
  out.set(raw, 1);
  return out;
}

/** The KEM type and raw bytes of a serialized KEM public key or ciphertext (both 1 + 1568 bytes). */
export function parseKem(bytes: Uint8Array, field: string): { type: KemType; raw: Uint8Array } {
  if (!(bytes instanceof Uint8Array)) throw new SessionError('BAD_KEY', field, `"${field}" expected Uint8Array`);
  const type = bytes[0] === 0x08 ? 'kyber1024' : bytes[0] === 0x0a ? 'mlkem1024' : undefined;
  if (type === undefined)
    throw new SessionError(
      'BAD_KEY',
      field,
      `"${field}" expected KEM type 0x08 (Kyber-1024) or 0x0a (ML-KEM-1024), got ${bytes.length === 0 ? 'nothing' : `0x${bytes[0]!.toString(16).padStart(2, '0')}`}`,
    );
  if (bytes.length !== 1 + _KEM_LEN)
    throw new SessionError('BAD_KEY', field, `"${field}" expected ${1 + _KEM_LEN} bytes (type + ${_KEM_LEN}), got ${bytes.length}`);
  return { type, raw: bytes.slice(1) };
}

/** The backend's KEM for a type. */
export function _kem(backend: CryptoBackend, type: KemType): MlKem {
  return type === 'kyber1024' ? backend.kyber1024 : backend.mlkem1024;
}

/**
 * True when a Curve25519 public key is in canonical form (below p = 2^255 - 19, high bit clear),
 * which libsignal requires of an incoming base key.
 */
export function _isCanonicalU(u: Uint8Array): boolean {
  if ((u[31]! & 0x80) !== 0) return false;
  if (u[31] !== 0x7f || u[0]! < 0xed) return true;
  for (let i = 1; i < 31; i++) if (u[i] !== 0xff) return true;
  return false;
}
