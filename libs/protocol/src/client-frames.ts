// Client -> gateway frames. One WebSocket binary message is one frame: type u8 || body.
// HELLO's layout is frozen across versions (it carries the negotiation). CLAIM and ACK are v1's;
// CLAIM_V2 and ACK_V2 are their v2 forms (bound to the relay and the connection: docs/protocol.md
// §3.1), new type bytes so that every frame's layout follows from its first byte.
import { _aarray, _abytes, _aint, _ascii, _input, _malformed, _range, _Reader, _typeName, _Writer } from './_bytes.js';
import {
  CHANNEL_TAG_LEN,
  DEST_HASH_LEN,
  EPHEMERAL_KEY_LEN,
  HELLO_MAGIC,
  MAX_ACK,
  MAX_CLAIM,
  MAX_FRAME_BYTES,
  MAX_HOP_LIMIT,
  MAX_TTL_SECONDS,
  NONCE_LEN,
  PACKET_HEADER_LEN,
  PACKET_VERSION,
  PACKET_ID_LEN,
  PEER_KEY_LEN,
  SIGNATURE_LEN,
} from './constants.js';
import { _checkPacket, _packetSize, _readPacket, _writePacket, type Packet } from './packet.js';
import { isBucket } from './padding.js';

/** Type bytes of client frames. */
export const ClientFrameType = Object.freeze({ HELLO: 0x01, CLAIM: 0x02, SEND: 0x03, ACK: 0x04, PING: 0x05, RESEND: 0x06, CLAIM_V2: 0x07, ACK_V2: 0x08 } as const);

/** First frame on a connection: the version range the client speaks. Flags are 0 in v1. */
export interface HelloFrame {
  type: 'hello';
  /** Lowest version accepted, 1..255. */
  minVersion: number;
  /** Highest version accepted, minVersion..255. */
  maxVersion: number;
}

/** Claims mailboxes: the owner's peer key, its signature over claimProofMessage, the dests. */
export interface ClaimFrame {
  type: 'claim';
  /** Echoed in CLAIMED, or in the first 4 bytes of an ERROR ref. */
  requestId: number;
  /** The owner's Ed25519 public key, 32 bytes. */
  peerKey: Uint8Array;
  /**
   * v2 (encoded as CLAIM_V2): the client's ephemeral X25519 public key for this connection, 32 bytes;
   * absent in v1 (CLAIM).
   */
  ephemeral?: Uint8Array;
  /** Ed25519 signature by peerKey over claimProofMessage(challenge, dests) (v1) or claimProofMessageV2 (v2), 64 bytes. */
  signature: Uint8Array;
  /** 1..1024 destination hashes, 32 bytes each. */
  dests: Uint8Array[];
}

/**
 * Hands a packet to the gateway; answered by ACCEPTED once it is safe. `resend` (type RESEND, same
 * body) marks a second or later attempt with the same packet id: only those are checked against the
 * packets already made safe, so a first attempt costs no dedup lookup.
 */
export interface SendFrame {
  type: 'send';
  packet: Packet;
  resend?: boolean;
}

/** Acknowledges delivered packets, which deletes them from the queue. */
export interface AckFrame {
  type: 'ack';
  /** 1..256 packet ids, 16 bytes each. */
  packetIds: Uint8Array[];
  /** v2 (encoded as ACK_V2): channelTag(channel key, the frame before the tag), 16 bytes; absent in v1 (ACK). */
  tag?: Uint8Array;
}

/** Keep-alive; answered by PONG with the same nonce. */
export interface PingFrame {
  type: 'ping';
  /** 8 bytes. */
  nonce: Uint8Array;
}

/** Any client -> gateway frame. */
export type ClientFrame = HelloFrame | ClaimFrame | SendFrame | AckFrame | PingFrame;

/** Options of the frame decoders. */
export interface DecodeOptions {
  /** Frames longer than this fail with FRAME_TOO_LARGE before any parsing. Default MAX_FRAME_BYTES. */
  maxFrameBytes?: number;
}

const _MAGIC = _ascii(HELLO_MAGIC);
const _HELLO_LEN = 1 + _MAGIC.length + 1 + 1 + 2;

/** @internal */
export function _maxFrameBytes(opts: DecodeOptions | undefined): number {
  if (opts === undefined || opts.maxFrameBytes === undefined) return MAX_FRAME_BYTES;
  return _aint(opts.maxFrameBytes, 'maxFrameBytes', 1, 0xffff_ffff);
}

/** @internal */
export function _frameObject(frame: unknown): { type: unknown } {
  if (typeof frame !== 'object' || frame === null) throw new TypeError(`"frame" expected object, got ${_typeName(frame)}`);
  return frame as { type: unknown };
}

export function _byteList(list: unknown, field: string, max: number, len: number): Uint8Array[] {
  const items = _aarray(list, field, 1, max);
  for (let i = 0; i < items.length; i++) _abytes(items[i], `${field}[${i}]`, len);
  return items as Uint8Array[];
}

