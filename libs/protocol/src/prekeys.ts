// Bodies of the prekey endpoints (docs/protocol.md §13): fixed layouts like the frames', strict the
// same way (exact lengths, nothing left over, flags and counts in range, one encoding per value).
// Keys travel in libsignal's serialized forms, so bundles feed the SDK's session layer unchanged.
import { blake3, blake3DeriveKey } from '@tacit/crypto';
import { _aarray, _abytes, _aint, _ascii, _plural, _Reader, _Writer } from './_bytes.js';
import {
  CURVE_KEY_LEN,
  KEM_KEY_LEN,
  MAX_PREKEY_BUNDLE_BYTES,
  MAX_PREKEY_UPLOAD_BYTES,
  MAX_UPLOAD_KYBER_PREKEYS,
  MAX_UPLOAD_PREKEYS,
  NAMESPACE_ID_LEN,
  ONE_TIME_PREKEY_LEN,
  PREKEY_ADDRESS_CONTEXT,
  PREKEY_ADDRESS_LEN,
  PREKEY_BODY_VERSION,
  PREKEY_CHALLENGE_LEN,
  PREKEY_PROOF_DOMAIN,
  PREKEY_TAG_CONTEXT,
  PREKEY_TAG_LEN,
  SIGNED_KEM_PREKEY_LEN,
  SIGNED_PREKEY_LEN,
  XEDDSA_SIGNATURE_LEN,
} from './constants.js';
import { ProtocolError } from './errors.js';
import { PrekeyError } from './prekey-errors.js';

/** A one-time Curve25519 prekey: id and `0x05 || 32`. */
export interface WirePreKey {
  /** 0..2^32-1. */
  id: number;
  /** 33 bytes, `0x05 || key`. */
  publicKey: Uint8Array;
}

/** A signed prekey: a Curve25519 key (33 bytes) or a KEM key (1569 bytes), XEdDSA-signed by the identity key. */
export interface WireSignedPreKey extends WirePreKey {
  /** XEdDSA signature over `publicKey`, type byte included (64 bytes). */
  signature: Uint8Array;
}

/** POST /v1/prekeys/upload: public prekeys of one identity, with proof that the uploader holds it. */
export interface PrekeyUpload {
  /** {@link prekeyTag} of the namespace and identity key: the service derives the address from it. */
  tag: Uint8Array;
  /** The identity key, `0x05 || 32`. */
  identityKey: Uint8Array;
  /** The identity's registration id, 0..2^32-1. */
  registrationId: number;
  /** A new signed prekey (replaces the one on file). */
  signedPreKey?: WireSignedPreKey | undefined;
  /** A new last-resort post-quantum prekey (replaces the one on file). */
  lastResortKyberPreKey?: WireSignedPreKey | undefined;
  /** 0..100 one-time Curve25519 prekeys to add. */
  preKeys: WirePreKey[];
  /** 0..100 signed one-time post-quantum prekeys to add. */
  kyberPreKeys: WireSignedPreKey[];
  /** A challenge from POST /v1/prekeys/challenge, as received. */
  challenge: Uint8Array;
  /** XEdDSA by the identity key over {@link prekeyUploadProofMessage} of this body. */
  signature: Uint8Array;
}

/** The answer to an upload: what the service holds for the identity now. */
export interface PrekeyUploadReply {
  /** One-time Curve25519 prekeys left. */
  preKeys: number;
  /** One-time post-quantum prekeys left. */
  kyberPreKeys: number;
  /** Whether a signed prekey is on file. */
  signedPreKey: boolean;
  /** Whether a last-resort post-quantum prekey is on file. */
  lastResortKyberPreKey: boolean;
}

/** The answer to a fetch: enough to start a PQXDH session with the identity. */
export interface WirePrekeyBundle {
  identityKey: Uint8Array;
  registrationId: number;
  signedPreKey: WireSignedPreKey;
  /** A one-time post-quantum prekey, or the last-resort one when none was left. */
  kyberPreKey: WireSignedPreKey;
  /** Whether {@link kyberPreKey} is the last-resort key. */
  kyberLastResort: boolean;
  /** A one-time Curve25519 prekey, when one was left. */
  preKey?: WirePreKey | undefined;
}

