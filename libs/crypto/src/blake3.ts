/**
 * BLAKE3 (hash, keyed hash, key derivation, extendable output). Node has no BLAKE3, so both
 * backends use @noble/hashes.
 * @module
 */
import { blake3 as _blake3 } from '@noble/hashes/blake3.js';
import { _bytes, _int, _string } from './_bytes.js';

/** Largest output, in bytes; BLAKE3 can stream more, but nothing here needs a longer keystream. */
export const BLAKE3_MAX_OUTPUT = 65536;

const _utf8 = new TextEncoder();

/** BLAKE3 hash of `data`; `dkLen` bytes of output (default 32, up to 65536). */
export function blake3(data: Uint8Array, dkLen = 32): Uint8Array {
  _bytes('data', data);
  _int('dkLen', dkLen, 1, BLAKE3_MAX_OUTPUT);
  return _blake3(data, { dkLen });
}

/** BLAKE3 keyed hash (a MAC / PRF) of `data` under a 32-byte `key`. */
export function blake3Keyed(key: Uint8Array, data: Uint8Array, dkLen = 32): Uint8Array {
  _bytes('key', key, 32);
  _bytes('data', data);
  _int('dkLen', dkLen, 1, BLAKE3_MAX_OUTPUT);
  return _blake3(data, { key, dkLen });
}

/**
 * BLAKE3 derive_key: a key for the purpose named by `context` (a hard-coded, globally unique
 * string, e.g. "tacit 2025-06 destination hash v1") from key `material`.
 */
export function blake3DeriveKey(context: string, material: Uint8Array, dkLen = 32): Uint8Array {
  _string('context', context);
  _bytes('material', material);
  _int('dkLen', dkLen, 1, BLAKE3_MAX_OUTPUT);
  return _blake3(material, { context: _utf8.encode(context), dkLen });
}
