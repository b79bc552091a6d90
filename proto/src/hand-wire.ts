// The two pieces every protobuf encoder written by hand here needs (fast-codec.ts; the gateway's
// mailbox-event.ts): a varint's size and its bytes. Written here rather than taken from
// @bufbuild/protobuf/wire, whose BinaryWriter is the growing buffer these encoders avoid.

/** Bytes of the varint of `n` (a non-negative safe integer). */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes `n` (a non-negative safe integer) as a varint at `at` of `out`; the offset after it. */
export function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}
