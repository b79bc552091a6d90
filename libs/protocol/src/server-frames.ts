// Gateway -> client frames. WELCOME and ERROR layouts are frozen across versions: a client must
// be able to read the outcome of negotiation whatever it offered (a v2 WELCOME appends the relay
// key after v1's fields, which a decoder reads once it has read the version).
import { _abytes, _aint, _fromUtf8, _input, _malformed, _range, _Reader, _utf8, _Writer } from './_bytes.js';
import {
  BOUND_CLAIMS_VERSION,
  MAX_ACK,
  RELAY_KEY_LEN,
  CHALLENGE_LEN,
  ERROR_REF_LEN,
  MAX_CLAIM,
  MAX_ERROR_MESSAGE_BYTES,
  NONCE_LEN,
  PACKET_ID_LEN,
  SUPPORTED_VERSIONS,
} from './constants.js';
import { _byteList, _frameObject, _maxFrameBytes, type DecodeOptions } from './client-frames.js';
import { ErrorCode, errorCodeName, ProtocolError, type ErrorCodeValue } from './errors.js';
import { _checkPacket, _packetSize, _readPacket, _writePacket, type Packet } from './packet.js';

/** Type bytes of gateway frames. */
export const ServerFrameType = Object.freeze({
  WELCOME: 0x81,
  CLAIMED: 0x82,
  ACCEPTED: 0x83,
  DELIVER: 0x84,
  PONG: 0x85,
  ERROR: 0x86,
  GOAWAY: 0x87,
} as const);

/** GOAWAY reasons. */
export const GoawayReason = Object.freeze({ DRAINING: 0, IDLE_TIMEOUT: 1 } as const);
/** A GOAWAY reason byte: 0 draining (reconnect elsewhere), 1 idle timeout. */
export type GoawayReasonValue = (typeof GoawayReason)[keyof typeof GoawayReason];

/** Answer to HELLO: the negotiated version, a fresh claim challenge and the session limits. */
export interface WelcomeFrame {
  type: 'welcome';
  /** Negotiated version; decoders accept only SUPPORTED_VERSIONS. */
  version: number;
  /** 32 fresh random bytes that every claim proof on this connection signs. */
  challenge: Uint8Array;
  /** Largest frame the gateway accepts, ≥ 1. */
  maxFrameBytes: number;
  /** Silence after which the gateway sends GOAWAY(idle) and closes, ≥ 1. */
  idleTimeoutMs: number;
  /** Most dests per CLAIM this gateway accepts, 1..1024. */
  maxClaim: number;
  /**
   * From version 2: the relay's key (X25519 public key, 32 bytes), which v2 claim proofs sign and
   * the channel key is agreed with. Absent in version 1.
   */
  relayKey?: Uint8Array;
}

/** A CLAIM was verified; `count` mailboxes are now bound to this connection. */
export interface ClaimedFrame {
  type: 'claimed';
  requestId: number;
  /** 1..1024. */
  count: number;
}

/**
 * These packets are safe: delivered and acked by the recipient, or durably queued. One frame
 * carries 1..256 packet ids, so a burst of sends costs the gateway few frames.
 */
export interface AcceptedFrame {
  type: 'accepted';
  packetIds: Uint8Array[];
}

/** A packet for a claimed mailbox. */
export interface DeliverFrame {
  type: 'deliver';
  packet: Packet;
}

/** Answer to PING. */
export interface PongFrame {
  type: 'pong';
  nonce: Uint8Array;
}

/** A typed failure. `ref` is the packetId concerned, a requestId in its first 4 bytes, or zeros. */
export interface ErrorFrame {
  type: 'error';
  code: ErrorCodeValue;
  /** 16 bytes; see {@link requestIdRef}. */
  ref: Uint8Array;
  /** Human-readable, at most 512 UTF-8 bytes; carries no user data. */
  message: string;
}

/** The gateway is about to close: reconnect after `retryAfterMs` (elsewhere when draining). */
export interface GoawayFrame {
  type: 'goaway';
  reason: GoawayReasonValue;
  retryAfterMs: number;
}

