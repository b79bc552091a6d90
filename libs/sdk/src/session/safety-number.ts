/**
 * Safety numbers: the digits two users compare (or the QR code they scan) to check that each
 * holds the other's real identity key. Computed as libsignal's NumericFingerprintGenerator:
 *
 *     fingerprint(id, key) = H^iterations, H_0 = SHA-512(0x0000 || key || id || key),
 *                            H_i = SHA-512(H_(i-1) || key)        (key = 0x05 || identity key)
 *     digits(f)            = six 5-digit groups: each 5 bytes of f[0..30] as a big-endian
 *                            integer mod 100000, zero-padded
 *     displayed            = the two 30-digit strings, the smaller first (so both users see the same 60 digits)
 *     scannable            = protobuf { 1: version, 2: { 1: local f[0..32] }, 3: { 1: remote f[0..32] } }
 *
 * The stable id is whatever both sides agree names each user (Signal uses its account ids; a Tacit
 * app may use the peer's mailbox key). 5200 iterations is what Signal's apps use.
 * @module
 */
import { defaultBackend, type CryptoBackend } from '@tacit/crypto';
import { SessionError } from './errors.js';
import { serializeCurveKey } from './keys.js';
import { _ProtoWriter } from './proto.js';

/** Hash iterations of Signal's apps. */
export const SAFETY_NUMBER_ITERATIONS = 5200;

/** A safety number as each side shows it. */
export interface SafetyNumber {
  /** 60 digits, the same on both sides (usually shown as 12 groups of 5). */
  readonly digits: string;
  /** The QR payload: our fingerprint first; the peer's scan compares it crosswise. */
  readonly scannable: Uint8Array;
}

function _fingerprint(backend: CryptoBackend, iterations: number, id: Uint8Array, identityKey: Uint8Array): Uint8Array {
  const key = serializeCurveKey(identityKey);
  const first = new Uint8Array(2 + key.length * 2 + id.length);
  first.set(key, 2);
  first.set(id, 2 + key.length);
  first.set(key, 2 + key.length + id.length);
  let h = backend.sha512(first);
  const buf = new Uint8Array(64 + key.length);
  buf.set(key, 64);
  for (let i = 1; i < iterations; i++) {
    buf.set(h, 0);
    h = backend.sha512(buf);
  }
  return h;
}

function _digits(f: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 30; i += 5) {
    // Five bytes exceed 32 bits: combine in floating point, exact below 2^53.
    const n = f[i]! * 2 ** 32 + ((f[i + 1]! << 24) >>> 0) + (f[i + 2]! << 16) + (f[i + 3]! << 8) + f[i + 4]!;
    s += (n % 100000).toString().padStart(5, '0');
  }
  return s;
}

function _bytes(v: unknown, field: string, len?: number): Uint8Array {
  if (!(v instanceof Uint8Array) || (len !== undefined && v.length !== len))
    throw new SessionError('BAD_KEY', field, `"${field}" expected ${len ?? 'some'} bytes, got ${v instanceof Uint8Array ? v.length : typeof v}`);
  return v;
}

/**
 * The safety number between us (`localId`, our 32-byte identity key) and a peer; the same digits
 * libsignal's `Fingerprint` shows for the same ids, keys, iterations and version.
 */
export function safetyNumber(args: {
  readonly localId: Uint8Array;
  readonly localIdentityKey: Uint8Array;
  readonly remoteId: Uint8Array;
  readonly remoteIdentityKey: Uint8Array;
  /** Default 5200. */
  readonly iterations?: number;
  /** Scannable format version (default 2, Signal's for account ids). */
  readonly version?: number;
  readonly backend?: CryptoBackend;
}): SafetyNumber {
  const backend = args.backend ?? defaultBackend;
  const iterations = args.iterations ?? SAFETY_NUMBER_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 2 || iterations > 1_000_000)
    throw new SessionError('MALFORMED', 'iterations', `"iterations" expected 2..1000000, got ${String(iterations)}`);
  const version = args.version ?? 2;
  if (!Number.isInteger(version) || version < 0 || version > 0xffffffff)
    throw new SessionError('MALFORMED', 'version', `"version" expected a uint32, got ${String(version)}`);
  const local = _fingerprint(backend, iterations, _bytes(args.localId, 'localId'), _bytes(args.localIdentityKey, 'localIdentityKey', 32));
  const remote = _fingerprint(backend, iterations, _bytes(args.remoteId, 'remoteId'), _bytes(args.remoteIdentityKey, 'remoteIdentityKey', 32));
  const [a, b] = [_digits(local), _digits(remote)];
  const logical = (f: Uint8Array) => new _ProtoWriter().bytes(1, f.subarray(0, 32)).finish();
  return {
    digits: a < b ? a + b : b + a,
    scannable: new _ProtoWriter().uint32(1, version).bytes(2, logical(local)).bytes(3, logical(remote)).finish(),
  };
}
