// The packet is the unit relays store and forward. Its 74-byte header is everything a relay may
// know; the payload is ciphertext padded to a size bucket, and nothing marks cover traffic.
import { _abytes, _aint, _input, _malformed, _range, _Reader, _typeName, _Writer } from './_bytes.js';
import {
  DEST_HASH_LEN,
  MAILBOX_ID_LEN,
  MAX_HOP_LIMIT,
  MAX_TTL_SECONDS,
  PACKET_HEADER_LEN,
  PACKET_ID_LEN,
  PACKET_VERSION,
  SIZE_BUCKETS,
} from './constants.js';
import { ErrorCode, ProtocolError } from './errors.js';
import { isBucket } from './padding.js';

/** A v1 packet. Decoded byte fields are subarray views of the input (see {@link decodePacket}). */
export interface Packet {
  /** Always 1 in v1. */
  version: 1;
  /** Relay hops left, 1..16; each forwarding relay decrements it. */
  hopLimit: number;
  /** 32-byte destination hash for the epoch the sender believes current. */
  destHash: Uint8Array;
  /** 16-byte mailbox id: derived from destHash and the owner's peer key. */
  mailboxId: Uint8Array;
  /** 16 random bytes chosen by the sender; the dedup and ack key. */
  packetId: Uint8Array;
  /** Seconds the packet may wait in a queue, 1..2_592_000. */
  ttlSeconds: number;
  /** Ciphertext; its length is one of SIZE_BUCKETS. */
  payload: Uint8Array;
}

const _BUCKETS = SIZE_BUCKETS.join(', ');

/** Encoded size of a validated packet. @internal */
export function _packetSize(p: Packet): number {
  return PACKET_HEADER_LEN + p.payload.length;
}

/** Validates a packet before encoding; TypeError / RangeError name the field. @internal */
export function _checkPacket(p: unknown): Packet {
  if (typeof p !== 'object' || p === null) throw new TypeError(`"packet" expected object, got ${_typeName(p)}`);
  const q = p as Packet;
  if (q.version !== PACKET_VERSION) throw new RangeError(`"version" expected ${PACKET_VERSION}, got ${String(q.version)}`);
  _aint(q.hopLimit, 'hopLimit', 1, MAX_HOP_LIMIT);
  _abytes(q.destHash, 'destHash', DEST_HASH_LEN);
  _abytes(q.mailboxId, 'mailboxId', MAILBOX_ID_LEN);
  _abytes(q.packetId, 'packetId', PACKET_ID_LEN);
  _aint(q.ttlSeconds, 'ttlSeconds', 1, MAX_TTL_SECONDS);
  _abytes(q.payload, 'payload');
  if (!isBucket(q.payload.length)) {
    throw new RangeError(`"payload" expected a size bucket (${_BUCKETS}) bytes, got ${q.payload.length}`);
  }
  return q;
}

/** @internal */
export function _writePacket(w: _Writer, p: Packet): void {
  w.u8(p.version);
  w.u8(p.hopLimit);
  w.put(p.destHash);
  w.put(p.mailboxId);
  w.put(p.packetId);
  w.u32(p.ttlSeconds);
  w.u32(p.payload.length);
  w.put(p.payload);
}

/** Reads one packet; the caller checks for trailing bytes. @internal */
export function _readPacket(r: _Reader): Packet {
  const version = r.u8('version');
  if (version !== PACKET_VERSION) {
    throw new ProtocolError(
      ErrorCode.UNSUPPORTED_VERSION,
      'version',
      `"version" expected ${PACKET_VERSION}, got ${version}`,
    );
  }
  const hopLimit = _range(r.u8('hopLimit'), 'hopLimit', 1, MAX_HOP_LIMIT);
  const destHash = r.take(DEST_HASH_LEN, 'destHash');
  const mailboxId = r.take(MAILBOX_ID_LEN, 'mailboxId');
  const packetId = r.take(PACKET_ID_LEN, 'packetId');
  const ttlSeconds = _range(r.u32('ttlSeconds'), 'ttlSeconds', 1, MAX_TTL_SECONDS);
  const payloadLen = r.u32('payloadLen');
  if (!isBucket(payloadLen)) {
    throw _malformed('payloadLen', `"payloadLen" expected a size bucket (${_BUCKETS}), got ${payloadLen}`);
  }
  const payload = r.take(payloadLen, 'payload');
  return { version: PACKET_VERSION, hopLimit, destHash, mailboxId, packetId, ttlSeconds, payload };
}

/** Encodes a packet into a new array. Throws TypeError / RangeError on invalid fields. */
export function encodePacket(packet: Packet): Uint8Array {
  const p = _checkPacket(packet);
  const w = new _Writer(_packetSize(p));
  _writePacket(w, p);
  return w.bytes;
}

/**
 * Decodes exactly one packet, e.g. read back from a queue. Byte fields are views into `bytes`
 * (no copy): copy them to keep them past the buffer's reuse. Throws ProtocolError only:
 * UNSUPPORTED_VERSION for a version byte other than 1, MALFORMED_FRAME otherwise.
 */
export function decodePacket(bytes: Uint8Array): Packet {
  const r = new _Reader(_input(bytes, 'packet', Number.MAX_SAFE_INTEGER));
  const p = _readPacket(r);
  r.end('packet');
  return p;
}
