// Byte plumbing: assertion helpers for caller bugs (TypeError / RangeError naming the field and the
// limit) and length-prefixed concatenation for everything that is hashed or signed.
import { DirectoryError } from './errors.js';

/** @internal */
export function _typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}

/** Asserts `value` is a Uint8Array, of exactly `len` bytes when given. @internal */
export function _abytes(value: unknown, field: string, len?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`"${field}" expected Uint8Array, got ${_typeName(value)}`);
  if (len !== undefined && value.length !== len) {
    throw new RangeError(`"${field}" expected ${len} bytes, got ${value.length}`);
  }
  return value;
}

/** Asserts `value` is an integer in min..max. @internal */
export function _aint(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`"${field}" expected integer, got ${_typeName(value)}`);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`"${field}" expected integer ${min}..${max}, got ${value}`);
  }
  return value;
}

/** Untrusted bytes of the wrong length: a typed refusal rather than a caller bug. @internal */
export function _input(value: unknown, field: string, len: number): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== len) {
    const got = value instanceof Uint8Array ? `${value.length} bytes` : _typeName(value);
    throw new DirectoryError('MALFORMED', field, `"${field}" expected ${len} bytes, got ${got}`);
  }
  return value;
}

const _enc = new TextEncoder();

/** UTF-8 of a string. @internal */
export function _utf8(s: string): Uint8Array {
  return _enc.encode(s);
}

/**
 * Each part prefixed by its length (u32 big-endian), so no two different lists of parts give the
 * same bytes: what every hash, KDF input and signed message here is made of. @internal
 */
export function _lp(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += 4 + p.length;
  const out = new Uint8Array(n);
  const dv = new DataView(out.buffer);
  let o = 0;
  for (const p of parts) {
    dv.setUint32(o, p.length);
    out.set(p, o + 4);
    o += 4 + p.length;
  }
  return out;
}

/** u64 big-endian of a safe integer. @internal */
export function _u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

/** Constant-time equality of two byte strings. @internal */
export function _equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Zeroes secrets before they are dropped. @internal */
export function _wipe(...bufs: Uint8Array[]): void {
  for (const b of bufs) b.fill(0);
}
