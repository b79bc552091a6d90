/**
 * The queue's bus API: thin handlers that take the decoded request (the platform's transport
 * decodes it with the route's message), call one {@link QueueService} method and return the reply.
 * Typed errors thrown by the service travel back to the caller as the same class.
 * @module
 */
import { Controller, Inject } from '@nestjs/common';
import { InvalidArgumentError } from '@tacit/kit';
import { BusHandle } from '@tacit/platform';
import { QUEUE_ROUTES, queueV1 } from '@tacit/proto';
import type { EnqueueStatus } from './model.js';
import { QueueService } from './queue.service.js';

/** Wire value of an {@link EnqueueStatus}. */
export const STATUS_TO_WIRE: Readonly<Record<EnqueueStatus, queueV1.EnqueueStatus>> = Object.freeze({
  stored: queueV1.EnqueueStatus.STORED,
  duplicate: queueV1.EnqueueStatus.DUPLICATE,
  mailbox_full: queueV1.EnqueueStatus.MAILBOX_FULL,
  storage_full: queueV1.EnqueueStatus.STORAGE_FULL,
});

@Controller()
export class QueueController {
  constructor(@Inject(QueueService) private readonly queue: QueueService) {}

  @BusHandle(QUEUE_ROUTES.enqueue)
  async enqueue(req: queueV1.EnqueueRequest): Promise<queueV1.EnqueueReply> {
    const statuses = await this.queue.enqueue(req.packets);
    // Messages as literals: create() would copy every field by reflection first.
    return {
      $typeName: 'tacit.queue.v1.EnqueueReply',
      results: statuses.map((s) => ({ $typeName: 'tacit.queue.v1.EnqueueResult', status: STATUS_TO_WIRE[s] })),
    };
  }

  @BusHandle(QUEUE_ROUTES.drain)
  async drain(req: queueV1.DrainRequest): Promise<queueV1.DrainReply> {
    const query = { mailboxIds: req.mailboxIds, afterSeq: req.afterSeq, limit: req.limit };
    if (req.packed) {
      // One bytes field, the database's own: no message per packet to build, encode and decode.
      const page = await this.queue.drainPacked(query);
      return { $typeName: 'tacit.queue.v1.DrainReply', more: page.more, packed: page.packed, packets: [] };
    }
    // A caller that predates DrainRequest.packed gets messages.
    const page = await this.queue.drain(query);
    return {
      $typeName: 'tacit.queue.v1.DrainReply',
      more: page.more,
      packed: new Uint8Array(0),
      packets: page.packets.map((p) => ({ $typeName: 'tacit.queue.v1.StoredPacket', ...p })),
    };
  }

  @BusHandle(QUEUE_ROUTES.ack)
  async ack(req: queueV1.AckRequest): Promise<queueV1.AckReply> {
    if (req.refs.length > 0 && req.packedRefs.length > 0) throw new InvalidArgumentError('AckRequest expected refs or packed_refs, got both');
    if (req.packedSeqs.length > 0 && req.packedRefs.length === 0) throw new InvalidArgumentError('AckRequest.packed_seqs expected packed_refs beside it');
    const deleted = req.packedRefs.length > 0 ? await this.queue.ackPacked(req.packedRefs, req.packedSeqs) : await this.queue.ack(req.refs);
    return { $typeName: 'tacit.queue.v1.AckReply', deleted };
  }
}
