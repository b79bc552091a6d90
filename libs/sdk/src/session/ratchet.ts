/**
 * The Double Ratchet as libsignal runs it (Signal's specification, revision 1, with libsignal's
 * KDF labels), over a session state that PQXDH (`pqxdh.ts`) starts:
 *
 *     root step:     (RK', CK) = HKDF-SHA256(salt = RK, ikm = X25519(ours, theirs), "WhisperRatchet", 64)
 *     chain step:    message seed = HMAC-SHA256(CK, 0x01), next CK = HMAC-SHA256(CK, 0x02)
 *     message keys:  (cipher key 32, MAC key 32, IV 16) = HKDF-SHA256(salt = none, ikm = seed,
 *                    "WhisperMessageKeys", 80); body = AES-256-CBC(cipher key, IV, PKCS#7)
 *
 * A receiver keeps five receiving chains and, per chain, the seeds of up to 2,000 skipped messages
 * (oldest dropped first); a counter more than 25,000 ahead of its chain is refused. These are
 * libsignal's limits. Functions here mutate the state they are given; callers work on a state they
 * can throw away when a message fails (`session-manager.ts` re-reads it from the store).
 * @module
 */
import type { CryptoBackend } from '@tacit/crypto';
import { SessionError } from './errors.js';
import {
  _encodePreKeySignalMessage,
  _encodeSignalMessage,
  _mac,
  MESSAGE_TYPE_PREKEY,
  MESSAGE_TYPE_WHISPER,
  type _SignalMessage,
  type CiphertextMessage,
} from './messages.js';

/** Receiving chains kept per session (libsignal's MAX_RECEIVER_CHAINS). */
export const MAX_RECEIVE_CHAINS = 5;
/** Skipped-message keys kept per receiving chain (libsignal's MAX_MESSAGE_KEYS). */
export const MAX_SKIPPED_KEYS = 2000;
/** Largest forward jump of a counter within one chain (libsignal's MAX_FORWARD_JUMPS). */
export const MAX_FORWARD_JUMP = 25_000;
/** A session whose first message was never answered is not sent on after this (30 days, as libsignal). */
export const MAX_UNACKNOWLEDGED_AGE_MS = 30 * 24 * 3600 * 1000;

const _ENC = new TextEncoder();
const _RATCHET_INFO = _ENC.encode('WhisperRatchet');
const _MESSAGE_INFO = _ENC.encode('WhisperMessageKeys');
const _EMPTY = new Uint8Array(0);
const _SEED_MESSAGE = Uint8Array.of(0x01);
const _SEED_CHAIN = Uint8Array.of(0x02);

/** A receiving chain: the peer's ratchet key, our chain key at `index`, skipped seeds by counter. */
export interface _ReceiveChain {
  readonly ratchetKey: Uint8Array;
  chainKey: Uint8Array;
  index: number;
  /** Counter → message seed, in insertion (ascending) order. */
  readonly skipped: Map<number, Uint8Array>;
}

/** Our sending chain. */
export interface _SendChain {
  readonly ratchetPublic: Uint8Array;
  readonly ratchetSecret: Uint8Array;
  chainKey: Uint8Array;
  index: number;
}

/** What the initiator repeats in every message until the responder first answers. */
export interface _PendingPreKey {
  readonly preKeyId: number | undefined;
  readonly signedPreKeyId: number;
  readonly kyberPreKeyId: number;
  /** Serialized KEM ciphertext (type byte first). */
  readonly kyberCiphertext: Uint8Array;
  readonly createdAt: number;
}

/** One session with one peer. */
export interface _SessionState {
  readonly localIdentity: Uint8Array;
  readonly remoteIdentity: Uint8Array;
  readonly localRegistrationId: number;
  readonly remoteRegistrationId: number;
  /** The initiator's PQXDH base key: names the session (a repeated prekey message finds it). */
  readonly baseKey: Uint8Array;
  rootKey: Uint8Array;
  send: _SendChain;
  previousCounter: number;
  readonly receive: _ReceiveChain[];
  pending: _PendingPreKey | undefined;
}

function _hkdf(backend: CryptoBackend, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, n: number): Uint8Array {
  return backend.hkdfSha256(ikm, salt, info, n);
}

/** X25519 with a low-order peer key reported as our typed error. */
export function _dh(backend: CryptoBackend, secretKey: Uint8Array, publicKey: Uint8Array, field: string): Uint8Array {
  try {
    return backend.x25519.getSharedSecret(secretKey, publicKey);
  } catch (err) {
    throw new SessionError('BAD_KEY', field, `"${field}" is a low-order point (all-zero shared secret)`, { cause: err });
  }
}

/** The root step: a new root key and chain key from a DH output. */
export function _rootStep(
  backend: CryptoBackend,
  rootKey: Uint8Array,
  theirRatchetKey: Uint8Array,
  ourRatchetSecret: Uint8Array,
): [Uint8Array, Uint8Array] {
  const dh = _dh(backend, ourRatchetSecret, theirRatchetKey, 'message.ratchet_key');
  const okm = _hkdf(backend, dh, rootKey, _RATCHET_INFO, 64);
  dh.fill(0);
  return [okm.slice(0, 32), okm.slice(32)];
}

function _messageKeys(backend: CryptoBackend, seed: Uint8Array): { cipherKey: Uint8Array; macKey: Uint8Array; iv: Uint8Array } {
  const okm = _hkdf(backend, seed, _EMPTY, _MESSAGE_INFO, 80);
  return { cipherKey: okm.subarray(0, 32), macKey: okm.subarray(32, 64), iv: okm.subarray(64, 80) };
}

