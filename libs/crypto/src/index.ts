/**
 * @tacit/crypto: thin wrappers over audited primitives. This entry (Node) runs everything on
 * node:crypto except BLAKE3; `@tacit/crypto` under the `browser` condition (or
 * `@tacit/crypto/portable`) gives the same API on @noble/*. Both backends are exported for tests
 * and benchmarks.
 * @module
 */
import { nodeBackend as _b } from './node.js';

export * from './errors.js';
export * from './blake3.js';
export type { CryptoBackend } from './backend.js';
export type { X25519, KeyPair } from './x25519.js';
export type { Ed25519 } from './ed25519.js';
export type { Aes256Gcm } from './aes-gcm.js';
export type { Aes256Cbc } from './aes-cbc.js';
export type { XEdDSA } from './xeddsa.js';
export type { HashStream, Sha256, Sha512 } from './sha2.js';
export type { MlKem } from './ml-kem.js';
export type { HkdfSha256, HmacSha256, HmacSha256Verify } from './hmac.js';
export { HKDF_SHA256_MAX_INFO, HKDF_SHA256_MAX_LENGTH } from './hmac.js';
export { SEALED_BOX_OVERHEAD, type SealedBox } from './sealed-box.js';
export { nodeBackend } from './node.js';
export { nobleBackend } from './noble.js';

/** The backend behind the functions below: `nodeBackend` here, `nobleBackend` in the portable build. */
export const defaultBackend = _b;
/** X25519 key agreement (keygen, getPublicKey, getSharedSecret, ephemeral). */
export const x25519 = _b.x25519;
/** Ed25519 signatures (keygen, getPublicKey, sign, verify). */
export const ed25519 = _b.ed25519;
/** XEdDSA signatures with X25519 keys, libsignal's variant (sign, verify). */
export const xeddsa = _b.xeddsa;
/** AES-256-CBC with PKCS#7 padding (encrypt, decrypt); authenticate the ciphertext separately. */
export const aes256cbc = _b.aes256cbc;
/** SHA-256(data); `sha256.create()` for an incremental hash. */
export const sha256 = _b.sha256;
/** SHA-512(data). */
export const sha512 = _b.sha512;
/** AES-256-GCM with 12-byte nonces and 16-byte tags (encrypt, decrypt). */
export const aes256gcm = _b.aes256gcm;
/** HKDF-SHA256(ikm, salt, info, length). */
export const hkdfSha256 = _b.hkdfSha256;
/** HMAC-SHA256(key, data). */
export const hmacSha256 = _b.hmacSha256;
/** Constant-time check of a 32-byte HMAC-SHA256 tag. */
export const hmacSha256Verify = _b.hmacSha256Verify;
/** ML-KEM-768 (keygen, getPublicKey, encapsulate, decapsulate); secret keys are 64-byte seeds. */
export const mlkem768 = _b.mlkem768;
/** ML-KEM-1024 (keygen, getPublicKey, encapsulate, decapsulate); secret keys are 64-byte seeds. */
export const mlkem1024 = _b.mlkem1024;
/** Kyber-1024 (NIST round 3), libsignal's PQXDH KEM; same API and keys as mlkem1024. */
export const kyber1024 = _b.kyber1024;
/** Sealed box to an X25519 public key: `seal(recipientPublicKey, plaintext, aad?)`. */
export const seal = _b.sealedBox.seal;
/** Opens a sealed box: `open(recipientSecretKey, box, aad?)`. */
export const open = _b.sealedBox.open;
/** `n` bytes from the CSPRNG. */
export const randomBytes = _b.randomBytes;
/** Drops cached imported keys (see `CryptoBackend.clearKeyCache`). */
export const clearKeyCache = _b.clearKeyCache;