const _DOMAIN = _ascii(PREKEY_PROOF_DOMAIN);
/** Length of an upload proof message: domain (16) + BLAKE3 of the body before its signature (32). */
export const PREKEY_PROOF_MESSAGE_LEN = _DOMAIN.length + 32;
/** Length of an upload reply body. */
export const PREKEY_UPLOAD_REPLY_LEN = 1 + 1 + 4 + 4;
/** Length of a fetch request body. */
export const PREKEY_FETCH_LEN = 1 + PREKEY_ADDRESS_LEN;

const _UPLOAD_HAS_SPK = 0x01;
const _UPLOAD_HAS_LAST_RESORT = 0x02;
const _BUNDLE_HAS_PREKEY = 0x01;
const _BUNDLE_LAST_RESORT = 0x02;
const _KEM_TYPES = new Set([0x08, 0x0a]);

/** The tag an uploader reveals: BLAKE3-derive_key("tacit 2026-11 prekey tag v1", namespaceId || identityKey(33)). */
export function prekeyTag(namespaceId: Uint8Array, identityKey: Uint8Array): Uint8Array {
  _abytes(namespaceId, 'namespaceId', NAMESPACE_ID_LEN);
  _abytes(identityKey, 'identityKey', CURVE_KEY_LEN);
  const m = new Uint8Array(NAMESPACE_ID_LEN + CURVE_KEY_LEN);
  m.set(namespaceId, 0);
  m.set(identityKey, NAMESPACE_ID_LEN);
  return blake3DeriveKey(PREKEY_TAG_CONTEXT, m);
}

/**
 * The address a bundle is kept and fetched at: BLAKE3-derive_key("tacit 2026-11 prekey address v1",
 * tag || identityKey(33)). The service computes it from an upload; a fetcher from the namespace and
 * the identity key ({@link prekeyAddressOf}). Bound to the identity key, so no one can upload to
 * another identity's address with a key of their own.
 */
export function prekeyAddress(tag: Uint8Array, identityKey: Uint8Array): Uint8Array {
  _abytes(tag, 'tag', PREKEY_TAG_LEN);
  _abytes(identityKey, 'identityKey', CURVE_KEY_LEN);
  const m = new Uint8Array(PREKEY_TAG_LEN + CURVE_KEY_LEN);
  m.set(tag, 0);
  m.set(identityKey, PREKEY_TAG_LEN);
  return blake3DeriveKey(PREKEY_ADDRESS_CONTEXT, m);
}

/** {@link prekeyAddress} of {@link prekeyTag}: what a fetcher who knows the namespace and the identity key asks for. */
export function prekeyAddressOf(namespaceId: Uint8Array, identityKey: Uint8Array): Uint8Array {
  return prekeyAddress(prekeyTag(namespaceId, identityKey), identityKey);
}

/**
 * What the identity key signs (XEdDSA) to prove an upload: "tacit/v1/prekeys" || BLAKE3(body
 * without its last 64 bytes, the signature). The body holds the challenge, so a proof is good for
 * one challenge; and every other byte, so nothing in it can be changed or added.
 */
export function prekeyUploadProofMessage(body: Uint8Array): Uint8Array {
  _abytes(body, 'body');
  if (body.length < XEDDSA_SIGNATURE_LEN) throw new RangeError(`"body" expected at least ${_plural(XEDDSA_SIGNATURE_LEN)}, got ${body.length}`);
  const out = new Uint8Array(PREKEY_PROOF_MESSAGE_LEN);
  out.set(_DOMAIN, 0);
  out.set(blake3(body.subarray(0, body.length - XEDDSA_SIGNATURE_LEN)), _DOMAIN.length);
  return out;
}

function _curveKey(key: unknown, field: string): Uint8Array {
  const k = _abytes(key, field, CURVE_KEY_LEN);
  if (k[0] !== 0x05) throw new RangeError(`"${field}" expected key type 0x05, got 0x${k[0]!.toString(16).padStart(2, '0')}`);
  return k;
}

function _kemKey(key: unknown, field: string): Uint8Array {
  const k = _abytes(key, field, KEM_KEY_LEN);
  if (!_KEM_TYPES.has(k[0]!)) throw new RangeError(`"${field}" expected KEM type 0x08 or 0x0a, got 0x${k[0]!.toString(16).padStart(2, '0')}`);
  return k;
}

function _writeSigned(w: _Writer, k: WireSignedPreKey, field: string, kem: boolean): void {
  if (typeof k !== 'object' || k === null) throw new TypeError(`"${field}" expected object`);
  w.u32(_aint(k.id, `${field}.id`, 0, 0xffff_ffff));
  w.put(kem ? _kemKey(k.publicKey, `${field}.publicKey`) : _curveKey(k.publicKey, `${field}.publicKey`));
  w.put(_abytes(k.signature, `${field}.signature`, XEDDSA_SIGNATURE_LEN));
}

