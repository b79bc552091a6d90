/**
 * SHA-256 and SHA-512 (FIPS 180-4), one-shot. SHA-512 is what XEdDSA and Signal's safety numbers
 * hash with; SHA-256 is here for the same reason as every other primitive: one checked entry.
 * @module
 */
import { _bytes } from './_bytes.js';

/** SHA-256 of `data`: 32 bytes. */
export type Sha256 = (data: Uint8Array) => Uint8Array;
/** SHA-512 of `data`: 64 bytes. */
export type Sha512 = (data: Uint8Array) => Uint8Array;

/** Backend part: raw one-shot digests, input already checked. */
export interface _Sha2Core {
  sha256(data: Uint8Array): Uint8Array;
  sha512(data: Uint8Array): Uint8Array;
}

/** Wraps a backend core with the shared input checks. */
export function _sha2(core: _Sha2Core): { sha256: Sha256; sha512: Sha512 } {
  return {
    sha256(data) {
      _bytes('data', data);
      return core.sha256(data);
    },
    sha512(data) {
      _bytes('data', data);
      return core.sha512(data);
    },
  };
}
