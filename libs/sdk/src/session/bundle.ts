/**
 * A prekey bundle: what a peer publishes so that anyone can start a PQXDH session with it while it
 * is offline. Keys are in libsignal's serialized forms (`keys.ts`); the signatures are XEdDSA by
 * the identity key over those forms, exactly as libsignal signs and checks them.
 * @module
 */
import type { CryptoBackend } from '@tacit/crypto';
import { SessionError } from './errors.js';
import { parseCurveKey, parseKem, type KemType } from './keys.js';
import { _decodeProto, _ProtoWriter, _u32 } from './proto.js';

/** A signed prekey as published. */
export interface SignedPublicPreKey {
  /** Key id, 0..2^32-1. */
  readonly id: number;
  /** `0x05 || 32` (Curve25519) or `type || 1568` (KEM), as signed. */
  readonly publicKey: Uint8Array;
  /** XEdDSA signature of `publicKey` by the identity key (64 bytes). */
  readonly signature: Uint8Array;
}

/** Everything needed to start a session with one device of a peer. */
export interface PreKeyBundle {
  /** The peer's registration id (echoed in its session-starting message), 0..2^32-1. */
  readonly registrationId: number;
  /** The peer's device id, 1..127 as libsignal allows. */
  readonly deviceId: number;
  /** The peer's identity key, `0x05 || 32`. */
  readonly identityKey: Uint8Array;
  /** The current signed prekey (Curve25519). */
  readonly signedPreKey: SignedPublicPreKey;
  /** A signed post-quantum prekey: one-time when the pool had one, else the last-resort key. */
  readonly kyberPreKey: SignedPublicPreKey;
  /** A one-time Curve25519 prekey, when the pool had one. */
  readonly preKey?: { readonly id: number; readonly publicKey: Uint8Array } | undefined;
}

/** A bundle's keys, checked: raw 32-byte Curve25519 keys, the KEM key with its type. */
export interface _VerifiedBundle {
  readonly registrationId: number;
  readonly identityKey: Uint8Array;
  readonly signedPreKeyId: number;
  readonly signedPreKey: Uint8Array;
  readonly kyberPreKeyId: number;
  readonly kyberType: KemType;
  readonly kyberPreKey: Uint8Array;
  readonly preKeyId: number | undefined;
  readonly preKey: Uint8Array | undefined;
}

function _id(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff)
    throw new SessionError('MALFORMED', field, `"${field}" expected an integer 0..4294967295, got ${typeof v === 'number' ? v : typeof v}`);
  return v;
}

function _sig(v: unknown, field: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== 64)
    throw new SessionError('BAD_KEY', field, `"${field}" expected 64 bytes, got ${v instanceof Uint8Array ? v.length : typeof v}`);
  return v;
}

/**
 * Checks a bundle: key types and lengths, then both signatures. Throws `SessionError`: `BAD_KEY`
 * or `MALFORMED` naming the field, `BAD_SIGNATURE` naming the prekey whose signature fails.
 */