function _writeOneTime(w: _Writer, k: WirePreKey, field: string): void {
  if (typeof k !== 'object' || k === null) throw new TypeError(`"${field}" expected object`);
  w.u32(_aint(k.id, `${field}.id`, 0, 0xffff_ffff));
  w.put(_curveKey(k.publicKey, `${field}.publicKey`));
}

function _uniqueIds(list: readonly WirePreKey[], field: string, fail: (field: string, message: string) => Error): void {
  const seen = new Set<number>();
  list.forEach((k, i) => {
    if (seen.has(k.id)) throw fail(`${field}[${i}].id`, `"${field}[${i}].id" repeats id ${k.id} of an earlier ${field} entry`);
    seen.add(k.id);
  });
}

/** The length of `u`'s encoding. */
function _uploadLen(u: PrekeyUpload): number {
  return (
    1 + PREKEY_TAG_LEN + CURVE_KEY_LEN + 4 + 1 +
    (u.signedPreKey ? SIGNED_PREKEY_LEN : 0) +
    (u.lastResortKyberPreKey ? SIGNED_KEM_PREKEY_LEN : 0) +
    2 + u.preKeys.length * ONE_TIME_PREKEY_LEN +
    2 + u.kyberPreKeys.length * SIGNED_KEM_PREKEY_LEN +
    PREKEY_CHALLENGE_LEN + XEDDSA_SIGNATURE_LEN
  );
}

/**
 * Encodes an upload. To sign one, encode it with any 64-byte `signature`, sign
 * {@link prekeyUploadProofMessage} of the result, and write the signature into its last 64 bytes.
 * Throws TypeError / RangeError naming the field for a value the decoder would refuse.
 */
export function encodePrekeyUpload(u: PrekeyUpload): Uint8Array {
  if (typeof u !== 'object' || u === null) throw new TypeError('"upload" expected object');
  _abytes(u.tag, 'tag', PREKEY_TAG_LEN);
  _curveKey(u.identityKey, 'identityKey');
  _aint(u.registrationId, 'registrationId', 0, 0xffff_ffff);
  _aarray(u.preKeys, 'preKeys', 0, MAX_UPLOAD_PREKEYS);
  _aarray(u.kyberPreKeys, 'kyberPreKeys', 0, MAX_UPLOAD_KYBER_PREKEYS);
  _abytes(u.challenge, 'challenge', PREKEY_CHALLENGE_LEN);
  _abytes(u.signature, 'signature', XEDDSA_SIGNATURE_LEN);
  const bug = (_: string, message: string) => new RangeError(message);
  _uniqueIds(u.preKeys, 'preKeys', bug);
  _uniqueIds(u.kyberPreKeys, 'kyberPreKeys', bug);
  const w = new _Writer(_uploadLen(u));
  w.u8(PREKEY_BODY_VERSION);
  w.put(u.tag);
  w.put(u.identityKey);
  w.u32(u.registrationId);
  w.u8((u.signedPreKey ? _UPLOAD_HAS_SPK : 0) | (u.lastResortKyberPreKey ? _UPLOAD_HAS_LAST_RESORT : 0));
  if (u.signedPreKey) _writeSigned(w, u.signedPreKey, 'signedPreKey', false);
  if (u.lastResortKyberPreKey) _writeSigned(w, u.lastResortKyberPreKey, 'lastResortKyberPreKey', true);
  w.u16(u.preKeys.length);
  u.preKeys.forEach((k, i) => _writeOneTime(w, k, `preKeys[${i}]`));
  w.u16(u.kyberPreKeys.length);
  u.kyberPreKeys.forEach((k, i) => _writeSigned(w, k, `kyberPreKeys[${i}]`, true));
  w.put(u.challenge);
  w.put(u.signature);
  return w.bytes;
}

