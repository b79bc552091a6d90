/**
 * Internal input checks and byte helpers shared by both backends, so that both reject the same
 * inputs with the same errors. Nothing here imports node:* (the portable build uses it too).
 * @module
 */
import { CryptoRangeError, CryptoTypeError } from './errors.js';

/** True for a Uint8Array, including Buffer and arrays from another realm. */
export function _isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array || (ArrayBuffer.isView(v) && v.constructor.name === 'Uint8Array');
}

// Describes a value by type only: a message must never echo the value itself (it may be a key).
function _kind(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return (v as object).constructor?.name ?? 'object';
}

/** Asserts `v` is a Uint8Array, of exactly `len` bytes when given. */
export function _bytes(field: string, v: unknown, len?: number): asserts v is Uint8Array {
  if (!_isBytes(v)) throw new CryptoTypeError(field, `"${field}" expected Uint8Array, got ${_kind(v)}`);
  if (len !== undefined && v.length !== len)
    throw new CryptoRangeError('BAD_LENGTH', field, `"${field}" expected ${len} bytes, got ${v.length}`);
}

/** Asserts `v` is a Uint8Array of at least `min` bytes. */
export function _bytesMin(field: string, v: unknown, min: number): asserts v is Uint8Array {
  _bytes(field, v);
  if (v.length < min)
    throw new CryptoRangeError('BAD_LENGTH', field, `"${field}" expected at least ${min} bytes, got ${v.length}`);
}

/** Asserts `v` is an integer in `[min, max]`. */
export function _int(field: string, v: unknown, min: number, max: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    throw new CryptoTypeError(field, `"${field}" expected integer, got ${typeof v === 'number' ? String(v) : _kind(v)}`);
  if (v < min || v > max)
    throw new CryptoRangeError('BAD_VALUE', field, `"${field}" expected ${min}..${max}, got ${v}`);
}

/** Asserts `v` is a string. */
export function _string(field: string, v: unknown): asserts v is string {
  if (typeof v !== 'string') throw new CryptoTypeError(field, `"${field}" expected string, got ${_kind(v)}`);
}

/** Optional bytes: `undefined` becomes an empty array. */
export function _optBytes(field: string, v: unknown): Uint8Array {
  if (v === undefined) return _EMPTY;
  _bytes(field, v);
  return v;
}

/** Shared empty array; never written to. */
export const _EMPTY: Uint8Array = new Uint8Array(0);

/** Constant-time equality: the time depends on the lengths only. */
export function _equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Constant-time test for all-zero bytes. */
export function _isZero(a: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= a[i]!;
  return acc === 0;
}

/** Concatenates byte arrays into a new Uint8Array. */
export function _concat(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Overwrites secrets with zeros. */
export function _wipe(...arrays: (Uint8Array | undefined)[]): void {
  for (const a of arrays) a?.fill(0);
}

/** Hex to bytes for constants; not for input (no checks). */
export function _hex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Remembers one derived value (a KeyObject, an expanded key) per key array, by identity: the
 * caller's long-lived key array hits, a fresh copy misses. A copy of the bytes is checked on each
 * hit so that a key array mutated in place (or wiped) is never served a stale value.
 */
export class _IdentityCache<V> {
  #map = new WeakMap<Uint8Array, { copy: Uint8Array; value: V }>();

  /** Cached value for `key`, made by `make` on a miss. */
  get(key: Uint8Array, make: (key: Uint8Array) => V): V {
    const hit = this.#map.get(key);
    if (hit !== undefined && _equal(hit.copy, key)) return hit.value;
    const value = make(key);
    this.#map.set(key, { copy: Uint8Array.from(key), value });
    return value;
  }

  /** Records `value` for `key`, for keys the backend has just generated. */
  set(key: Uint8Array, value: V): void {
    this.#map.set(key, { copy: Uint8Array.from(key), value });
  }

  /** Forgets everything (entries otherwise live as long as their key arrays). */
  clear(): void {
    this.#map = new WeakMap();
  }
}

/** Bounded least-recently-used map for values derived from public bytes. */
export class _Lru<V> {
  readonly #max: number;
  #map = new Map<string, V>();

  constructor(max: number) {
    this.#max = max;
  }

  /** Cached value for `id`, made by `make` on a miss; evicts the oldest entry when full. */
  get(id: string, make: () => V): V {
    const hit = this.#map.get(id);
    if (hit !== undefined) {
      this.#map.delete(id);
      this.#map.set(id, hit);
      return hit;
    }
    const value = make();
    if (this.#map.size >= this.#max) this.#map.delete(this.#map.keys().next().value!);
    this.#map.set(id, value);
    return value;
  }

  /** Forgets everything. */
  clear(): void {
    this.#map.clear();
  }
}