export function _verifyBundle(backend: CryptoBackend, b: PreKeyBundle): _VerifiedBundle {
  if (typeof b !== 'object' || b === null) throw new SessionError('MALFORMED', 'bundle', '"bundle" expected an object');
  const registrationId = _id(b.registrationId, 'bundle.registrationId');
  if (!Number.isInteger(b.deviceId) || b.deviceId < 1 || b.deviceId > 127)
    throw new SessionError('MALFORMED', 'bundle.deviceId', `"bundle.deviceId" expected 1..127, got ${String(b.deviceId)}`);
  const identityKey = parseCurveKey(b.identityKey, 'bundle.identityKey');
  if (typeof b.signedPreKey !== 'object' || b.signedPreKey === null)
    throw new SessionError('MALFORMED', 'bundle.signedPreKey', '"bundle.signedPreKey" is missing');
  if (typeof b.kyberPreKey !== 'object' || b.kyberPreKey === null)
    throw new SessionError('MALFORMED', 'bundle.kyberPreKey', '"bundle.kyberPreKey" is missing');
  const signedPreKeyId = _id(b.signedPreKey.id, 'bundle.signedPreKey.id');
  const signedPreKey = parseCurveKey(b.signedPreKey.publicKey, 'bundle.signedPreKey.publicKey');
  const spkSig = _sig(b.signedPreKey.signature, 'bundle.signedPreKey.signature');
  const kyberPreKeyId = _id(b.kyberPreKey.id, 'bundle.kyberPreKey.id');
  const kem = parseKem(b.kyberPreKey.publicKey, 'bundle.kyberPreKey.publicKey');
  const kpkSig = _sig(b.kyberPreKey.signature, 'bundle.kyberPreKey.signature');
  let preKeyId: number | undefined;
  let preKey: Uint8Array | undefined;
  if (b.preKey !== undefined) {
    preKeyId = _id(b.preKey.id, 'bundle.preKey.id');
    preKey = parseCurveKey(b.preKey.publicKey, 'bundle.preKey.publicKey');
  }
  if (!backend.xeddsa.verify(identityKey, b.signedPreKey.publicKey, spkSig))
    throw new SessionError('BAD_SIGNATURE', 'bundle.signedPreKey.signature', 'the signed prekey is not signed by the bundle\'s identity key');
  if (!backend.xeddsa.verify(identityKey, b.kyberPreKey.publicKey, kpkSig))
    throw new SessionError('BAD_SIGNATURE', 'bundle.kyberPreKey.signature', 'the post-quantum prekey is not signed by the bundle\'s identity key');
  return {
    registrationId,
    identityKey,
    signedPreKeyId,
    signedPreKey,
    kyberPreKeyId,
    kyberType: kem.type,
    kyberPreKey: kem.raw,
    preKeyId,
    preKey,
  };
}

/**
 * A bundle as bytes (protobuf: 1 registration id, 2 device id, 3 identity key, 4/5/6 signed prekey
 * id/key/signature, 7/8/9 post-quantum prekey id/key/signature, 10/11 one-time prekey id/key), for
 * invites and the prekey service. Not a libsignal format: libsignal has none for bundles.
 */
export function encodeBundle(b: PreKeyBundle): Uint8Array {
  return new _ProtoWriter()
    .uint32(1, b.registrationId)
    .uint32(2, b.deviceId)
    .bytes(3, b.identityKey)
    .uint32(4, b.signedPreKey.id)
    .bytes(5, b.signedPreKey.publicKey)
    .bytes(6, b.signedPreKey.signature)
    .uint32(7, b.kyberPreKey.id)
    .bytes(8, b.kyberPreKey.publicKey)
    .bytes(9, b.kyberPreKey.signature)
    .uint32(10, b.preKey?.id)
    .bytes(11, b.preKey?.publicKey)
    .finish();
}

/** The bundle of `encodeBundle` bytes (not yet verified); `SessionError` `MALFORMED` when fields are missing. */
export function decodeBundle(bytes: Uint8Array): PreKeyBundle {
  const what = 'bundle';
  const f = _decodeProto(bytes, what);
  const need = <T>(v: T | undefined, name: string): T => {
    if (v === undefined) throw new SessionError('MALFORMED', `bundle.${name}`, `"bundle" lacks its ${name} field`);
    return v;
  };
  const preKeyId = _u32(f, 10, what);
  const preKey = f.bytes.get(11);
  if ((preKeyId === undefined) !== (preKey === undefined))
    throw new SessionError('MALFORMED', 'bundle.preKey', '"bundle" has a one-time prekey id or key without the other');
  return {
    registrationId: need(_u32(f, 1, what), 'registrationId'),
    deviceId: need(_u32(f, 2, what), 'deviceId'),
    identityKey: need(f.bytes.get(3), 'identityKey').slice(),
    signedPreKey: {
      id: need(_u32(f, 4, what), 'signedPreKey.id'),
      publicKey: need(f.bytes.get(5), 'signedPreKey.publicKey').slice(),
      signature: need(f.bytes.get(6), 'signedPreKey.signature').slice(),
    },
    kyberPreKey: {
      id: need(_u32(f, 7, what), 'kyberPreKey.id'),
      publicKey: need(f.bytes.get(8), 'kyberPreKey.publicKey').slice(),
      signature: need(f.bytes.get(9), 'kyberPreKey.signature').slice(),
    },
    preKey: preKeyId === undefined ? undefined : { id: preKeyId, publicKey: preKey!.slice() },
  };
}
