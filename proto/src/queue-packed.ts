// The packed forms of tacit.queue.v1 (DrainReply.packed, AckRequest.packed_refs): many packets or
// refs in one bytes field, fixed-size records with big-endian integers, instead of one protobuf
// message each. Decoding returns views of the input (no copies).

/** Bytes of a 16-byte id (mailbox or packet). */
const _ID = 16;

/** Offsets in a DrainReply.packed record: seq (8 bytes), expiry day (4), mailbox id, packet id, length (4). */
export const QUEUE_PACKED_DAY_AT = 8;
export const QUEUE_PACKED_MAILBOX_AT = QUEUE_PACKED_DAY_AT + 4;
export const QUEUE_PACKED_PACKET_ID_AT = QUEUE_PACKED_MAILBOX_AT + _ID;
export const QUEUE_PACKED_LENGTH_AT = QUEUE_PACKED_PACKET_ID_AT + _ID;

/** Bytes before a packet's own bytes in DrainReply.packed: seq (8), expiry day (4), mailbox id, packet id, length (4). */
export const QUEUE_PACKED_HEAD = QUEUE_PACKED_LENGTH_AT + 4;

/** Bytes of one ref in AckRequest.packed_refs: mailbox id, packet id, expiry day (4). */
export const QUEUE_PACKED_REF_BYTES = _ID + _ID + 4;

/** Bytes of one seq in AckRequest.packed_seqs (big-endian). */
export const QUEUE_PACKED_SEQ_BYTES = 8;

/** A packet in DrainReply.packed. */
export interface PackedPacket {
  seq: bigint;
  /** UTC day of the packet's expiry (its partition); 0..2^32-1. */
  expiryDay: number;
  /** 16 bytes. */
  mailboxId: Uint8Array;
  /** 16 bytes. */
  packetId: Uint8Array;
  packet: Uint8Array;
}

/** A ref in AckRequest.packed_refs. */
export interface PackedAckRef {
  /** 16 bytes. */
  mailboxId: Uint8Array;
  /** 16 bytes. */
  packetId: Uint8Array;
  /** The expiry day its drain reported; absent or 0: unknown. */
  expiryDay?: number;
  /** The seq its drain reported, for AckRequest.packed_seqs; absent or 0: unknown. A number is exact below 2^53. */
  seq?: bigint | number;
}

function _id(id: Uint8Array, what: string): Uint8Array {
  if (id.length !== _ID) throw new RangeError(`"${what}" expected ${_ID} bytes, got ${id.length}`);
  return id;
}

/** Packets as DrainReply.packed. */
export function packPackets(packets: readonly PackedPacket[]): Uint8Array {
  let size = 0;
  for (const p of packets) size += QUEUE_PACKED_HEAD + p.packet.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const p of packets) {
    view.setBigUint64(o, p.seq);
    view.setUint32(o + QUEUE_PACKED_DAY_AT, p.expiryDay);
    out.set(_id(p.mailboxId, 'mailboxId'), o + QUEUE_PACKED_MAILBOX_AT);
    out.set(_id(p.packetId, 'packetId'), o + QUEUE_PACKED_PACKET_ID_AT);
    view.setUint32(o + QUEUE_PACKED_LENGTH_AT, p.packet.length);
    out.set(p.packet, o + QUEUE_PACKED_HEAD);
    o += QUEUE_PACKED_HEAD + p.packet.length;
  }
  return out;
}

/** The packets of DrainReply.packed, in order; their byte fields are views of `bytes`. Throws RangeError when truncated. */
export function unpackPackets(bytes: Uint8Array): PackedPacket[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: PackedPacket[] = [];
  for (let o = 0; o < bytes.length; ) {
    if (o + QUEUE_PACKED_HEAD > bytes.length) throw new RangeError(`packed packets truncated at byte ${o} of ${bytes.length}`);
    const length = view.getUint32(o + QUEUE_PACKED_LENGTH_AT);
    const end = o + QUEUE_PACKED_HEAD + length;
    if (end > bytes.length) throw new RangeError(`packed packets truncated at byte ${o} of ${bytes.length}`);
    out.push({
      seq: view.getBigUint64(o),
      expiryDay: view.getUint32(o + QUEUE_PACKED_DAY_AT),
      mailboxId: bytes.subarray(o + QUEUE_PACKED_MAILBOX_AT, o + QUEUE_PACKED_MAILBOX_AT + _ID),
      packetId: bytes.subarray(o + QUEUE_PACKED_PACKET_ID_AT, o + QUEUE_PACKED_PACKET_ID_AT + _ID),
      packet: bytes.subarray(o + QUEUE_PACKED_HEAD, end),
    });
    o = end;
  }
  return out;
}

/** Refs as AckRequest.packed_refs. */
export function packAckRefs(refs: readonly PackedAckRef[]): Uint8Array {
  const out = new Uint8Array(refs.length * QUEUE_PACKED_REF_BYTES);
  const view = new DataView(out.buffer);
  refs.forEach((r, i) => {
    const o = i * QUEUE_PACKED_REF_BYTES;
    out.set(_id(r.mailboxId, 'mailboxId'), o);
    out.set(_id(r.packetId, 'packetId'), o + _ID);
    view.setUint32(o + 2 * _ID, r.expiryDay ?? 0);
  });
  return out;
}

/** The refs' seqs as AckRequest.packed_seqs (0 where a ref has none), in the order of {@link packAckRefs}. */
export function packAckSeqs(refs: readonly PackedAckRef[]): Uint8Array {
  const out = new Uint8Array(refs.length * QUEUE_PACKED_SEQ_BYTES);
  const view = new DataView(out.buffer);
  refs.forEach((r, i) => {
    const seq = r.seq ?? 0;
    const o = i * QUEUE_PACKED_SEQ_BYTES;
    if (typeof seq === 'bigint') return view.setBigUint64(o, seq);
    // A number without a BigInt made for it: high and low 32 bits (exact for integers below 2^53).
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`"seq" expected a safe non-negative integer, got ${seq}`);
    view.setUint32(o, Math.floor(seq / 0x1_0000_0000));
    view.setUint32(o + 4, seq >>> 0);
  });
  return out;
}