/**
 * Encodes a client frame into a new array. Throws TypeError / RangeError naming the field
 * when the frame is not valid v1 (encoding never yields bytes the decoder would reject).
 */
export function encodeClientFrame(frame: ClientFrame): Uint8Array {
  const f = _frameObject(frame) as ClientFrame;
  switch (f.type) {
    case 'hello': {
      _aint(f.minVersion, 'minVersion', 1, 255);
      _aint(f.maxVersion, 'maxVersion', f.minVersion, 255);
      const w = new _Writer(_HELLO_LEN);
      w.u8(ClientFrameType.HELLO);
      w.put(_MAGIC);
      w.u8(f.minVersion);
      w.u8(f.maxVersion);
      w.u16(0);
      return w.bytes;
    }
    case 'claim': {
      _aint(f.requestId, 'requestId', 0, 0xffff_ffff);
      _abytes(f.peerKey, 'peerKey', PEER_KEY_LEN);
      _abytes(f.signature, 'signature', SIGNATURE_LEN);
      const v2 = f.ephemeral !== undefined;
      if (v2) _abytes(f.ephemeral, 'ephemeral', EPHEMERAL_KEY_LEN);
      const dests = _byteList(f.dests, 'dests', MAX_CLAIM, DEST_HASH_LEN);
      const w = new _Writer(1 + 4 + PEER_KEY_LEN + (v2 ? EPHEMERAL_KEY_LEN : 0) + SIGNATURE_LEN + 2 + dests.length * DEST_HASH_LEN);
      w.u8(v2 ? ClientFrameType.CLAIM_V2 : ClientFrameType.CLAIM);
      w.u32(f.requestId);
      w.put(f.peerKey);
      if (v2) w.put(f.ephemeral!);
      w.put(f.signature);
      w.u16(dests.length);
      for (const d of dests) w.put(d);
      return w.bytes;
    }
    case 'send': {
      const p = _checkPacket(f.packet);
      const w = new _Writer(1 + _packetSize(p));
      w.u8(f.resend ? ClientFrameType.RESEND : ClientFrameType.SEND);
      _writePacket(w, p);
      return w.bytes;
    }
    case 'ack': {
      const ids = _byteList(f.packetIds, 'packetIds', MAX_ACK, PACKET_ID_LEN);
      const v2 = f.tag !== undefined;
      if (v2) _abytes(f.tag, 'tag', CHANNEL_TAG_LEN);
      const w = new _Writer(1 + 2 + ids.length * PACKET_ID_LEN + (v2 ? CHANNEL_TAG_LEN : 0));
      w.u8(v2 ? ClientFrameType.ACK_V2 : ClientFrameType.ACK);
      w.u16(ids.length);
      for (const id of ids) w.put(id);
      if (v2) w.put(f.tag!);
      return w.bytes;
    }
    case 'ping': {
      _abytes(f.nonce, 'nonce', NONCE_LEN);
      const w = new _Writer(1 + NONCE_LEN);
      w.u8(ClientFrameType.PING);
      w.put(f.nonce);
      return w.bytes;
    }
    default:
      throw new TypeError(`"type" expected hello, claim, send, ack or ping, got ${JSON.stringify(String((f as { type: unknown }).type))}`);
  }
}

/**
 * Decodes one client frame (one WebSocket binary message). Strict: exact lengths, no trailing
 * bytes, unknown types rejected. Byte fields are subarray views of `bytes`, not copies; for SEND,
 * `bytes.subarray(1)` is the packet's exact encoding. Throws ProtocolError only, including for
 * a non-Uint8Array input such as a text message (MALFORMED_FRAME, field `frame`).
 */
export function decodeClientFrame(bytes: Uint8Array, opts?: DecodeOptions): ClientFrame {
  const r = new _Reader(_input(bytes, 'frame', _maxFrameBytes(opts)));
  const type = r.u8('type');
  let frame: ClientFrame;
  switch (type) {
    case ClientFrameType.HELLO: {
      const magic = r.take(_MAGIC.length, 'magic');
      for (let i = 0; i < _MAGIC.length; i++) {
        if (magic[i] !== _MAGIC[i]) throw _malformed('magic', `"magic" expected "${HELLO_MAGIC}"`);
      }
      const minVersion = _range(r.u8('minVersion'), 'minVersion', 1, 255);
      const maxVersion = _range(r.u8('maxVersion'), 'maxVersion', minVersion, 255);
      const flags = r.u16('flags');
      if (flags !== 0) throw _malformed('flags', `"flags" expected 0 in v1, got ${flags}`);
      frame = { type: 'hello', minVersion, maxVersion };
      break;
    }
    case ClientFrameType.CLAIM:
    case ClientFrameType.CLAIM_V2: {
      const requestId = r.u32('requestId');
      const peerKey = r.take(PEER_KEY_LEN, 'peerKey');
      const ephemeral = type === ClientFrameType.CLAIM_V2 ? r.take(EPHEMERAL_KEY_LEN, 'ephemeral') : undefined;
      const signature = r.take(SIGNATURE_LEN, 'signature');
      const count = _range(r.u16('count'), 'count', 1, MAX_CLAIM);
      const dests = r.takeMany(count, DEST_HASH_LEN, 'dests');
      frame = ephemeral ? { type: 'claim', requestId, peerKey, ephemeral, signature, dests } : { type: 'claim', requestId, peerKey, signature, dests };
      break;
    }
    case ClientFrameType.SEND:
      frame = { type: 'send', packet: _readPacket(r) };
      break;
    case ClientFrameType.RESEND:
      frame = { type: 'send', packet: _readPacket(r), resend: true };
      break;
    case ClientFrameType.ACK: {
      const count = _range(r.u16('count'), 'count', 1, MAX_ACK);
      frame = { type: 'ack', packetIds: r.takeMany(count, PACKET_ID_LEN, 'packetIds') };
      break;
    }
    case ClientFrameType.ACK_V2: {
      const count = _range(r.u16('count'), 'count', 1, MAX_ACK);
      const packetIds = r.takeMany(count, PACKET_ID_LEN, 'packetIds');
      frame = { type: 'ack', packetIds, tag: r.take(CHANNEL_TAG_LEN, 'tag') };
      break;
    }
    case ClientFrameType.PING:
      frame = { type: 'ping', nonce: r.take(NONCE_LEN, 'nonce') };
      break;
    default:
      throw _malformed('type', `"type" expected a client frame type 0x01..0x08, got 0x${type.toString(16).padStart(2, '0')}`);
  }
  r.end('frame');
  return frame;
}

