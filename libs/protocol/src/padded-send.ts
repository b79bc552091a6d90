// The SDK's hot path: a SEND frame whose payload is pad(data), built with one allocation. The bytes
// are exactly those of encodeClientFrame({ type: 'send', packet: { ...header, version: 1, payload: pad(data) } }).
import { _abytes, _aint, _plural } from './_bytes.js';
import { ClientFrameType } from './client-frames.js';
import {
  DEST_HASH_LEN,
  MAILBOX_ID_LEN,
  MAX_HOP_LIMIT,
  MAX_PAYLOAD_LEN,
  MAX_TTL_SECONDS,
  PACKET_HEADER_LEN,
  PACKET_ID_LEN,
  PACKET_VERSION,
} from './constants.js';
import { bucketFor, PAD_PREFIX_LEN } from './padding.js';
import type { Packet } from './packet.js';

// Frames up to _SMALL bytes are carved from a shared zeroed slab, like Node's Buffer pool: a typed
// array over 64 bytes otherwise costs its own zeroed allocation outside V8's heap (~1 µs each, most
// of this function's time). Each region is handed out once, so it is still all zeros.
const _SLAB = 64 * 1024;
const _SMALL = 4096;
let _slab = new ArrayBuffer(_SLAB);
let _used = 0;

function _alloc(n: number): Uint8Array {
  if (n > _SMALL) return new Uint8Array(n);
  if (_used + n > _SLAB) {
    _slab = new ArrayBuffer(_SLAB);
    _used = 0;
  }
  const out = new Uint8Array(_slab, _used, n);
  _used += (n + 7) & ~7;
  return out;
}

/** A packet's fields other than its version and payload. */
export type PacketHeader = Omit<Packet, 'version' | 'payload'>;

/** SEND frame carrying `data` padded to its size bucket; TypeError/RangeError for bad fields. */
export function encodePaddedSend(header: PacketHeader, data: Uint8Array): Uint8Array {
  _aint(header.hopLimit, 'hopLimit', 1, MAX_HOP_LIMIT);
  _abytes(header.destHash, 'destHash', DEST_HASH_LEN);
  _abytes(header.mailboxId, 'mailboxId', MAILBOX_ID_LEN);
  _abytes(header.packetId, 'packetId', PACKET_ID_LEN);
  _aint(header.ttlSeconds, 'ttlSeconds', 1, MAX_TTL_SECONDS);
  _abytes(data, 'data');
  const max = MAX_PAYLOAD_LEN - PAD_PREFIX_LEN;
  if (data.length > max) throw new RangeError(`"data" expected at most ${_plural(max)}, got ${data.length}`);
  const payloadLen = bucketFor(PAD_PREFIX_LEN + data.length);
  const out = _alloc(1 + PACKET_HEADER_LEN + payloadLen);
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[0] = ClientFrameType.SEND;
  out[1] = PACKET_VERSION;
  out[2] = header.hopLimit;
  out.set(header.destHash, 3);
  out.set(header.mailboxId, 3 + DEST_HASH_LEN);
  out.set(header.packetId, 3 + DEST_HASH_LEN + MAILBOX_ID_LEN);
  const o = 3 + DEST_HASH_LEN + MAILBOX_ID_LEN + PACKET_ID_LEN;
  v.setUint32(o, header.ttlSeconds);
  v.setUint32(o + 4, payloadLen);
  v.setUint32(o + 8, data.length);
  out.set(data, o + 8 + PAD_PREFIX_LEN);
  return out;
}
