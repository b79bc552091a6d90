/**
 * The portable backend: @noble/* in pure JavaScript, for browsers and as the reference the node
 * backend is checked against. Imports nothing from node:*.
 * @module
 */
import { cbc, gcm } from '@noble/ciphers/aes.js';
import { ed25519 as _ed, x25519 as _x } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { sha3_256, shake256 } from '@noble/hashes/sha3.js';
import { randomBytes as _random } from '@noble/hashes/utils.js';
import { ml_kem1024, ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { _IdentityCache, _wipe } from './_bytes.js';
import { _createBackend, type _BackendCore, type CryptoBackend } from './backend.js';
import type { _MlKemCore, _MlKemParams } from './ml-kem.js';

// noble's one error for a low-order X25519 input (checked before the ladder runs).
const _LOW_ORDER = 'invalid private or public key received';

function _dh(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null {
  try {
    return _x.getSharedSecret(secretKey, publicKey);
  } catch (err) {
    if (err instanceof Error && err.message === _LOW_ORDER) return null;
    throw err;
  }
}

const _P = _ed.Point;
const _L = _P.Fn.ORDER;

function _le(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

/**
 * Cofactorless Ed25519 verification, [S]B = R + [k]A, which is what OpenSSL (and libsodium)
 * check. noble's own verify is cofactored ([8][S]B = [8](R + [k]A)): under a public key with a
 * small-order component it also accepts signatures that OpenSSL refuses (whenever k is not a
 * multiple of 8), and the two backends must agree on every signature.
 */
function _verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const r = signature.subarray(0, 32);
  const s = _le(signature.subarray(32));
  if (s >= _L) return false;
  let A: InstanceType<typeof _P>;
  let R: InstanceType<typeof _P>;
  try {
    // false: RFC 8032 strict decoding (y < p), no ZIP-215 leniency.
    A = _P.fromBytes(publicKey, false);
    R = _P.fromBytes(r, false);
  } catch {
    return false;
  }
  const k = _le(sha512.create().update(r).update(publicKey).update(message).digest()) % _L;
  return _P.BASE.multiplyUnsafe(s).equals(R.add(A.multiplyUnsafe(k)));
}

// Expanding a seed costs a full ML-KEM keygen, as much as a decapsulation: keep it per key array.
const _expanded = { 'ML-KEM-768': new _IdentityCache<Uint8Array>(), 'ML-KEM-1024': new _IdentityCache<Uint8Array>() };

function _mlkem(p: _MlKemParams): _MlKemCore {
  const kem = p.k === 3 ? ml_kem768 : ml_kem1024;
  const cache = _expanded[p.name];
  return {
    publicKey(seed) {
      const { publicKey, secretKey } = kem.keygen(seed);
      cache.set(seed, secretKey);
      return publicKey;
    },
    encapsulate(publicKey) {
      const r = kem.encapsulate(publicKey);
      // noble returns a view into a larger buffer; hand out a standalone copy.
      const sharedSecret = r.sharedSecret.slice();
      _wipe(r.sharedSecret);
      return { ciphertext: r.cipherText, sharedSecret };
    },
    decapsulate(seed, ciphertext) {
      const dk = cache.get(seed, (s) => kem.keygen(s).secretKey);
      return kem.decapsulate(ciphertext, dk).slice();
    },
  };
}

const _core: _BackendCore = {
  name: 'noble',
  x25519: {
    keygen() {
      const secretKey = _random(32);
      return { secretKey, publicKey: _x.getPublicKey(secretKey) };
    },
    getPublicKey: (secretKey) => _x.getPublicKey(secretKey),
    dh: _dh,
    ephemeral(publicKey) {
      const esk = _random(32);
      try {
        return { publicKey: _x.getPublicKey(esk), sharedSecret: _dh(esk, publicKey) };
      } finally {
        _wipe(esk);
      }
    },
  },
  ed25519: {
    keygen() {
      const secretKey = _random(32);
      return { secretKey, publicKey: _ed.getPublicKey(secretKey) };
    },
    getPublicKey: (secretKey) => _ed.getPublicKey(secretKey),
    sign: (secretKey, message) => _ed.sign(message, secretKey),
    verify: _verify,
  },
  aesGcm: {
    encrypt: (key, nonce, plaintext, aad) => gcm(key, nonce, aad).encrypt(plaintext),
    decrypt(key, nonce, ciphertext, aad) {
      try {
        return gcm(key, nonce, aad).decrypt(ciphertext);
      } catch {
        // Lengths were checked before, so the tag is the only thing left to fail.
        return null;
      }
    },
  },
  aesCbc: {
    encrypt: (key, iv, blocks) => cbc(key, iv, { disablePadding: true }).encrypt(blocks),
    decrypt: (key, iv, blocks) => cbc(key, iv, { disablePadding: true }).decrypt(blocks),
  },
  sha2: {
    sha256: (data) => sha256(data),
    sha512: (data) => sha512(data),
    sha256Create() {
      const h = sha256.create();
      return { update: (data) => void h.update(data), digest: () => h.digest() };
    },
  },
  sha3: { sha3_256: (data) => sha3_256(data), shake256_32: (data) => shake256(data, { dkLen: 32 }) },
  hkdf: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
  hmac: (key, data) => hmac(sha256, key, data),
  mlkem: _mlkem,
  randomBytes: (n) => _random(n),
  clearKeyCache() {
    _expanded['ML-KEM-768'].clear();
    _expanded['ML-KEM-1024'].clear();
  },
};

/** Every primitive in portable JavaScript (@noble/*). */
export const nobleBackend: CryptoBackend = _createBackend(_core);
