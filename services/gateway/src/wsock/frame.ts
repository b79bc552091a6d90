// RFC 6455 framing pieces shared by the parser and the sender: opcodes, close codes, frame headers
// and (un)masking. Server side only: frames we send are never masked, frames we read always are.

/** Frame opcodes (RFC 6455 §5.2). */
export const Opcode = Object.freeze({
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const);

/** Close codes this layer sends on its own (RFC 6455 §7.4.1). Applications pick theirs (e.g. 4xxx). */
export const WsCloseCode = Object.freeze({
  /** Normal closure. */
  NORMAL: 1000,
  /** The server is going away (process shutdown without an application code). */
  GOING_AWAY: 1001,
  /** The peer broke the protocol: unmasked frame, RSV bits, bad opcode, bad control frame, bad fragmentation, bad close code. */
  PROTOCOL_ERROR: 1002,
  /** Received in a close frame without a code; never sent on the wire. */
  NO_STATUS: 1005,
  /** The connection ended without a close frame; never sent on the wire. */
  ABNORMAL: 1006,
  /** A text message or close reason that is not valid UTF-8. */
  INVALID_PAYLOAD: 1007,
  /** A message (all its fragments together) larger than `maxPayload`. */
  MESSAGE_TOO_BIG: 1009,
} as const);

/** Largest payload of a control frame (close, ping, pong). */
export const MAX_CONTROL_PAYLOAD = 125;

/**
 * True for a close code a peer may put in a close frame: 1000–1003, 1007–1014 and the registered or
 * private range 3000–4999. 1004–1006 and 1015 are reserved and never travel on the wire.
 */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/** Length of the header of an unmasked frame carrying `length` payload bytes. */
export function headerLength(length: number): number {
  return length < 126 ? 2 : length < 0x10000 ? 4 : 10;
}

/**
 * Writes an unmasked, final frame header for `opcode` and `length` at `out[at..]` (default 0);
 * returns its length.
 */
export function writeHeader(out: Uint8Array, opcode: number, length: number, at = 0): number {
  out[at] = 0x80 | opcode;
  if (length < 126) {
    out[at + 1] = length;
    return 2;
  }
  if (length < 0x10000) {
    out[at + 1] = 126;
    out[at + 2] = length >>> 8;
    out[at + 3] = length & 0xff;
    return 4;
  }
  out[at + 1] = 127;
  const hi = Math.floor(length / 0x1_0000_0000);
  const lo = length >>> 0;
  out[at + 2] = hi >>> 24;
  out[at + 3] = (hi >>> 16) & 0xff;
  out[at + 4] = (hi >>> 8) & 0xff;
  out[at + 5] = hi & 0xff;
  out[at + 6] = lo >>> 24;
  out[at + 7] = (lo >>> 16) & 0xff;
  out[at + 8] = (lo >>> 8) & 0xff;
  out[at + 9] = lo & 0xff;
  return 10;
}

/** XORs `buf[start..end)` in place with the 4-byte `mask` (big-endian in a 32-bit integer). */
export function unmask(buf: Uint8Array, start: number, end: number, mask: number): void {
  if (mask === 0) return;
  const m0 = mask >>> 24;
  const m1 = (mask >>> 16) & 0xff;
  const m2 = (mask >>> 8) & 0xff;
  const m3 = mask & 0xff;
  let i = start;
  for (const last = end - 3; i < last; i += 4) {
    buf[i]! ^= m0;
    buf[i + 1]! ^= m1;
    buf[i + 2]! ^= m2;
    buf[i + 3]! ^= m3;
  }
  if (i < end) buf[i++]! ^= m0;
  if (i < end) buf[i++]! ^= m1;
  if (i < end) buf[i]! ^= m2;
}

/**
 * The payload of a close frame: the code, then `reason` as UTF-8 cut to what fits a control frame
 * (never in the middle of a character). No code (1005) makes an empty payload.
 */
export function closePayload(code: number, reason: string): Buffer {
  if (code === WsCloseCode.NO_STATUS) return Buffer.alloc(0);
  let text = Buffer.from(reason, 'utf8');
  if (text.length > MAX_CONTROL_PAYLOAD - 2) {
    let end = MAX_CONTROL_PAYLOAD - 2;
    while (end > 0 && (text[end]! & 0xc0) === 0x80) end--;
    text = text.subarray(0, end);
  }
  const out = Buffer.allocUnsafe(2 + text.length);
  out.writeUInt16BE(code, 0);
  text.copy(out, 2);
  return out;
}
