/**
 * PQXDH (Signal's specification, revision 3) as libsignal runs it, starting a ratchet session:
 *
 *     SK material = 0xFF * 32 || DH1 || DH2 || DH3 [|| DH4] || SS
 *         DH1 = X25519(IK_A, SPK_B)   DH2 = X25519(EK_A, IK_B)   DH3 = X25519(EK_A, SPK_B)
 *         DH4 = X25519(EK_A, OPK_B)   (only when the bundle had a one-time prekey)
 *         SS  = KEM shared secret of PQPK_B (Kyber-1024 or ML-KEM-1024, by the key's type byte)
 *     (RK, CK, _) = HKDF-SHA256(salt = none, ikm = material,
 *                               info = "WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024", 96)
 *
 * The 32 leading 0xFF bytes are the specification's F (for X25519). The last 32 bytes of output
 * key SPQR in libsignal; no SPQR is spoken here (docs/e2ee.md says why), so they are unused.
 * Then, as libsignal does: Bob sends on (SPK_B, CK); Alice receives on (SPK_B, CK) and takes
 * one root step to a fresh ratchet key of her own to send on. The info string is libsignal's for
 * both KEMs (it names Kyber either way).
 * @module
 */
import type { CryptoBackend } from '@tacit/crypto';
import type { KeyPair } from '@tacit/crypto';
import { SessionError } from './errors.js';
import { _isCanonicalU, _kem, serializeKem, type KemType } from './keys.js';
import { _dh, _rootStep, type _SessionState } from './ratchet.js';

const _INFO = new TextEncoder().encode('WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024');

function _derive(backend: CryptoBackend, parts: Uint8Array[]): { rootKey: Uint8Array; chainKey: Uint8Array } {
  const ikm = new Uint8Array(32 + parts.reduce((n, p) => n + p.length, 0));
  ikm.fill(0xff, 0, 32);
  let off = 32;
  for (const p of parts) {
    ikm.set(p, off);
    off += p.length;
    p.fill(0);
  }
  const okm = backend.hkdfSha256(ikm, new Uint8Array(0), _INFO, 96);
  ikm.fill(0);
  return { rootKey: okm.slice(0, 32), chainKey: okm.slice(32, 64) };
}

/** What the initiator needs from a verified bundle. */
export interface _AliceParams {
  readonly identity: KeyPair;
  readonly registrationId: number;
  readonly theirIdentity: Uint8Array;
  readonly theirRegistrationId: number;
  readonly signedPreKeyId: number;
  readonly signedPreKey: Uint8Array;
  readonly preKeyId: number | undefined;
  readonly preKey: Uint8Array | undefined;
  readonly kyberPreKeyId: number;
  readonly kyberType: KemType;
  readonly kyberPreKey: Uint8Array;
  readonly now: number;
}

/** Initiator side: a fresh base key, the PQXDH secret, and the session that sends the first message. */
export function _initAlice(backend: CryptoBackend, p: _AliceParams): _SessionState {
  const base = backend.x25519.keygen();
  const kem = _kem(backend, p.kyberType).encapsulate(p.kyberPreKey);
  const parts = [
    _dh(backend, p.identity.secretKey, p.signedPreKey, 'bundle.signedPreKey.publicKey'),
    _dh(backend, base.secretKey, p.theirIdentity, 'bundle.identityKey'),
    _dh(backend, base.secretKey, p.signedPreKey, 'bundle.signedPreKey.publicKey'),
  ];
  if (p.preKey !== undefined) parts.push(_dh(backend, base.secretKey, p.preKey, 'bundle.preKey.publicKey'));
  parts.push(kem.sharedSecret);
  const { rootKey, chainKey } = _derive(backend, parts);
  base.secretKey.fill(0);
  const ratchet = backend.x25519.keygen();
  const [rk, sendChainKey] = _rootStep(backend, rootKey, p.signedPreKey, ratchet.secretKey);
  return {
    localIdentity: p.identity.publicKey,
    remoteIdentity: p.theirIdentity,
    localRegistrationId: p.registrationId,
    remoteRegistrationId: p.theirRegistrationId,
    baseKey: base.publicKey,
    rootKey: rk,
    send: { ratchetPublic: ratchet.publicKey, ratchetSecret: ratchet.secretKey, chainKey: sendChainKey, index: 0 },
    previousCounter: 0,
    receive: [{ ratchetKey: p.signedPreKey, chainKey, index: 0, skipped: new Map() }],
    pending: {
      preKeyId: p.preKeyId,
      signedPreKeyId: p.signedPreKeyId,
      kyberPreKeyId: p.kyberPreKeyId,
      kyberCiphertext: serializeKem(p.kyberType, kem.ciphertext),
      createdAt: p.now,
    },
  };
}

/** What the responder needs: its own keys named by the prekey message, and the message's keys. */
export interface _BobParams {
  readonly identity: KeyPair;
  readonly registrationId: number;
  readonly signedPreKey: KeyPair;
  readonly preKey: KeyPair | undefined;
  readonly kyberType: KemType;
  /** The KEM secret key (64-byte seed). */
  readonly kyberSecret: Uint8Array;
  readonly theirIdentity: Uint8Array;
  readonly theirRegistrationId: number;
  readonly theirBaseKey: Uint8Array;
  readonly kyberCiphertext: Uint8Array;
}

/** Responder side: the same PQXDH secret from our keys; the session answers on the signed prekey. */
export function _initBob(backend: CryptoBackend, p: _BobParams): _SessionState {
  // libsignal refuses a base key at or above p: the base key names the session, so it must have
  // one encoding only.
  if (!_isCanonicalU(p.theirBaseKey))
    throw new SessionError('BAD_KEY', 'message.base_key', '"message.base_key" is not a canonical Curve25519 key (u >= 2^255 - 19)');
  const parts = [
    _dh(backend, p.signedPreKey.secretKey, p.theirIdentity, 'message.identity_key'),
    _dh(backend, p.identity.secretKey, p.theirBaseKey, 'message.base_key'),
    _dh(backend, p.signedPreKey.secretKey, p.theirBaseKey, 'message.base_key'),
  ];
  if (p.preKey !== undefined) parts.push(_dh(backend, p.preKey.secretKey, p.theirBaseKey, 'message.base_key'));
  parts.push(_kem(backend, p.kyberType).decapsulate(p.kyberSecret, p.kyberCiphertext));
  const { rootKey, chainKey } = _derive(backend, parts);
  return {
    localIdentity: p.identity.publicKey,
    remoteIdentity: p.theirIdentity,
    localRegistrationId: p.registrationId,
    remoteRegistrationId: p.theirRegistrationId,
    baseKey: p.theirBaseKey,
    rootKey,
    send: { ratchetPublic: p.signedPreKey.publicKey, ratchetSecret: p.signedPreKey.secretKey, chainKey, index: 0 },
    previousCounter: 0,
    receive: [],
    pending: undefined,
  };
}
