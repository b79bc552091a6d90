/**
 * The two Signal wire messages, byte-compatible with libsignal (protocol version 4, PQXDH):
 *
 *     SignalMessage       = version || protobuf || mac[8]
 *         version  = 0x44 (high nibble: message version 4; low nibble: current version 4)
 *         protobuf = { 1: ratchet_key (0x05 || 32), 2: counter, 3: previous_counter,
 *                      4: ciphertext (AES-256-CBC), 5: pq_ratchet (SPQR; never sent here,
 *                      ignored on receipt but covered by the MAC), 6: addresses (ignored) }
 *         mac      = HMAC-SHA256(mac_key, 0x05||IK_sender || 0x05||IK_receiver || version || protobuf)[0..8]
 *     PreKeySignalMessage = version || protobuf
 *         protobuf = { 5: registration_id, 1: pre_key_id (optional), 6: signed_pre_key_id,
 *                      7: kyber_pre_key_id, 8: kyber_ciphertext (type || 1568), 2: base_key,
 *                      3: identity_key, 4: message (a whole SignalMessage) }
 *
 * Decoding checks structure and lengths only; the MAC is checked by the ratchet, which has the key.
 * @module
 */
import type { CryptoBackend } from '@tacit/crypto';
import { SessionError } from './errors.js';
import { parseCurveKey, parseKem, serializeCurveKey, type KemType } from './keys.js';
import { _decodeProto, _ProtoWriter, _u32 } from './proto.js';

/** Message version this code speaks: 4 (PQXDH). */
export const MESSAGE_VERSION = 4;
/** Type of a ratchet message, as libsignal numbers it (`CiphertextMessageType.Whisper`). */
export const MESSAGE_TYPE_WHISPER = 2;
/** Type of a session-starting message (`CiphertextMessageType.PreKey`). */
export const MESSAGE_TYPE_PREKEY = 3;
/** Bytes of the truncated HMAC-SHA256 that ends a SignalMessage. */
export const MAC_LENGTH = 8;

const _VERSION_BYTE = (MESSAGE_VERSION << 4) | MESSAGE_VERSION;

/** An encrypted message and its type, as it travels. */
export interface CiphertextMessage {
  /** `MESSAGE_TYPE_PREKEY` (3) until the peer has answered, then `MESSAGE_TYPE_WHISPER` (2). */
  readonly type: typeof MESSAGE_TYPE_WHISPER | typeof MESSAGE_TYPE_PREKEY;
  /** The serialized SignalMessage or PreKeySignalMessage. */
  readonly body: Uint8Array;
}

/** A decoded SignalMessage (MAC not yet checked). */
export interface _SignalMessage {
  readonly ratchetKey: Uint8Array;
  readonly counter: number;
  readonly previousCounter: number;
  readonly ciphertext: Uint8Array;
  /** The bytes the MAC covers (version byte and protobuf). */
  readonly macInput: Uint8Array;
  readonly mac: Uint8Array;
}

/** A decoded PreKeySignalMessage. */
export interface _PreKeySignalMessage {
  readonly registrationId: number;
  readonly preKeyId: number | undefined;
  readonly signedPreKeyId: number;
  readonly kyberPreKeyId: number;
  readonly kyberType: KemType;
  /** Raw KEM ciphertext (type byte removed). */
  readonly kyberCiphertext: Uint8Array;
  readonly baseKey: Uint8Array;
  readonly identityKey: Uint8Array;
  readonly message: _SignalMessage;
}

function _version(b: Uint8Array, what: string): void {
  if (b.length === 0) throw new SessionError('MALFORMED', what, `"${what}" is empty`);
  const v = b[0]! >> 4;
  if (v !== MESSAGE_VERSION)
    throw new SessionError(
      'BAD_VERSION',
      what,
      `"${what}" has message version ${v}; only ${MESSAGE_VERSION} (PQXDH) is spoken${v === 3 ? ' (3 is X3DH, no longer accepted)' : ''}`,
    );
}

function _missing(what: string, name: string): SessionError {
  return new SessionError('MALFORMED', `${what}.${name}`, `"${what}" lacks its ${name} field`);
}

/** MAC of a SignalMessage: the first 8 bytes of HMAC-SHA256 over both identities and the message. */
export function _mac(
  backend: CryptoBackend,
  macKey: Uint8Array,
  senderIdentity: Uint8Array,
  receiverIdentity: Uint8Array,
  macInput: Uint8Array,
): Uint8Array {
  const data = new Uint8Array(66 + macInput.length);
  data.set(serializeCurveKey(senderIdentity), 0);
  data.set(serializeCurveKey(receiverIdentity), 33);
  data.set(macInput, 66);
  return backend.hmacSha256(macKey, data).subarray(0, MAC_LENGTH);
}

