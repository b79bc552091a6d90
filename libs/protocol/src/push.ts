// What a device signs to bind its mailboxes to a push target (docs/push.md). The message commits to
// the clock, the exact target and the exact list of dests, so the push service can neither be fed a
// registration for another target nor one widened to more dests, and a captured one goes stale.
import { blake3 } from '@tacit/crypto';
import { _aarray, _abytes, _aint, _ascii, _typeName } from './_bytes.js';
import { DEST_HASH_LEN, MAX_CLAIM, PUSH_OFF_DOMAIN, PUSH_REGISTRATION_DOMAIN } from './constants.js';

/** A push provider, as {@link pushTargetBytes} numbers it (the same numbers as `tacit.push.v1.PushProvider`). */
export const PUSH_PROVIDER_BYTE = Object.freeze({ apns: 1, fcm: 2, webpush: 3 } as const);

/** A push provider's name. */
export type PushProviderName = keyof typeof PUSH_PROVIDER_BYTE;

/**
 * Where a wake goes. APNs and FCM use `token`; Web Push uses `endpoint`, `p256dh` and `auth`. A field
 * a provider does not use is the empty string (or absent), and is signed as such.
 */
export interface PushTargetFields {
  readonly provider: PushProviderName;
  readonly token?: string;
  readonly endpoint?: string;
  readonly p256dh?: string;
  readonly auth?: string;
}

const _REG = _ascii(PUSH_REGISTRATION_DOMAIN);
const _OFF = _ascii(PUSH_OFF_DOMAIN);
const _enc = new TextEncoder();

/** Length of a {@link pushRegistrationMessage}: domain (13) + issuedAtMs (8) + BLAKE3 of the target (32) + BLAKE3 of the dests (32). */
export const PUSH_REGISTRATION_MESSAGE_LEN = _REG.length + 8 + 32 + 32;
/** Length of a {@link pushUnregisterMessage}: domain (17) + issuedAtMs (8). */
export const PUSH_UNREGISTER_MESSAGE_LEN = _OFF.length + 8;

function _field(value: unknown, field: string): Uint8Array {
  if (value === undefined) return new Uint8Array(0);
  if (typeof value !== 'string') throw new TypeError(`"${field}" expected string, got ${_typeName(value)}`);
  const b = _enc.encode(value);
  if (b.length > 0xffff) throw new RangeError(`"${field}" expected at most 65535 UTF-8 bytes, got ${b.length}`);
  return b;
}

/**
 * Canonical bytes of a push target: provider byte || for each of token, endpoint, p256dh, auth (in
 * that order, empty when unused): u16 BE UTF-8 length || UTF-8 bytes.
 */
export function pushTargetBytes(target: PushTargetFields): Uint8Array {
  if (target === null || typeof target !== 'object') throw new TypeError(`"target" expected object, got ${_typeName(target)}`);
  const provider = (PUSH_PROVIDER_BYTE as Record<string, number | undefined>)[target.provider as string];
  if (provider === undefined || !Object.hasOwn(PUSH_PROVIDER_BYTE, target.provider)) {
    throw new RangeError(`"target.provider" expected apns, fcm or webpush, got ${JSON.stringify(target.provider)}`);
  }
  const parts = [
    _field(target.token, 'target.token'),
    _field(target.endpoint, 'target.endpoint'),
    _field(target.p256dh, 'target.p256dh'),
    _field(target.auth, 'target.auth'),
  ];
  const out = new Uint8Array(1 + parts.reduce((n, p) => n + 2 + p.length, 0));
  const view = new DataView(out.buffer);
  out[0] = provider;
  let at = 1;
  for (const p of parts) {
    view.setUint16(at, p.length);
    out.set(p, at + 2);
    at += 2 + p.length;
  }
  return out;
}

function _u64(out: Uint8Array, at: number, issuedAtMs: number): void {
  _aint(issuedAtMs, 'issuedAtMs', 0, Number.MAX_SAFE_INTEGER);
  new DataView(out.buffer, out.byteOffset).setBigUint64(at, BigInt(issuedAtMs));
}

/**
 * Bytes a peer key signs (Ed25519) to register for push: "tacit/v1/push" || u64 BE issuedAtMs ||
 * BLAKE3({@link pushTargetBytes}(target)) || BLAKE3(dests[0] || … || dests[n-1]). 1..1024 dests of 32 bytes.
 */
export function pushRegistrationMessage(issuedAtMs: number, target: PushTargetFields, dests: readonly Uint8Array[]): Uint8Array {
  _aarray(dests, 'dests', 1, MAX_CLAIM);
  const all = new Uint8Array(dests.length * DEST_HASH_LEN);
  for (let i = 0; i < dests.length; i++) all.set(_abytes(dests[i], `dests[${i}]`, DEST_HASH_LEN), i * DEST_HASH_LEN);
  const out = new Uint8Array(PUSH_REGISTRATION_MESSAGE_LEN);
  out.set(_REG, 0);
  _u64(out, _REG.length, issuedAtMs);
  out.set(blake3(pushTargetBytes(target)), _REG.length + 8);
  out.set(blake3(all), _REG.length + 8 + 32);
  return out;
}

/** Bytes a peer key signs (Ed25519) to drop its push registration: "tacit/v1/push-off" || u64 BE issuedAtMs. */
export function pushUnregisterMessage(issuedAtMs: number): Uint8Array {
  const out = new Uint8Array(PUSH_UNREGISTER_MESSAGE_LEN);
  out.set(_OFF, 0);
  _u64(out, _OFF.length, issuedAtMs);
  return out;
}
