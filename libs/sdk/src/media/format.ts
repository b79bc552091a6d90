/**
 * The encrypted media format (docs/media.md, "SDK"): sizes, padding, chunk layout and nonces. Pure
 * arithmetic, no I/O, no crypto.
 *
 *     padded   = plaintext || zero bytes, paddedSize(size) bytes
 *     chunk i  = padded[i·64 KiB, (i+1)·64 KiB)            (the last one may be shorter)
 *     ct i     = AES-256-GCM(key, nonce_i, chunk i, aad "tacit/v1/media") = chunk i || tag (16)
 *     nonce_i  = u64 BE i || u32 BE (1 if i is the last chunk else 0)
 *     blob     = ct 0 || ct 1 || … || ct n-1                   (what the media service stores)
 *     digest   = SHA-256(blob)
 *
 * The key is fresh per blob, so a nonce never repeats under a key; the index in the nonce pins each
 * chunk to its place (a swapped or reordered chunk fails its tag), the last flag pins the end (a
 * dropped last chunk leaves a last chunk whose flag says "more", an appended one follows a chunk
 * whose flag said "last").
 * @module
 */
import { MediaError } from './errors.js';

/** Plaintext bytes per chunk (64 KiB). */
export const MEDIA_CHUNK_BYTES = 65_536;
/** AES-GCM tag bytes after each chunk. */
export const MEDIA_TAG_BYTES = 16;
/** Ciphertext bytes per full chunk. */
export const MEDIA_CIPHER_CHUNK_BYTES = MEDIA_CHUNK_BYTES + MEDIA_TAG_BYTES;
/** Key bytes (AES-256). */
export const MEDIA_KEY_BYTES = 32;
/** Digest bytes (SHA-256). */
export const MEDIA_DIGEST_BYTES = 32;
/** The smallest padded size: every blob of up to 1 KiB looks the same. */
export const MEDIA_MIN_PADDED = 1024;
/** Where power-of-two buckets give way to Padmé (1 MiB). */
export const MEDIA_PADME_FROM = 1 << 20;
/**
 * The largest plaintext the format takes (1 TiB): far above any media service's cap, and every
 * offset of its ciphertext is still an exact JavaScript number.
 */
export const MEDIA_MAX_SIZE = 2 ** 40;
/** AAD of every chunk. */
export const MEDIA_AAD: Uint8Array = new TextEncoder().encode('tacit/v1/media');

/** Where a blob's bytes sit, from its plaintext size. */
export interface MediaLayout {
  /** Plaintext bytes. */
  readonly size: number;
  /** Plaintext plus padding. */
  readonly padded: number;
  /** Number of chunks (at least 1). */
  readonly chunks: number;
  /** Ciphertext bytes: padded + 16 per chunk. */
  readonly ciphertext: number;
}

/** The exponent e with 2^e ≤ n < 2^(e+1), for n ≥ 1; exact (no floating-point log). */
function _log2floor(n: number): number {
  let e = 0;
  while (2 ** (e + 1) <= n) e++;
  return e;
}

/**
 * The padded size of a `size`-byte plaintext.
 *
 * Below 1 MiB: the next power of two, at least 1 KiB (11 sizes in all; at most 2× the plaintext).
 * From 1 MiB: Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
 * Communication with PURBs", PoPETs 2019): with E = ⌊log2 L⌋ and S = ⌊log2 E⌋ + 1, L is rounded up
 * to a multiple of 2^(E−S). Bound: P − L < 2^(E−S) ≤ L / 2^S < L / E, since 2^S > E; for L ≥ 1 MiB
 * (E ≥ 20, S ≥ 5) the overhead is under 2^−5 = 3.125 %, from 4 GiB (S = 6) under 1.5625 %. Within
 * [2^E, 2^(E+1)) there are only 2^S ≤ 2E padded sizes, so a padded size reveals O(log log L) bits
 * of the length instead of O(log L).
 */
export function paddedSize(size: number): number {
  _size(size);
  if (size < MEDIA_PADME_FROM) {
    let p = MEDIA_MIN_PADDED;
    while (p < size) p *= 2;
    return p;
  }
  const e = _log2floor(size);
  const s = _log2floor(e) + 1;
  const unit = 2 ** (e - s);
  return Math.ceil(size / unit) * unit;
}

/** The layout of a `size`-byte plaintext; `MediaError` TOO_LARGE over {@link MEDIA_MAX_SIZE}, MALFORMED for a non-integer. */
export function mediaLayout(size: number): MediaLayout {
  const padded = paddedSize(size);
  const chunks = Math.ceil(padded / MEDIA_CHUNK_BYTES);
  return { size, padded, chunks, ciphertext: padded + chunks * MEDIA_TAG_BYTES };
}

/** The ciphertext length of a `size`-byte plaintext (what `Upload-Length` says). */
export function ciphertextSize(size: number): number {
  return mediaLayout(size).ciphertext;
}

/** Plaintext bytes in chunk `index` (padding included). */
export function chunkPlainLength(layout: MediaLayout, index: number): number {
  return Math.min(MEDIA_CHUNK_BYTES, layout.padded - index * MEDIA_CHUNK_BYTES);
}

/** The 12-byte nonce of chunk `index`: u64 BE index || u32 BE last flag. */
export function chunkNonce(index: number, last: boolean): Uint8Array {
  const n = new Uint8Array(12);
  const v = new DataView(n.buffer);
  v.setUint32(0, Math.floor(index / 2 ** 32));
  v.setUint32(4, index >>> 0);
  v.setUint32(8, last ? 1 : 0);
  return n;
}

function _size(size: number): void {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw new MediaError('MALFORMED', 'size', `"size" expected a non-negative integer, got ${typeof size === 'number' ? String(size) : typeof size}`);
  if (size > MEDIA_MAX_SIZE) throw new MediaError('TOO_LARGE', 'size', `"size" expected at most ${MEDIA_MAX_SIZE} bytes, got ${size}`);
}
