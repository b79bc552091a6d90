/**
 * Thin bus handlers: decode the protobuf request, call one {@link QueueService} method, encode
 * the reply. Typed errors thrown by the service travel back to the requester as the same class.
 * @module
 */
import { InvalidArgumentError, type Bus, type BusSubscription } from '@tacit/kit';
import { create, fromBinary, toBinary, queueV1 } from '@tacit/proto';
import { QUEUE_GROUP, QUEUE_SUBJECTS, STATUS_TO_WIRE, type QueueClient } from './client.js';

// A protobuf decode error describes the bytes, not a bug: the caller sent garbage.
function _decode<T>(decode: () => T, what: string): T {
  try {
    return decode();
  } catch (err) {
    throw new InvalidArgumentError(`malformed ${what}`, { cause: err });
  }
}

/**
 * Serves `tacit.queue.v1.enqueue|drain|ack` on `bus` with queue group "queue"; returns the
 * subscriptions (unsubscribe them to stop serving).
 */
export function registerQueueHandlers(bus: Bus, service: QueueClient): BusSubscription[] {
  const opts = { queue: QUEUE_GROUP };
  return [
    bus.serve(
      QUEUE_SUBJECTS.enqueue,
      async (data) => {
        const req = _decode(() => fromBinary(queueV1.EnqueueRequestSchema, data), 'EnqueueRequest');
        const statuses = await service.enqueue(req.packets);
        const reply = create(queueV1.EnqueueReplySchema, { results: statuses.map((s) => ({ status: STATUS_TO_WIRE[s] })) });
        return toBinary(queueV1.EnqueueReplySchema, reply);
      },
      opts,
    ),
    bus.serve(
      QUEUE_SUBJECTS.drain,
      async (data) => {
        const req = _decode(() => fromBinary(queueV1.DrainRequestSchema, data), 'DrainRequest');
        const query = { mailboxIds: req.mailboxIds, afterSeq: req.afterSeq, limit: req.limit };
        if (req.packed) {
          // One bytes field, the database's own: no message per packet to build, encode and decode.
          const page = await service.drainPacked(query);
          return toBinary(queueV1.DrainReplySchema, create(queueV1.DrainReplySchema, { more: page.more, packed: page.packed }));
        }
        const page = await service.drain(query);
        // Messages as literals: create() would copy every packet field by reflection first.
        const reply: queueV1.DrainReply = {
          $typeName: 'tacit.queue.v1.DrainReply',
          more: page.more,
          packed: new Uint8Array(0),
          packets: page.packets.map((p) => ({
            $typeName: 'tacit.queue.v1.StoredPacket',
            seq: p.seq,
            expiryDay: p.expiryDay,
            mailboxId: p.mailboxId,
            packetId: p.packetId,
            packet: p.packet,
          })),
        };
        return toBinary(queueV1.DrainReplySchema, reply);
      },
      opts,
    ),
    bus.serve(
      QUEUE_SUBJECTS.ack,
      async (data) => {
        const req = _decode(() => fromBinary(queueV1.AckRequestSchema, data), 'AckRequest');
        if (req.refs.length > 0 && req.packedRefs.length > 0) {
          throw new InvalidArgumentError('AckRequest expected refs or packed_refs, got both');
        }
        if (req.packedSeqs.length > 0 && req.packedRefs.length === 0) {
          throw new InvalidArgumentError('AckRequest.packed_seqs expected packed_refs beside it');
        }
        const deleted =
          req.packedRefs.length > 0 ? await service.ackPacked(req.packedRefs, req.packedSeqs) : await service.ack(req.refs);
        return toBinary(queueV1.AckReplySchema, create(queueV1.AckReplySchema, { deleted }));
      },
      opts,
    ),
  ];
}
