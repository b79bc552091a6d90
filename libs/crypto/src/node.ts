/**
 * The native backend: node:crypto (OpenSSL 3.5 in Node 24) for X25519, Ed25519, AES-256-GCM,
 * HKDF, HMAC and ML-KEM. Raw keys are imported as KeyObjects through fixed DER prefixes; an
 * import costs more than the operation itself, so KeyObjects are cached (secret keys by array
 * identity, public keys by content in a bounded LRU).
 * @module
 */
import * as nc from 'node:crypto';
import { _concat, _hex, _IdentityCache, _Lru, _wipe } from './_bytes.js';
import { _createBackend, type _BackendCore, type CryptoBackend } from './backend.js';
import { CryptoError } from './errors.js';
import { _MLKEM1024, _MLKEM768, type _MlKemCore, type _MlKemParams } from './ml-kem.js';
import type { KeyPair } from './x25519.js';

// A Buffer from node:crypto as a plain Uint8Array (so both backends return equal types). A view
// when the Buffer owns its memory; a copy when it is a slice of a shared pool.
function _u8(buf: Buffer): Uint8Array {
  if (buf.byteOffset === 0 && buf.buffer.byteLength === buf.length) return new Uint8Array(buf.buffer);
  const out = new Uint8Array(buf);
  buf.fill(0);
  return out;
}

// Content key for the public-key LRUs; latin1 maps each byte to one char, natively.
function _id(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

// Minimal DER: tag, definite length, content.
function _der(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return _concat(Uint8Array.of(tag, ...len), content);
}

function _importPrivate(prefix: Uint8Array, raw: Uint8Array): nc.KeyObject {
  const der = _concat(prefix, raw);
  try {
    return nc.createPrivateKey({ key: Buffer.from(der.buffer), format: 'der', type: 'pkcs8' });
  } finally {
    _wipe(der);
  }
}

function _importPublic(prefix: Uint8Array, raw: Uint8Array): nc.KeyObject {
  return nc.createPublicKey({ key: Buffer.from(_concat(prefix, raw).buffer), format: 'der', type: 'spki' });
}

// The raw key is the tail of the DER encoding for every key type used here.
function _rawPublic(key: nc.KeyObject, len: number): Uint8Array {
  const der = key.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - len));
}

function _rawPrivate(key: nc.KeyObject, len: number): Uint8Array {
  const der = key.export({ format: 'der', type: 'pkcs8' });
  // A copy: Buffer#slice would be a view, and the DER is wiped next.
  const raw = new Uint8Array(der.subarray(der.length - len));
  der.fill(0);
  return raw;
}

interface _Entry {
  readonly key: nc.KeyObject;
  pub?: Uint8Array;
}

/** X25519 or Ed25519: the same import and caching, with their own OIDs. */
function _curve(type: 'x25519' | 'ed25519', oid: string) {
  const pkcs8 = _hex(`302e020100300506032b${oid}04220420`);
  const spki = _hex(`302a300506032b${oid}032100`);
  const secrets = new _IdentityCache<_Entry>();
  const publics = new _Lru<nc.KeyObject>(256);
  const entry = (secretKey: Uint8Array): _Entry => secrets.get(secretKey, (sk) => ({ key: _importPrivate(pkcs8, sk) }));
  return {
    secrets,
    publics,
    entry,
    keygen(): KeyPair {
      const { privateKey, publicKey } = nc.generateKeyPairSync(type as 'x25519');
      const secretKey = _rawPrivate(privateKey, 32);
      const pub = _rawPublic(publicKey, 32);
      secrets.set(secretKey, { key: privateKey, pub });
      return { secretKey, publicKey: pub.slice() };
    },
    getPublicKey(secretKey: Uint8Array): Uint8Array {
      const e = entry(secretKey);
      e.pub ??= _rawPublic(nc.createPublicKey(e.key), 32);
      return e.pub.slice();
    },
    publicKey: (raw: Uint8Array): nc.KeyObject => publics.get(_id(raw), () => _importPublic(spki, raw)),
  };
}

const _x = _curve('x25519', '656e');
const _ed = _curve('ed25519', '6570');

// OpenSSL refuses to derive an all-zero X25519 secret with this code; nothing else makes a
// derivation between two well-formed keys fail.
function _derive(privateKey: nc.KeyObject, publicKey: nc.KeyObject): Uint8Array | null {
  try {
    return _u8(nc.diffieHellman({ privateKey, publicKey }));
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_OSSL_FAILED_DURING_DERIVATION') return null;
    throw err;
  }
}

// Whole blocks through a CBC cipher with padding off (padding is shared code: src/aes-cbc.ts).
function _cbc(c: nc.Cipheriv | nc.Decipheriv, blocks: Uint8Array): Uint8Array {
  c.setAutoPadding(false);
  const out = c.update(blocks);
  c.final();
  return _u8(out);
}

