/**
 * SHA-256 and SHA-512 (FIPS 180-4), one-shot, and SHA-256 incrementally (`sha256.create()`, as
 * noble spells it) for data that never sits in memory whole (a media blob's digest). SHA-512 is
 * what XEdDSA and Signal's safety numbers hash with; SHA-256 is here for the same reason as every
 * other primitive: one checked entry.
 * @module
 */
import { _bytes } from './_bytes.js';
import { CryptoRangeError } from './errors.js';

/** An incremental hash: `update` with each piece in order, then `digest` once. */
export interface HashStream {
  /** Feeds `data`; returns this hasher. Throws `CryptoError` BAD_VALUE after `digest`. */
  update(data: Uint8Array): HashStream;
  /** The digest of everything fed; the hasher is spent afterwards. */
  digest(): Uint8Array;
}

/** SHA-256 of `data`: 32 bytes; `sha256.create()` hashes incrementally. */
export type Sha256 = ((data: Uint8Array) => Uint8Array) & { readonly create: () => HashStream };
/** SHA-512 of `data`: 64 bytes. */
export type Sha512 = (data: Uint8Array) => Uint8Array;

/** Backend part: raw one-shot digests, input already checked. */
export interface _Sha2Core {
  sha256(data: Uint8Array): Uint8Array;
  sha512(data: Uint8Array): Uint8Array;
  /** Raw incremental SHA-256: `update` gets checked bytes, `digest` is called once. */
  sha256Create(): { update(data: Uint8Array): void; digest(): Uint8Array };
}

/** Wraps a backend core with the shared input checks. */
export function _sha2(core: _Sha2Core): { sha256: Sha256; sha512: Sha512 } {
  const sha256 = (data: Uint8Array): Uint8Array => {
    _bytes('data', data);
    return core.sha256(data);
  };
  const create = (): HashStream => {
    const h = core.sha256Create();
    let done = false;
    const spent = () => new CryptoRangeError('BAD_VALUE', 'digest', '"digest" was already taken: this hasher is spent');
    const self: HashStream = {
      update(data) {
        if (done) throw spent();
        _bytes('data', data);
        h.update(data);
        return self;
      },
      digest() {
        if (done) throw spent();
        done = true;
        return h.digest();
      },
    };
    return self;
  };
  return {
    sha256: Object.freeze(Object.assign(sha256, { create })),
    sha512(data) {
      _bytes('data', data);
      return core.sha512(data);
    },
  };
}