/** Any gateway -> client frame. */
export type ServerFrame =
  | WelcomeFrame
  | ClaimedFrame
  | AcceptedFrame
  | DeliverFrame
  | PongFrame
  | ErrorFrame
  | GoawayFrame;

const _U32 = 0xffff_ffff;
const _MAX_CODE = Math.max(...Object.values(ErrorCode));

/** ERROR ref for a CLAIM failure: requestId as u32 BE in the first 4 bytes, then zeros. */
export function requestIdRef(requestId: number): Uint8Array {
  _aint(requestId, 'requestId', 0, _U32);
  const ref = new Uint8Array(ERROR_REF_LEN);
  new DataView(ref.buffer).setUint32(0, requestId);
  return ref;
}

/**
 * Encodes a gateway frame into a new array. Throws TypeError / RangeError naming the field
 * when the frame is not valid v1.
 */
export function encodeServerFrame(frame: ServerFrame): Uint8Array {
  const f = _frameObject(frame) as ServerFrame;
  switch (f.type) {
    case 'welcome': {
      if (!SUPPORTED_VERSIONS.includes(_aint(f.version, 'version', 0, 255))) {
        throw new RangeError(`"version" expected one of ${SUPPORTED_VERSIONS.join(', ')}, got ${f.version}`);
      }
      _abytes(f.challenge, 'challenge', CHALLENGE_LEN);
      _aint(f.maxFrameBytes, 'maxFrameBytes', 1, _U32);
      _aint(f.idleTimeoutMs, 'idleTimeoutMs', 1, _U32);
      _aint(f.maxClaim, 'maxClaim', 1, MAX_CLAIM);
      const bound = f.version >= BOUND_CLAIMS_VERSION;
      if (bound) _abytes(f.relayKey, 'relayKey', RELAY_KEY_LEN);
      else if (f.relayKey !== undefined) throw new RangeError(`"relayKey" expected absent in version ${f.version}`);
      const w = new _Writer(1 + 1 + CHALLENGE_LEN + 4 + 4 + 2 + (bound ? RELAY_KEY_LEN : 0));
      w.u8(ServerFrameType.WELCOME);
      w.u8(f.version);
      w.put(f.challenge);
      w.u32(f.maxFrameBytes);
      w.u32(f.idleTimeoutMs);
      w.u16(f.maxClaim);
      if (bound) w.put(f.relayKey!);
      return w.bytes;
    }
    case 'claimed': {
      _aint(f.requestId, 'requestId', 0, _U32);
      _aint(f.count, 'count', 1, MAX_CLAIM);
      const w = new _Writer(1 + 4 + 2);
      w.u8(ServerFrameType.CLAIMED);
      w.u32(f.requestId);
      w.u16(f.count);
      return w.bytes;
    }
    case 'accepted': {
      const ids = _byteList(f.packetIds, 'packetIds', MAX_ACK, PACKET_ID_LEN);
      const w = new _Writer(1 + 2 + ids.length * PACKET_ID_LEN);
      w.u8(ServerFrameType.ACCEPTED);
      w.u16(ids.length);
      for (const id of ids) w.put(id);
      return w.bytes;
    }
    case 'deliver': {
      const p = _checkPacket(f.packet);
      const w = new _Writer(1 + _packetSize(p));
      w.u8(ServerFrameType.DELIVER);
      _writePacket(w, p);
      return w.bytes;
    }
    case 'pong': {
      _abytes(f.nonce, 'nonce', NONCE_LEN);
      const w = new _Writer(1 + NONCE_LEN);
      w.u8(ServerFrameType.PONG);
      w.put(f.nonce);
      return w.bytes;
    }
    case 'error': {
      if (errorCodeName(_aint(f.code, 'code', 0, 0xffff)) === undefined) {
        throw new RangeError(`"code" expected a v1 error code 1..${_MAX_CODE}, got ${f.code}`);
      }
      _abytes(f.ref, 'ref', ERROR_REF_LEN);
      const msg = _utf8(f.message, 'message');
      if (msg.length > MAX_ERROR_MESSAGE_BYTES) {
        throw new RangeError(`"message" expected at most ${MAX_ERROR_MESSAGE_BYTES} UTF-8 bytes, got ${msg.length}`);
      }
      const w = new _Writer(1 + 2 + ERROR_REF_LEN + 2 + msg.length);
      w.u8(ServerFrameType.ERROR);
      w.u16(f.code);
      w.put(f.ref);
      w.u16(msg.length);
      w.put(msg);
      return w.bytes;
    }
    case 'goaway': {
      _aint(f.reason, 'reason', 0, 1);
      _aint(f.retryAfterMs, 'retryAfterMs', 0, _U32);
      const w = new _Writer(1 + 1 + 4);
      w.u8(ServerFrameType.GOAWAY);
      w.u8(f.reason);
      w.u32(f.retryAfterMs);
      return w.bytes;
    }
    default:
      throw new TypeError(
        `"type" expected welcome, claimed, accepted, deliver, pong, error or goaway, got ${JSON.stringify(String((f as { type: unknown }).type))}`,
      );
  }
}

