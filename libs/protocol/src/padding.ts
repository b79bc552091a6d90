// Plaintext padding, applied by the SDK inside the encryption so that every ciphertext fills a
// size bucket exactly: the relay learns a bucket, never a length, and cover traffic is the same.
import { _abytes, _aint, _malformed, _plural } from './_bytes.js';
import { MAX_PAYLOAD_LEN, SIZE_BUCKETS } from './constants.js';

/** Bytes of the big-endian u32 length prefix that {@link pad} writes. */
export const PAD_PREFIX_LEN = 4;

/** Smallest size bucket that holds `n` bytes; RangeError above 65536. */
export function bucketFor(n: number): number {
  _aint(n, 'n', 0, MAX_PAYLOAD_LEN);
  for (const b of SIZE_BUCKETS) if (b >= n) return b;
  throw new RangeError(`"n" expected 0..${MAX_PAYLOAD_LEN}, got ${n}`);
}

/** Whether `n` is one of the v1 size buckets. */
export function isBucket(n: number): boolean {
  return n >= 256 && n <= MAX_PAYLOAD_LEN && (n & (n - 1)) === 0;
}

/**
 * u32be(data.length) || data || zeros, sized so that its length plus `overhead` (what encryption
 * adds: nonce, tag, headers) is the smallest bucket that fits. Returns a new array.
 */
export function pad(data: Uint8Array, overhead = 0): Uint8Array {
  _abytes(data, 'data');
  _aint(overhead, 'overhead', 0, MAX_PAYLOAD_LEN - PAD_PREFIX_LEN);
  const max = MAX_PAYLOAD_LEN - PAD_PREFIX_LEN - overhead;
  if (data.length > max) throw new RangeError(`"data" expected at most ${_plural(max)}, got ${data.length}`);
  const out = new Uint8Array(bucketFor(PAD_PREFIX_LEN + data.length + overhead) - overhead);
  new DataView(out.buffer).setUint32(0, data.length);
  out.set(data, PAD_PREFIX_LEN);
  return out;
}

/**
 * Inverse of {@link pad}: a subarray view of `padded`. Throws ProtocolError (MALFORMED_FRAME,
 * field `paddedLength` or `padding`) unless the prefix fits and every fill byte is zero.
 */
export function unpad(padded: Uint8Array): Uint8Array {
  if (!(padded instanceof Uint8Array)) throw _malformed('padded', '"padded" expected Uint8Array');
  if (padded.length < PAD_PREFIX_LEN) {
    throw _malformed('paddedLength', `"paddedLength" expected ${_plural(PAD_PREFIX_LEN)}, got ${padded.length}`);
  }
  const len = new DataView(padded.buffer, padded.byteOffset, padded.byteLength).getUint32(0);
  const max = padded.length - PAD_PREFIX_LEN;
  if (len > max) throw _malformed('paddedLength', `"paddedLength" expected 0..${max}, got ${len}`);
  // Non-zero fill means a bug or a forgery; accepting it would give the fill a covert meaning.
  for (let i = PAD_PREFIX_LEN + len; i < padded.length; i++) {
    if (padded[i] !== 0) throw _malformed('padding', `"padding" expected zero bytes, got non-zero at ${i}`);
  }
  return padded.subarray(PAD_PREFIX_LEN, PAD_PREFIX_LEN + len);
}
