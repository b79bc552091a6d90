// The bench payload: what the load generator sends and the driver carries opaquely. Latency is
// the receive time minus a timestamp written by the sender; both ends live in the same load
// process, so the monotonic performance.now() clock is shared and never jumps.

/** Every payload is this long (the 256-byte message of the benchmark). */
export const PAYLOAD_BYTES = 256;
const MAGIC = 0x7461_6331; // "tac1"

/** Fields stamped into a bench payload. */
export interface Stamp {
  pair: number;
  seq: number;
  /** performance.now() at send, in milliseconds. */
  sentAt: number;
}

/** A fresh 256-byte payload: magic u32, pair u32, seq u32, sentAt f64 (big-endian), zero fill. */
export function encodePayload(stamp: Stamp, size = PAYLOAD_BYTES): Uint8Array {
  if (size < 20) throw new RangeError(`"size" expected >= 20 bytes, got ${size}`);
  const buf = new Uint8Array(size);
  const view = new DataView(buf.buffer);
  view.setUint32(0, MAGIC);
  view.setUint32(4, stamp.pair);
  view.setUint32(8, stamp.seq);
  view.setFloat64(12, stamp.sentAt);
  return buf;
}

/** Reads the stamp back, or `null` when `buf` is not a bench payload. */
export function decodePayload(buf: Uint8Array): Stamp | null {
  if (buf.byteLength < 20) return null;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint32(0) !== MAGIC) return null;
  return { pair: view.getUint32(4), seq: view.getUint32(8), sentAt: view.getFloat64(12) };
}
