// Fuzz target: what a gateway reads from another replica (MailboxEvent, ReplicaBatch and
// ReplicaStatuses from NATS), and the hand-written encoders whose output those readers take. The
// first byte picks the message. Checks: a malformed message raises an error of the protobuf
// decoder (never anything else); a decoded one's packets become DELIVER frames whose bytes are the
// packets' (what Presence and ReplicaLink then read from); the hand-written encoders write, for the
// decoded packets, ticket and subject, exactly the bytes protobuf-es writes, which decode back to
// them.
import { create, fromBinary, gatewayV1, toBinary } from '@tacit/proto';
import { ServerFrameType } from '@tacit/protocol';
import { deliverFrames, encodeDeliverEvent, encodeReplicaBatch } from '../mailbox-event.js';
import { expect } from './_fuzz.js';

function decodeError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.constructor === Error || err.constructor === RangeError) return true;
  return err instanceof TypeError && (err as { code?: unknown }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA';
}

function checkFrames(packets: readonly Uint8Array[]): void {
  const frames = deliverFrames(packets);
  expect(frames.length === packets.length, 'deliverFrames lost or added a frame');
  frames.forEach((f, i) => {
    expect(f[0] === ServerFrameType.DELIVER && Buffer.from(f.subarray(1)).equals(packets[i]!), 'a DELIVER frame differs from its packet');
  });
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

export function fuzz(data: Uint8Array): void {
  if (data.length === 0) return;
  const body = data.subarray(1);
  try {
    switch (data[0]! % 3) {
      case 0: {
        const event = fromBinary(gatewayV1.MailboxEventSchema, body);
        if (event.event.case !== 'deliver' && event.event.case !== 'deliverBatch') return;
        const packets = event.event.case === 'deliver' ? [event.event.value] : event.event.value.packets;
        checkFrames(packets);
        if (packets.length === 0) return;
        const mine = encodeDeliverEvent(packets);
        const theirs = toBinary(gatewayV1.MailboxEventSchema, create(gatewayV1.MailboxEventSchema, packets.length === 1 ? { event: { case: 'deliver', value: packets[0]! } } : { event: { case: 'deliverBatch', value: { packets } } }));
        expect(same(mine, theirs), 'encodeDeliverEvent differs from protobuf-es');
        return;
      }
      case 1: {
        const batch = fromBinary(gatewayV1.ReplicaBatchSchema, body);
        checkFrames(batch.packets);
        if (!/^[\x21-\x7e]*$/.test(batch.statusSubject)) return; // encodeReplicaBatch takes subjects of printable ASCII only
        const mine = encodeReplicaBatch(batch.firstTicket, batch.statusSubject, batch.packets);
        const theirs = toBinary(gatewayV1.ReplicaBatchSchema, create(gatewayV1.ReplicaBatchSchema, { firstTicket: batch.firstTicket, statusSubject: batch.statusSubject, packets: batch.packets }));
        expect(same(mine, theirs), 'encodeReplicaBatch differs from protobuf-es');
        const back = fromBinary(gatewayV1.ReplicaBatchSchema, mine);
        expect(
          back.firstTicket === batch.firstTicket &&
            back.statusSubject === batch.statusSubject &&
            back.packets.length === batch.packets.length &&
            back.packets.every((p, i) => same(p, batch.packets[i]!)),
          'a ReplicaBatch does not decode back',
        );
        return;
      }
      default: {
        const statuses = fromBinary(gatewayV1.ReplicaStatusesSchema, body);
        expect(statuses.acked.every((t) => Number.isInteger(t) && t >= 0 && t <= 0xffff_ffff) && statuses.busy.every((t) => Number.isInteger(t) && t >= 0 && t <= 0xffff_ffff), 'a ticket that is not a uint32');
      }
    }
  } catch (err) {
    if (decodeError(err)) return;
    throw err;
  }
}

/** A MailboxEvent of one packet and of three, a ReplicaBatch, a ReplicaStatuses. */
export function seeds(): Uint8Array[] {
  const p = (n: number, b: number) => new Uint8Array(n).fill(b);
  const tag = (t: number, bytes: Uint8Array) => Uint8Array.of(t, ...bytes);
  return [
    tag(0, encodeDeliverEvent([p(330, 1)])),
    tag(0, encodeDeliverEvent([p(330, 1), p(586, 2), p(20, 3)])),
    tag(0, toBinary(gatewayV1.MailboxEventSchema, create(gatewayV1.MailboxEventSchema, { event: { case: 'poke', value: {} } }))),
    tag(1, encodeReplicaBatch(300, 'tacit.gws.0123456789abcdef', [p(330, 4), p(200, 5)])),
    tag(2, toBinary(gatewayV1.ReplicaStatusesSchema, create(gatewayV1.ReplicaStatusesSchema, { acked: [1, 2, 0xffff_ffff], busy: [7] }))),
  ];
}