// Decoding: the frame cursor throws ProtocolError for a short read or bytes left over; here that
// is a prekey MALFORMED, with the same field and message.
function _decoding<T>(what: string, bytes: unknown, max: number, fn: (r: _Reader) => T): T {
  if (!(bytes instanceof Uint8Array)) throw new PrekeyError('MALFORMED', what, `"${what}" expected Uint8Array`);
  if (bytes.length > max) throw new PrekeyError('TOO_LARGE', what, `"${what}" expected at most ${_plural(max)}, got ${bytes.length}`);
  try {
    const r = new _Reader(bytes);
    const version = r.u8('version');
    if (version !== PREKEY_BODY_VERSION) throw new PrekeyError('MALFORMED', 'version', `"version" expected ${PREKEY_BODY_VERSION}, got ${version}`);
    const out = fn(r);
    r.end(what);
    return out;
  } catch (err) {
    if (err instanceof ProtocolError) throw new PrekeyError('MALFORMED', err.field, err.message, { cause: err });
    throw err;
  }
}

function _readCurve(r: _Reader, field: string): Uint8Array {
  const k = r.take(CURVE_KEY_LEN, field);
  if (k[0] !== 0x05) throw new PrekeyError('BAD_KEY', field, `"${field}" expected key type 0x05, got 0x${k[0]!.toString(16).padStart(2, '0')}`);
  return k;
}

function _readKem(r: _Reader, field: string): Uint8Array {
  const k = r.take(KEM_KEY_LEN, field);
  if (!_KEM_TYPES.has(k[0]!))
    throw new PrekeyError('BAD_KEY', field, `"${field}" expected KEM type 0x08 (Kyber-1024) or 0x0a (ML-KEM-1024), got 0x${k[0]!.toString(16).padStart(2, '0')}`);
  return k;
}

function _readSigned(r: _Reader, field: string, kem: boolean): WireSignedPreKey {
  const id = r.u32(`${field}.id`);
  const publicKey = kem ? _readKem(r, `${field}.publicKey`) : _readCurve(r, `${field}.publicKey`);
  return { id, publicKey, signature: r.take(XEDDSA_SIGNATURE_LEN, `${field}.signature`) };
}

function _count(r: _Reader, field: string, max: number): number {
  const n = r.u16(`${field}Count`);
  if (n > max) throw new PrekeyError('MALFORMED', `${field}Count`, `"${field}Count" expected 0..${max}, got ${n}`);
  return n;
}

function _flags(r: _Reader, allowed: number): number {
  const f = r.u8('flags');
  if ((f & ~allowed) !== 0) throw new PrekeyError('MALFORMED', 'flags', `"flags" expected only bits 0x${allowed.toString(16).padStart(2, '0')}, got 0x${f.toString(16).padStart(2, '0')}`);
  return f;
}

/**
 * Decodes an upload body. Throws {@link PrekeyError}: TOO_LARGE (over MAX_PREKEY_UPLOAD_BYTES,
 * before parsing), MALFORMED (cut short, bytes left over, a count or flag out of range, a repeated
 * id), BAD_KEY (a key with the wrong type byte). Byte fields are views of `bytes`. Signatures are
 * not checked here: that is the prekey service's job.
 */
export function decodePrekeyUpload(bytes: Uint8Array): PrekeyUpload {
  return _decoding('upload', bytes, MAX_PREKEY_UPLOAD_BYTES, (r) => {
    const tag = r.take(PREKEY_TAG_LEN, 'tag');
    const identityKey = _readCurve(r, 'identityKey');
    const registrationId = r.u32('registrationId');
    const flags = _flags(r, _UPLOAD_HAS_SPK | _UPLOAD_HAS_LAST_RESORT);
    const signedPreKey = flags & _UPLOAD_HAS_SPK ? _readSigned(r, 'signedPreKey', false) : undefined;
    const lastResortKyberPreKey = flags & _UPLOAD_HAS_LAST_RESORT ? _readSigned(r, 'lastResortKyberPreKey', true) : undefined;
    const nPre = _count(r, 'preKey', MAX_UPLOAD_PREKEYS);
    const preKeys: WirePreKey[] = [];
    for (let i = 0; i < nPre; i++) preKeys.push({ id: r.u32(`preKeys[${i}].id`), publicKey: _readCurve(r, `preKeys[${i}].publicKey`) });
    const nKyber = _count(r, 'kyberPreKey', MAX_UPLOAD_KYBER_PREKEYS);
    const kyberPreKeys: WireSignedPreKey[] = [];
    for (let i = 0; i < nKyber; i++) kyberPreKeys.push(_readSigned(r, `kyberPreKeys[${i}]`, true));
    const challenge = r.take(PREKEY_CHALLENGE_LEN, 'challenge');
    const signature = r.take(XEDDSA_SIGNATURE_LEN, 'signature');
    const malformed = (field: string, message: string) => new PrekeyError('MALFORMED', field, message);
    _uniqueIds(preKeys, 'preKeys', malformed);
    _uniqueIds(kyberPreKeys, 'kyberPreKeys', malformed);
    return { tag, identityKey, registrationId, signedPreKey, lastResortKyberPreKey, preKeys, kyberPreKeys, challenge, signature };
  });
}

