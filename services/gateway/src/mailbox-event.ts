/**
 * The hot forms of tacit.gateway.v1 between replicas, written and cut by hand: a MailboxEvent that
 * delivers packets, a ReplicaBatch, and the DELIVER frames made of them. protobuf-es builds the message by
 * reflection and grows its writer by doubling (~3.5% of a sending gateway's CPU); here the size is
 * known first and the bytes are written once. Decoding stays with protobuf-es (`fromBinary`).
 * @module
 */
import { varintSize, writeVarint } from '@tacit/proto';
import { ServerFrameType } from '@tacit/protocol';

// Field tags (field number << 3 | wire type 2, length-delimited).
const _TAG_DELIVER = (1 << 3) | 2; // MailboxEvent.deliver
const _TAG_DELIVER_BATCH = (3 << 3) | 2; // MailboxEvent.deliver_batch
const _TAG_PACKETS = (1 << 3) | 2; // DeliverBatch.packets
const _TAG_FIRST_TICKET = (1 << 3) | 0; // ReplicaBatch.first_ticket (varint)
const _TAG_STATUS_SUBJECT = (2 << 3) | 2; // ReplicaBatch.status_subject
const _TAG_BATCH_PACKETS = (3 << 3) | 2; // ReplicaBatch.packets

/**
 * MailboxEvent carrying `packets` for one mailbox: `deliver` for one packet, `deliver_batch` for
 * more (the encoding protobuf-es gives, byte for byte).
 */
export function encodeDeliverEvent(packets: readonly Uint8Array[]): Uint8Array {
  if (packets.length === 1) {
    const p = packets[0]!;
    const out = new Uint8Array(1 + varintSize(p.length) + p.length);
    out[0] = _TAG_DELIVER;
    out.set(p, writeVarint(out, 1, p.length));
    return out;
  }
  const inner = _packetsSize(packets);
  const out = new Uint8Array(1 + varintSize(inner) + inner);
  out[0] = _TAG_DELIVER_BATCH;
  _writePackets(out, writeVarint(out, 1, inner), _TAG_PACKETS, packets);
  return out;
}

/**
 * ReplicaBatch of `packets` (for mailboxes of one replica), the first with ticket `firstTicket`
 * (a uint32), statuses to `statusSubject` (ASCII): the encoding protobuf-es gives, byte for byte.
 */
export function encodeReplicaBatch(firstTicket: number, statusSubject: string, packets: readonly Uint8Array[]): Uint8Array {
  if (!(Number.isInteger(firstTicket) && firstTicket >= 0 && firstTicket <= 0xffff_ffff)) {
    throw new RangeError(`"firstTicket" expected a uint32, got ${firstTicket}`);
  }
  // Subjects are ASCII (tacit.gws.<hex>): one byte per char, as UTF-8 would write them.
  if (!/^[\x21-\x7e]*$/.test(statusSubject)) throw new RangeError(`"statusSubject" expected printable ASCII, got ${JSON.stringify(statusSubject)}`);
  const head = (firstTicket === 0 ? 0 : 1 + varintSize(firstTicket)) + (statusSubject.length === 0 ? 0 : 1 + varintSize(statusSubject.length) + statusSubject.length);
  const out = new Uint8Array(head + _packetsSize(packets));
  let at = 0;
  if (firstTicket !== 0) {
    out[at++] = _TAG_FIRST_TICKET;
    at = writeVarint(out, at, firstTicket);
  }
  if (statusSubject.length !== 0) {
    out[at++] = _TAG_STATUS_SUBJECT;
    at = writeVarint(out, at, statusSubject.length);
    for (let i = 0; i < statusSubject.length; i++) out[at++] = statusSubject.charCodeAt(i);
  }
  _writePackets(out, at, _TAG_BATCH_PACKETS, packets);
  return out;
}

/** Bytes of `packets` as a repeated bytes field with a one-byte tag. */
function _packetsSize(packets: readonly Uint8Array[]): number {
  let size = 0;
  for (const p of packets) size += 1 + varintSize(p.length) + p.length;
  return size;
}

function _writePackets(out: Uint8Array, at: number, tag: number, packets: readonly Uint8Array[]): number {
  for (const p of packets) {
    out[at++] = tag;
    at = writeVarint(out, at, p.length);
    out.set(p, at);
    at += p.length;
  }
  return at;
}

/** DELIVER frames of `packets`: views of one buffer for all of them (one allocation, not one each). */
export function deliverFrames(packets: readonly Uint8Array[]): Uint8Array[] {
  let total = 0;
  for (const p of packets) total += p.length + 1;
  const buf = Buffer.allocUnsafe(total);
  const frames = new Array<Uint8Array>(packets.length);
  let at = 0;
  packets.forEach((p, i) => {
    const frame = buf.subarray(at, (at += p.length + 1));
    frame[0] = ServerFrameType.DELIVER;
    frame.set(p, 1);
    frames[i] = frame;
  });
  return frames;
}