/** Encodes and MACs a SignalMessage. */
export function _encodeSignalMessage(
  backend: CryptoBackend,
  m: { ratchetKey: Uint8Array; counter: number; previousCounter: number; ciphertext: Uint8Array },
  macKey: Uint8Array,
  senderIdentity: Uint8Array,
  receiverIdentity: Uint8Array,
): Uint8Array {
  const proto = new _ProtoWriter()
    .bytes(1, serializeCurveKey(m.ratchetKey))
    .uint32(2, m.counter)
    .uint32(3, m.previousCounter)
    .bytes(4, m.ciphertext)
    .finish();
  const out = new Uint8Array(1 + proto.length + MAC_LENGTH);
  out[0] = _VERSION_BYTE;
  out.set(proto, 1);
  out.set(_mac(backend, macKey, senderIdentity, receiverIdentity, out.subarray(0, 1 + proto.length)), 1 + proto.length);
  return out;
}

/** Decodes a SignalMessage; `SessionError` `MALFORMED`, `BAD_VERSION` or `BAD_KEY` for bad input. */
export function _decodeSignalMessage(bytes: Uint8Array, what = 'message'): _SignalMessage {
  if (!(bytes instanceof Uint8Array)) throw new SessionError('MALFORMED', what, `"${what}" expected Uint8Array`);
  if (bytes.length < 1 + MAC_LENGTH)
    throw new SessionError('MALFORMED', what, `"${what}" expected at least ${1 + MAC_LENGTH} bytes, got ${bytes.length}`);
  _version(bytes, what);
  const end = bytes.length - MAC_LENGTH;
  const f = _decodeProto(bytes.subarray(1, end), what);
  const ratchetKey = f.bytes.get(1);
  const counter = _u32(f, 2, what);
  const ciphertext = f.bytes.get(4);
  if (ratchetKey === undefined) throw _missing(what, 'ratchet_key');
  if (counter === undefined) throw _missing(what, 'counter');
  if (ciphertext === undefined) throw _missing(what, 'ciphertext');
  return {
    ratchetKey: parseCurveKey(ratchetKey, `${what}.ratchet_key`),
    counter,
    previousCounter: _u32(f, 3, what) ?? 0,
    ciphertext: ciphertext.slice(),
    macInput: bytes.slice(0, end),
    mac: bytes.slice(end),
  };
}

/** Encodes a PreKeySignalMessage around an already encoded SignalMessage. */
export function _encodePreKeySignalMessage(m: {
  registrationId: number;
  preKeyId: number | undefined;
  signedPreKeyId: number;
  kyberPreKeyId: number;
  kyberCiphertext: Uint8Array;
  baseKey: Uint8Array;
  identityKey: Uint8Array;
  message: Uint8Array;
}): Uint8Array {
  // Field order is the tag order (as prost writes it); any order decodes the same.
  const proto = new _ProtoWriter()
    .uint32(1, m.preKeyId)
    .bytes(2, serializeCurveKey(m.baseKey))
    .bytes(3, serializeCurveKey(m.identityKey))
    .bytes(4, m.message)
    .uint32(5, m.registrationId)
    .uint32(6, m.signedPreKeyId)
    .uint32(7, m.kyberPreKeyId)
    .bytes(8, m.kyberCiphertext)
    .finish();
  const out = new Uint8Array(1 + proto.length);
  out[0] = _VERSION_BYTE;
  out.set(proto, 1);
  return out;
}

/** Decodes a PreKeySignalMessage and the SignalMessage inside it. */
export function _decodePreKeySignalMessage(bytes: Uint8Array, what = 'message'): _PreKeySignalMessage {
  if (!(bytes instanceof Uint8Array)) throw new SessionError('MALFORMED', what, `"${what}" expected Uint8Array`);
  _version(bytes, what);
  const f = _decodeProto(bytes.subarray(1), what);
  const baseKey = f.bytes.get(2);
  const identityKey = f.bytes.get(3);
  const message = f.bytes.get(4);
  const signedPreKeyId = _u32(f, 6, what);
  const kyberPreKeyId = _u32(f, 7, what);
  const kyberCiphertext = f.bytes.get(8);
  if (baseKey === undefined) throw _missing(what, 'base_key');
  if (identityKey === undefined) throw _missing(what, 'identity_key');
  if (message === undefined) throw _missing(what, 'message');
  if (signedPreKeyId === undefined) throw _missing(what, 'signed_pre_key_id');
  // Version 4 requires the post-quantum part: a session without it would be X3DH.
  if (kyberPreKeyId === undefined) throw _missing(what, 'kyber_pre_key_id');
  if (kyberCiphertext === undefined) throw _missing(what, 'kyber_ciphertext');
  const kem = parseKem(kyberCiphertext, `${what}.kyber_ciphertext`);
  return {
    registrationId: _u32(f, 5, what) ?? 0,
    preKeyId: _u32(f, 1, what),
    signedPreKeyId,
    kyberPreKeyId,
    kyberType: kem.type,
    kyberCiphertext: kem.raw,
    baseKey: parseCurveKey(baseKey, `${what}.base_key`),
    identityKey: parseCurveKey(identityKey, `${what}.identity_key`),
    message: _decodeSignalMessage(message, `${what}.message`),
  };
}
