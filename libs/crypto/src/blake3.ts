import { blake3 as _blake3 } from '@noble/hashes/blake3.js';

/** BLAKE3 hash of `data`; `dkLen` bytes of output (default 32). */
export function blake3(data: Uint8Array, dkLen = 32): Uint8Array {
  return _blake3(data, { dkLen });
}