/**
 * Decodes one gateway frame (one WebSocket binary message). Strict like decodeClientFrame;
 * byte fields are subarray views of `bytes`. Throws ProtocolError only.
 */
export function decodeServerFrame(bytes: Uint8Array, opts?: DecodeOptions): ServerFrame {
  const r = new _Reader(_input(bytes, 'frame', _maxFrameBytes(opts)));
  const type = r.u8('type');
  let frame: ServerFrame;
  switch (type) {
    case ServerFrameType.WELCOME: {
      const version = r.u8('version');
      if (!SUPPORTED_VERSIONS.includes(version)) {
        throw new ProtocolError(
          ErrorCode.UNSUPPORTED_VERSION,
          'version',
          `"version" expected one of ${SUPPORTED_VERSIONS.join(', ')}, got ${version}`,
        );
      }
      const challenge = r.take(CHALLENGE_LEN, 'challenge');
      const maxFrameBytes = _range(r.u32('maxFrameBytes'), 'maxFrameBytes', 1, _U32);
      const idleTimeoutMs = _range(r.u32('idleTimeoutMs'), 'idleTimeoutMs', 1, _U32);
      const maxClaim = _range(r.u16('maxClaim'), 'maxClaim', 1, MAX_CLAIM);
      frame = { type: 'welcome', version, challenge, maxFrameBytes, idleTimeoutMs, maxClaim };
      if (version >= BOUND_CLAIMS_VERSION) frame.relayKey = r.take(RELAY_KEY_LEN, 'relayKey');
      break;
    }
    case ServerFrameType.CLAIMED: {
      const requestId = r.u32('requestId');
      const count = _range(r.u16('count'), 'count', 1, MAX_CLAIM);
      frame = { type: 'claimed', requestId, count };
      break;
    }
    case ServerFrameType.ACCEPTED: {
      const count = _range(r.u16('count'), 'count', 1, MAX_ACK);
      frame = { type: 'accepted', packetIds: r.takeMany(count, PACKET_ID_LEN, 'packetIds') };
      break;
    }
    case ServerFrameType.DELIVER:
      frame = { type: 'deliver', packet: _readPacket(r) };
      break;
    case ServerFrameType.PONG:
      frame = { type: 'pong', nonce: r.take(NONCE_LEN, 'nonce') };
      break;
    case ServerFrameType.ERROR: {
      const code = r.u16('code');
      if (errorCodeName(code) === undefined) {
        throw _malformed('code', `"code" expected a v1 error code 1..${_MAX_CODE}, got ${code}`);
      }
      const ref = r.take(ERROR_REF_LEN, 'ref');
      const len = _range(r.u16('messageLen'), 'messageLen', 0, MAX_ERROR_MESSAGE_BYTES);
      const message = _fromUtf8(r.take(len, 'message'), 'message');
      frame = { type: 'error', code: code as ErrorCodeValue, ref, message };
      break;
    }
    case ServerFrameType.GOAWAY: {
      const reason = _range(r.u8('reason'), 'reason', 0, 1) as GoawayReasonValue;
      frame = { type: 'goaway', reason, retryAfterMs: r.u32('retryAfterMs') };
      break;
    }
    default:
      throw _malformed('type', `"type" expected a gateway frame type 0x81..0x87, got 0x${type.toString(16).padStart(2, '0')}`);
  }
  r.end('frame');
  return frame;
}
