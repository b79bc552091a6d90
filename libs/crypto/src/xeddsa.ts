/**
 * XEdDSA (Signal's specification, revision 1): Ed25519-style signatures made and checked with
 * X25519 keys, so one Curve25519 identity key both agrees (X25519) and signs (prekeys).
 *
 * The variant is libsignal's, the one every Signal client checks: instead of negating the secret
 * scalar so that the Edwards public key's sign bit is 0 (the specification's `calculate_key_pair`),
 * the signer keeps its scalar and sends the sign bit in bit 255 of the signature, which is
 * otherwise always 0 (s < 2^253). A verifier takes the bit from there. Signatures made the
 * specification's way (bit 0) verify here too.
 *
 *     sign(k, M, Z):   k' = clamp(k), a = k' mod L, A = aB
 *                      r = SHA-512(0xFE || 0xFF*31 || k' || M || Z) mod L, R = rB
 *                      h = SHA-512(R || A || M) mod L, s = h*a + r mod L
 *                      signature = R || s, with bit 255 set to the sign bit of A
 *     verify(u, M, σ): A = the Edwards point of Montgomery u with the sign bit of σ[63]
 *                      (y = (u - 1) / (u + 1); u = -1 has none), s = σ[32..64] without bit 255;
 *                      then strict Ed25519 verification of R || s under A (this package's
 *                      `ed25519.verify`: canonical s and encodings, no small-order A or R).
 *
 * The scalar multiplications of signing run on @noble/curves in both backends (node:crypto signs
 * only with seeds it hashes itself, so it cannot sign with a given scalar); verification runs on
 * the backend's own Ed25519.
 * @module
 */
import { ed25519 as _ed } from '@noble/curves/ed25519.js';
import { _bytes, _concat, _IdentityCache, _Lru, _wipe } from './_bytes.js';
import type { Ed25519 } from './ed25519.js';
import type { Sha512 } from './sha2.js';

/** XEdDSA signatures over X25519 keys (libsignal's sign-bit convention). */
export interface XEdDSA {
  /** Lengths in bytes; `random` is the 64-byte nonce input Z. */
  readonly lengths: { readonly secretKey: 32; readonly publicKey: 32; readonly signature: 64; readonly random: 64 };
  /**
   * The 64-byte signature of `message` under the X25519 `secretKey` (clamped as X25519 clamps).
   * `random` (64 bytes, default fresh from the CSPRNG) makes the signature; pass it only for vectors.
   */
  sign(secretKey: Uint8Array, message: Uint8Array, random?: Uint8Array): Uint8Array;
  /**
   * True when `signature` is valid for `message` under the X25519 `publicKey`; false for any bad
   * signature or key. Throws `CryptoRangeError` for wrong lengths only.
   */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** What XEdDSA is built from, of one backend. */
export interface _XEdDSADeps {
  readonly ed25519: Ed25519;
  readonly sha512: Sha512;
  readonly randomBytes: (n: number) => Uint8Array;
}

const _P = _ed.Point;
const _L = _P.Fn.ORDER;
const _p = _P.Fp.ORDER;
const _HASH1_PREFIX = (() => {
  const b = new Uint8Array(32).fill(0xff);
  b[0] = 0xfe;
  return b;
})();

function _le(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

function _le32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

function _id(b: Uint8Array): string {
  return String.fromCharCode.apply(null, b as unknown as number[]);
}

/** X25519's clamping, on a copy. */
function _clamp(k: Uint8Array): Uint8Array {
  const c = Uint8Array.from(k);
  c[0]! &= 248;
  c[31]! &= 127;
  c[31]! |= 64;
  return c;
}

/**
 * The Edwards y-coordinate (32 bytes, sign bit clear) of the point with Montgomery u-coordinate
 * `u`: y = (u - 1) / (u + 1) mod p, with bit 255 of `u` ignored as RFC 7748 does. Null for
 * u = -1, which has no Edwards image. Whether (u, v) is on the curve is left to the decoding of
 * the result (`ed25519.verify` refuses a y with no x).
 */
export function _montgomeryToEdwardsY(u: Uint8Array): Uint8Array | null {
  const Fp = _P.Fp;
  // Uint8Array.from, not u.slice(): a Node Buffer's slice is a view, and the caller's key would lose its bit 255.
  const m = Uint8Array.from(u);
  m[31]! &= 0x7f;
  const x = Fp.create(_le(m));
  if (x === _p - 1n) return null;
  return _le32(Fp.mul(Fp.sub(x, 1n), Fp.inv(Fp.add(x, 1n))));
}

/** XEdDSA over one backend's SHA-512 and Ed25519. */
export function _xeddsa(deps: _XEdDSADeps): XEdDSA {
  // Converting u to y costs a field inversion: remember it per public key (public data).
  const ys = new _Lru<Uint8Array | null>(256);
  // a·B for a secret key: one noble scalar multiplication, worth keeping per key array.
  const edPublic = new _IdentityCache<Uint8Array>();
  return Object.freeze({
    lengths: Object.freeze({ secretKey: 32, publicKey: 32, signature: 64, random: 64 } as const),
    sign(secretKey: Uint8Array, message: Uint8Array, random?: Uint8Array): Uint8Array {
      _bytes('secretKey', secretKey, 32);
      _bytes('message', message);
      if (random !== undefined) _bytes('random', random, 64);
      const k = _clamp(secretKey);
      const z = random ?? deps.randomBytes(64);
      try {
        // Never 0: a clamped scalar is a multiple of 8 in [2^254, 2^255), and the first multiple
        // of L (odd) that is also a multiple of 8 is 8L > 2^255.
        const a = _le(k) % _L;
        const A = edPublic.get(secretKey, () => _P.BASE.multiply(a).toBytes());
        const rh = deps.sha512(_concat(_HASH1_PREFIX, k, message, z));
        const r = _le(rh) % _L;
        _wipe(rh);
        const R = r === 0n ? _P.ZERO.toBytes() : _P.BASE.multiply(r).toBytes();
        const h = _le(deps.sha512(_concat(R, A, message))) % _L;
        const sig = _concat(R, _le32((h * a + r) % _L));
        sig[63]! |= A[31]! & 0x80;
        return sig;
      } finally {
        _wipe(k);
        if (random === undefined) _wipe(z);
      }
    },
    verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      _bytes('publicKey', publicKey, 32);
      _bytes('message', message);
      _bytes('signature', signature, 64);
      // A copy whatever the input's class: Buffer#slice is a view, and clearing the sign bit in it
      // would change the caller's signature (a service verifying then storing it would store it broken).
      const sig = Uint8Array.from(signature);
      const sign = sig[63]! >> 7;
      sig[63]! &= 0x7f;
      // s must fit in 253 bits, as libsignal requires; ed25519.verify then requires s < L.
      if ((sig[63]! & 0xe0) !== 0) return false;
      const y = ys.get(_id(publicKey), () => _montgomeryToEdwardsY(publicKey));
      if (y === null) return false;
      const A = y.slice();
      A[31]! |= sign << 7;
      return deps.ed25519.verify(A, message, sig);
    },
  });
}
