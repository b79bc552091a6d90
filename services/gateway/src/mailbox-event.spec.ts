import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { create, fromBinary, gatewayV1, toBinary } from '@tacit/proto';
import { ServerFrameType } from '@tacit/protocol';
import { deliverFrames, encodeDeliverEvent, encodeReplicaBatch } from './mailbox-event.js';

const packet = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

describe('encodeDeliverEvent', () => {
  it('writes what protobuf-es writes, for one packet and for batches, across varint sizes', () => {
    for (const sizes of [[0], [1], [127], [128], [300], [70_000], [1, 2], [127, 128, 16_384], Array.from({ length: 64 }, (_, i) => 250 + i)]) {
      const packets = sizes.map(packet);
      const event = create(gatewayV1.MailboxEventSchema, {
        event: packets.length === 1 ? { case: 'deliver', value: packets[0]! } : { case: 'deliverBatch', value: { packets } },
      });
      const mine = encodeDeliverEvent(packets);
      assert.deepEqual(Buffer.from(mine), Buffer.from(toBinary(gatewayV1.MailboxEventSchema, event)), `sizes ${sizes.join(',')}`);
      const back = fromBinary(gatewayV1.MailboxEventSchema, mine);
      const got = back.event.case === 'deliver' ? [back.event.value] : back.event.case === 'deliverBatch' ? back.event.value.packets : [];
      assert.deepEqual(got.map((p) => Buffer.from(p)), packets.map((p) => Buffer.from(p)));
    }
  });
});

describe('encodeReplicaBatch', () => {
  it('writes what protobuf-es writes, across tickets, subjects and packet sizes', () => {
    const tickets = [0, 1, 127, 128, 16_384, 0x7fff_ffff, 0xffff_ffff];
    const subjects = ['', 'tacit.gws.0123456789abcdef'];
    const batches = [[], [0], [300], [1, 127, 128], Array.from({ length: 512 }, (_, i) => 200 + i)];
    for (const firstTicket of tickets) {
      for (const statusSubject of subjects) {
        for (const sizes of batches) {
          const packets = sizes.map(packet);
          const mine = encodeReplicaBatch(firstTicket, statusSubject, packets);
          const theirs = toBinary(gatewayV1.ReplicaBatchSchema, create(gatewayV1.ReplicaBatchSchema, { firstTicket, statusSubject, packets }));
          assert.deepEqual(Buffer.from(mine), Buffer.from(theirs), `ticket ${firstTicket}, subject ${statusSubject}, ${sizes.length} packets`);
          const back = fromBinary(gatewayV1.ReplicaBatchSchema, mine);
          assert.equal(back.firstTicket, firstTicket);
          assert.equal(back.statusSubject, statusSubject);
          assert.deepEqual(back.packets.map((p) => Buffer.from(p)), packets.map((p) => Buffer.from(p)));
        }
      }
    }
  });

  it('refuses a ticket that is not a uint32 and a subject that is not printable ASCII', () => {
    for (const bad of [-1, 0x1_0000_0000, 1.5, Number.NaN]) {
      assert.throws(() => encodeReplicaBatch(bad, 'tacit.gws.x', []), RangeError);
    }
    for (const bad of ['tacit.gws.é', 'a b', 'a\n']) {
      assert.throws(() => encodeReplicaBatch(0, bad, []), RangeError);
    }
  });
});

describe('deliverFrames', () => {
  it('makes one DELIVER frame per packet, the type byte then the packet, none overlapping', () => {
    const packets = [packet(5), packet(0), packet(300)];
    const frames = deliverFrames(packets);
    assert.equal(frames.length, 3);
    frames.forEach((f, i) => {
      assert.equal(f[0], ServerFrameType.DELIVER);
      assert.deepEqual(Buffer.from(f.subarray(1)), Buffer.from(packets[i]!));
    });
    frames[0]!.fill(0xee); // writing one frame leaves the others as they were
    assert.deepEqual(Buffer.from(frames[1]!.subarray(1)), Buffer.from(packets[1]!));
    assert.deepEqual(Buffer.from(frames[2]!.subarray(1)), Buffer.from(packets[2]!));
    assert.deepEqual(deliverFrames([]), []);
  });
});