// A SEND's packet starts after the type byte: its TTL and payload length sit at the end of its header.
const _SEND_TTL_AT = 1 + PACKET_HEADER_LEN - 8;
const _SEND_LEN_AT = 1 + PACKET_HEADER_LEN - 4;

/**
 * The TTL of a well-formed SEND or RESEND frame, read in place: the checks {@link decodeClientFrame}
 * makes for those frames (size cap, type, packet version, hop limit, TTL range, payload length a size
 * bucket, nothing after the payload), without the frame object or its views. `undefined` for
 * anything else: decode it then, for the typed error (a relay's hot path reads only the TTL; the ids
 * it forwards by are at fixed offsets).
 */
export function sendFrameTtl(bytes: Uint8Array, opts?: DecodeOptions): number | undefined {
  const n = bytes.length;
  if (n < 1 + PACKET_HEADER_LEN || n > _maxFrameBytes(opts)) return undefined;
  const type = bytes[0];
  if (type !== ClientFrameType.SEND && type !== ClientFrameType.RESEND) return undefined;
  if (bytes[1] !== PACKET_VERSION) return undefined;
  const hopLimit = bytes[2]!;
  if (hopLimit < 1 || hopLimit > MAX_HOP_LIMIT) return undefined;
  const ttl = _u32(bytes, _SEND_TTL_AT);
  if (ttl < 1 || ttl > MAX_TTL_SECONDS) return undefined;
  const payloadLen = _u32(bytes, _SEND_LEN_AT);
  if (!isBucket(payloadLen) || n !== 1 + PACKET_HEADER_LEN + payloadLen) return undefined;
  return ttl;
}

/** Where an ACK frame's packet ids start: after the type byte and the u16 count. */
export const ACK_IDS_AT = 3;

/**
 * The number of packet ids in a well-formed ACK frame, read in place: the checks
 * {@link decodeClientFrame} makes for it (size cap, type, count 1..MAX_ACK, exactly that many 16-byte
 * ids and nothing after them), without the frame object or a view per id; id i is the 16 bytes at
 * `ACK_IDS_AT + 16 * i`. `undefined` for anything else: decode it then, for the typed error.
 */
export function ackFrameCount(bytes: Uint8Array, opts?: DecodeOptions): number | undefined {
  const n = bytes.length;
  if (n < ACK_IDS_AT + PACKET_ID_LEN || n > _maxFrameBytes(opts) || bytes[0] !== ClientFrameType.ACK) return undefined;
  const count = (bytes[1]! << 8) | bytes[2]!;
  if (count < 1 || count > MAX_ACK || n !== ACK_IDS_AT + count * PACKET_ID_LEN) return undefined;
  return count;
}

/**
 * The number of packet ids in a well-formed ACK_V2 frame, read in place: as {@link ackFrameCount},
 * for type ACK_V2 with its 16-byte tag after the ids (the tag is the caller's to check: it needs the
 * connection's channel key). `undefined` for anything else.
 */
export function ackV2FrameCount(bytes: Uint8Array, opts?: DecodeOptions): number | undefined {
  const n = bytes.length;
  if (n < ACK_IDS_AT + PACKET_ID_LEN + CHANNEL_TAG_LEN || n > _maxFrameBytes(opts) || bytes[0] !== ClientFrameType.ACK_V2) return undefined;
  const count = (bytes[1]! << 8) | bytes[2]!;
  if (count < 1 || count > MAX_ACK || n !== ACK_IDS_AT + count * PACKET_ID_LEN + CHANNEL_TAG_LEN) return undefined;
  return count;
}

function _u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}