/** Encrypts `plaintext` on the sending chain and advances it. */
export function _encrypt(backend: CryptoBackend, state: _SessionState, plaintext: Uint8Array, now: number): CiphertextMessage {
  const pending = state.pending;
  if (pending !== undefined && now - pending.createdAt > MAX_UNACKNOWLEDGED_AGE_MS)
    throw new SessionError(
      'NO_SESSION',
      'peer',
      `the session was never answered in ${MAX_UNACKNOWLEDGED_AGE_MS / 86_400_000} days; start a new one from a fresh bundle`,
    );
  const ck = state.send.chainKey;
  const seed = backend.hmacSha256(ck, _SEED_MESSAGE);
  const keys = _messageKeys(backend, seed);
  const ciphertext = backend.aes256cbc.encrypt(keys.cipherKey, keys.iv, plaintext);
  const message = _encodeSignalMessage(
    backend,
    { ratchetKey: state.send.ratchetPublic, counter: state.send.index, previousCounter: state.previousCounter, ciphertext },
    keys.macKey,
    state.localIdentity,
    state.remoteIdentity,
  );
  seed.fill(0);
  state.send.chainKey = backend.hmacSha256(ck, _SEED_CHAIN);
  state.send.index++;
  if (pending === undefined) return { type: MESSAGE_TYPE_WHISPER, body: message };
  return {
    type: MESSAGE_TYPE_PREKEY,
    body: _encodePreKeySignalMessage({
      registrationId: state.localRegistrationId,
      preKeyId: pending.preKeyId,
      signedPreKeyId: pending.signedPreKeyId,
      kyberPreKeyId: pending.kyberPreKeyId,
      kyberCiphertext: pending.kyberCiphertext,
      baseKey: state.baseKey,
      identityKey: state.localIdentity,
      message,
    }),
  };
}

function _sameKey(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The message seed for `counter` on the chain of `msg`, ratcheting and skipping as needed. */
function _seedFor(backend: CryptoBackend, state: _SessionState, msg: _SignalMessage): Uint8Array {
  let chain = state.receive.find((c) => _sameKey(c.ratchetKey, msg.ratchetKey));
  if (chain === undefined) {
    // A new ratchet key from the peer: one root step to receive on it, one to send on a new key.
    const [rk1, ckr] = _rootStep(backend, state.rootKey, msg.ratchetKey, state.send.ratchetSecret);
    const next = backend.x25519.keygen();
    const [rk2, cks] = _rootStep(backend, rk1, msg.ratchetKey, next.secretKey);
    state.rootKey = rk2;
    chain = { ratchetKey: msg.ratchetKey, chainKey: ckr, index: 0, skipped: new Map() };
    state.receive.push(chain);
    if (state.receive.length > MAX_RECEIVE_CHAINS) state.receive.shift();
    state.previousCounter = Math.max(state.send.index - 1, 0);
    state.send = { ratchetPublic: next.publicKey, ratchetSecret: next.secretKey, chainKey: cks, index: 0 };
  }
  const counter = msg.counter;
  if (counter < chain.index) {
    const seed = chain.skipped.get(counter);
    if (seed === undefined)
      throw new SessionError('DUPLICATE_MESSAGE', 'message.counter', `message ${counter} of this chain was already received`);
    chain.skipped.delete(counter);
    return seed;
  }
  if (counter - chain.index > MAX_FORWARD_JUMP)
    throw new SessionError(
      'TOO_FAR_AHEAD',
      'message.counter',
      `"message.counter" is ${counter - chain.index} ahead of its chain; at most ${MAX_FORWARD_JUMP} skipped messages are allowed`,
    );
  let ck = chain.chainKey;
  while (chain.index < counter) {
    chain.skipped.set(chain.index, backend.hmacSha256(ck, _SEED_MESSAGE));
    if (chain.skipped.size > MAX_SKIPPED_KEYS) chain.skipped.delete(chain.skipped.keys().next().value!);
    ck = backend.hmacSha256(ck, _SEED_CHAIN);
    chain.index++;
  }
  const seed = backend.hmacSha256(ck, _SEED_MESSAGE);
  chain.chainKey = backend.hmacSha256(ck, _SEED_CHAIN);
  chain.index++;
  return seed;
}

/**
 * Decrypts a decoded SignalMessage with `state`, advancing it. On any error the state may be
 * half-advanced and must be discarded.
 */
export function _decrypt(backend: CryptoBackend, state: _SessionState, msg: _SignalMessage): Uint8Array {
  const seed = _seedFor(backend, state, msg);
  const keys = _messageKeys(backend, seed);
  seed.fill(0);
  const mac = _mac(backend, keys.macKey, state.remoteIdentity, state.localIdentity, msg.macInput);
  let diff = 0;
  for (let i = 0; i < mac.length; i++) diff |= mac[i]! ^ msg.mac[i]!;
  if (diff !== 0) throw new SessionError('AUTH_FAILED', 'message.mac', 'the message does not authenticate (MAC mismatch)');
  let plaintext: Uint8Array;
  try {
    plaintext = backend.aes256cbc.decrypt(keys.cipherKey, keys.iv, msg.ciphertext);
  } catch (err) {
    // Only a peer holding the MAC key can get here: a broken or hostile sender.
    throw new SessionError('AUTH_FAILED', 'message.ciphertext', 'the message body does not decrypt (bad padding or length)', {
      cause: err,
    });
  }
  state.pending = undefined;
  return plaintext;
}