/** Encodes an upload reply. */
export function encodePrekeyUploadReply(v: PrekeyUploadReply): Uint8Array {
  if (typeof v !== 'object' || v === null) throw new TypeError('"reply" expected object');
  const w = new _Writer(PREKEY_UPLOAD_REPLY_LEN);
  w.u8(PREKEY_BODY_VERSION);
  w.u8((v.signedPreKey ? 1 : 0) | (v.lastResortKyberPreKey ? 2 : 0));
  w.u32(_aint(v.preKeys, 'preKeys', 0, 0xffff_ffff));
  w.u32(_aint(v.kyberPreKeys, 'kyberPreKeys', 0, 0xffff_ffff));
  return w.bytes;
}

/** Decodes an upload reply; {@link PrekeyError} MALFORMED otherwise. */
export function decodePrekeyUploadReply(bytes: Uint8Array): PrekeyUploadReply {
  return _decoding('reply', bytes, PREKEY_UPLOAD_REPLY_LEN, (r) => {
    const flags = _flags(r, 0x03);
    return { signedPreKey: (flags & 1) !== 0, lastResortKyberPreKey: (flags & 2) !== 0, preKeys: r.u32('preKeys'), kyberPreKeys: r.u32('kyberPreKeys') };
  });
}

/** Encodes a fetch request for `address`. */
export function encodePrekeyFetch(address: Uint8Array): Uint8Array {
  _abytes(address, 'address', PREKEY_ADDRESS_LEN);
  const w = new _Writer(PREKEY_FETCH_LEN);
  w.u8(PREKEY_BODY_VERSION);
  w.put(address);
  return w.bytes;
}

/** The address of a fetch request body; {@link PrekeyError} MALFORMED or TOO_LARGE otherwise. */
export function decodePrekeyFetch(bytes: Uint8Array): Uint8Array {
  return _decoding('fetch', bytes, PREKEY_FETCH_LEN, (r) => r.take(PREKEY_ADDRESS_LEN, 'address'));
}

/** Encodes a bundle (a fetch's answer). */
export function encodePrekeyBundle(b: WirePrekeyBundle): Uint8Array {
  if (typeof b !== 'object' || b === null) throw new TypeError('"bundle" expected object');
  _curveKey(b.identityKey, 'identityKey');
  _aint(b.registrationId, 'registrationId', 0, 0xffff_ffff);
  const w = new _Writer(MAX_PREKEY_BUNDLE_BYTES - (b.preKey ? 0 : ONE_TIME_PREKEY_LEN));
  w.u8(PREKEY_BODY_VERSION);
  w.u8((b.preKey ? _BUNDLE_HAS_PREKEY : 0) | (b.kyberLastResort ? _BUNDLE_LAST_RESORT : 0));
  w.put(b.identityKey);
  w.u32(b.registrationId);
  _writeSigned(w, b.signedPreKey, 'signedPreKey', false);
  _writeSigned(w, b.kyberPreKey, 'kyberPreKey', true);
  if (b.preKey) _writeOneTime(w, b.preKey, 'preKey');
  return w.bytes;
}

/** Decodes a bundle; {@link PrekeyError} MALFORMED, TOO_LARGE or BAD_KEY otherwise. Signatures are the SDK's to check. */
export function decodePrekeyBundle(bytes: Uint8Array): WirePrekeyBundle {
  return _decoding('bundle', bytes, MAX_PREKEY_BUNDLE_BYTES, (r) => {
    const flags = _flags(r, _BUNDLE_HAS_PREKEY | _BUNDLE_LAST_RESORT);
    const identityKey = _readCurve(r, 'identityKey');
    const registrationId = r.u32('registrationId');
    const signedPreKey = _readSigned(r, 'signedPreKey', false);
    const kyberPreKey = _readSigned(r, 'kyberPreKey', true);
    const preKey = flags & _BUNDLE_HAS_PREKEY ? { id: r.u32('preKey.id'), publicKey: _readCurve(r, 'preKey.publicKey') } : undefined;
    return { identityKey, registrationId, signedPreKey, kyberPreKey, kyberLastResort: (flags & _BUNDLE_LAST_RESORT) !== 0, preKey };
  });
}