function _mlkem(p: _MlKemParams) {
  const oid = _hex(p.k === 3 ? '0609608648016503040402' : '0609608648016503040403');
  const alg = _der(0x30, oid);
  const spkiPrefix = (() => {
    const full = _der(0x30, _concat(alg, _der(0x03, new Uint8Array(1 + p.publicKey))));
    return full.subarray(0, full.length - p.publicKey);
  })();
  // PKCS#8 with the seed-only private key form: OCTET STRING { [0] IMPLICIT seed }.
  const pkcs8Prefix = (() => {
    const full = _der(0x30, _concat(Uint8Array.of(2, 1, 0), alg, _der(0x04, _der(0x80, new Uint8Array(64)))));
    return full.subarray(0, full.length - 64);
  })();
  const secrets = new _IdentityCache<_Entry>();
  const publics = new _Lru<nc.KeyObject>(32);
  const entry = (seed: Uint8Array): _Entry => secrets.get(seed, (s) => ({ key: _importPrivate(pkcs8Prefix, s) }));
  const core: _MlKemCore = {
    publicKey(seed) {
      const e = entry(seed);
      e.pub ??= _rawPublic(nc.createPublicKey(e.key), p.publicKey);
      return e.pub.slice();
    },
    encapsulate(publicKey) {
      let key: nc.KeyObject;
      try {
        key = publics.get(_id(publicKey), () => _importPublic(spkiPrefix, publicKey));
      } catch (err) {
        throw new CryptoError('INVALID_KEY', 'publicKey', '"publicKey" is not a valid encapsulation key', { cause: err });
      }
      const r = nc.encapsulate(key);
      return { ciphertext: _u8(r.ciphertext), sharedSecret: _u8(r.sharedKey) };
    },
    decapsulate(seed, ciphertext) {
      return _u8(nc.decapsulate(entry(seed).key, ciphertext));
    },
  };
  return { core, secrets, publics };
}

const _kems = { 'ML-KEM-768': _mlkem(_MLKEM768), 'ML-KEM-1024': _mlkem(_MLKEM1024) };

const _core: _BackendCore = {
  name: 'node',
  x25519: {
    keygen: _x.keygen,
    getPublicKey: _x.getPublicKey,
    dh: (secretKey, publicKey) => _derive(_x.entry(secretKey).key, _x.publicKey(publicKey)),
    ephemeral(publicKey) {
      const peer = _x.publicKey(publicKey);
      // The ephemeral secret never leaves OpenSSL's memory.
      const e = nc.generateKeyPairSync('x25519');
      return { publicKey: _rawPublic(e.publicKey, 32), sharedSecret: _derive(e.privateKey, peer) };
    },
  },
  ed25519: {
    keygen: _ed.keygen,
    getPublicKey: _ed.getPublicKey,
    sign: (secretKey, message) => _u8(nc.sign(null, message, _ed.entry(secretKey).key)),
    verify(publicKey, message, signature) {
      try {
        return nc.verify(null, message, _ed.publicKey(publicKey), signature);
      } catch {
        // An encoding OpenSSL cannot import is a signature that does not verify.
        return false;
      }
    },
  },
  aesGcm: {
    encrypt(key, nonce, plaintext, aad) {
      const c = nc.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
      if (aad.length > 0) c.setAAD(aad);
      const body = c.update(plaintext);
      c.final();
      const out = new Uint8Array(body.length + 16);
      out.set(body);
      out.set(c.getAuthTag(), body.length);
      return out;
    },
    decrypt(key, nonce, ciphertext, aad) {
      const end = ciphertext.length - 16;
      const d = nc.createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
      d.setAuthTag(ciphertext.subarray(end));
      if (aad.length > 0) d.setAAD(aad);
      const pt = d.update(ciphertext.subarray(0, end));
      try {
        d.final();
      } catch {
        // Unauthenticated plaintext must not outlive the failed check.
        pt.fill(0);
        return null;
      }
      return _u8(pt);
    },
  },
  aesCbc: {
    encrypt: (key, iv, blocks) => _cbc(nc.createCipheriv('aes-256-cbc', key, iv), blocks),
    decrypt: (key, iv, blocks) => _cbc(nc.createDecipheriv('aes-256-cbc', key, iv), blocks),
  },
  sha2: {
    sha256: (data) => _u8(nc.hash('sha256', data, 'buffer')),
    sha512: (data) => _u8(nc.hash('sha512', data, 'buffer')),
    sha256Create() {
      const h = nc.createHash('sha256');
      return { update: (data) => void h.update(data), digest: () => _u8(h.digest()) };
    },
  },
  sha3: {
    sha3_256: (data) => _u8(nc.hash('sha3-256', data, 'buffer')),
    shake256_32: (data) => _u8(nc.createHash('shake256', { outputLength: 32 }).update(data).digest()),
  },
  hkdf: (ikm, salt, info, length) => new Uint8Array(nc.hkdfSync('sha256', ikm, salt, info, length)),
  hmac: (key, data) => _u8(nc.createHmac('sha256', key).update(data).digest()),
  mlkem: (p) => _kems[p.name].core,
  randomBytes: (n) => nc.randomFillSync(new Uint8Array(n)),
  clearKeyCache() {
    for (const c of [_x, _ed, _kems['ML-KEM-768'], _kems['ML-KEM-1024']]) {
      c.secrets.clear();
      c.publics.clear();
    }
  },
};

/** Every primitive on node:crypto, except BLAKE3 (noble: Node has none). */
export const nodeBackend: CryptoBackend = _createBackend(_core);
