/**
 * HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869), which is built on it.
 * @module
 */
import { _bytes, _equal, _int, _wipe } from './_bytes.js';
import { CryptoRangeError } from './errors.js';

/** Largest HKDF-SHA256 output: 255 blocks of 32 bytes (RFC 5869 §2.3). */
export const HKDF_SHA256_MAX_LENGTH = 8160;

/** Longest HKDF `info`: node:crypto refuses more, so the portable backend does too. */
export const HKDF_SHA256_MAX_INFO = 1024;

/** HMAC-SHA256 of `data` under `key` (any length); 32 bytes. */
export type HmacSha256 = (key: Uint8Array, data: Uint8Array) => Uint8Array;
/** True when the 32-byte `tag` is the HMAC-SHA256 of `data`; compared in constant time. */
export type HmacSha256Verify = (key: Uint8Array, data: Uint8Array, tag: Uint8Array) => boolean;
/** HKDF-SHA256 extract-and-expand: `length` bytes (1..8160), `info` up to 1024 bytes; an empty salt means 32 zero bytes. */
export type HkdfSha256 = (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) => Uint8Array;

/** Wraps a backend HMAC with the shared input checks; returns the hmac and its verifier. */
export function _hmacSha256(core: HmacSha256): { hmacSha256: HmacSha256; hmacSha256Verify: HmacSha256Verify } {
  const hmacSha256: HmacSha256 = (key, data) => {
    _bytes('key', key);
    _bytes('data', data);
    return core(key, data);
  };
  const hmacSha256Verify: HmacSha256Verify = (key, data, tag) => {
    _bytes('key', key);
    _bytes('data', data);
    // Truncated tags are refused outright: accepting a 1-byte tag would be a 1-in-256 forgery.
    _bytes('tag', tag, 32);
    const mac = core(key, data);
    const ok = _equal(mac, tag);
    _wipe(mac);
    return ok;
  };
  return { hmacSha256, hmacSha256Verify };
}

/** Wraps a backend HKDF with the shared input checks. */
export function _hkdfSha256(core: HkdfSha256): HkdfSha256 {
  return (ikm, salt, info, length) => {
    _bytes('ikm', ikm);
    _bytes('salt', salt);
    _bytes('info', info);
    if (info.length > HKDF_SHA256_MAX_INFO)
      throw new CryptoRangeError('BAD_LENGTH', 'info', `"info" expected at most ${HKDF_SHA256_MAX_INFO} bytes, got ${info.length}`);
    _int('length', length, 1, HKDF_SHA256_MAX_LENGTH);
    return core(ikm, salt, info, length);
  };
}
