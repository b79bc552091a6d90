import { InvalidArgumentError, type Bus } from '@tacit/kit';
import { create, fromBinary, packAckRefs, packAckSeqs, packPackets, QUEUE_SUBJECTS, queueV1, toBinary } from '@tacit/proto';

/** One packet for the queue: its mailbox, dedup id, whole encoded bytes and TTL. */
export interface QueueItem {
  mailboxId: Uint8Array;
  packetId: Uint8Array;
  packet: Uint8Array;
  ttlSeconds: number;
}

/**
 * A drained page: its packets in enqueue order as DrainReply.packed lays them out (per packet seq,
 * expiry day, mailbox id, packet id, length, packet; see `unpackPackets` in @tacit/proto). The
 * gateway reads the page where it lies instead of an object and three views per packet.
 */
export interface DrainedPage {
  page: Uint8Array;
  more: boolean;
}

/**
 * A delivered packet to delete from the queue; `expiryDay` and `seq` as its drain reported (0 or
 * absent: unknown). With seqs, the queue deletes a mailbox's refs by one range scan.
 */
export interface QueueAckRef {
  mailboxId: Uint8Array;
  packetId: Uint8Array;
  expiryDay?: number;
  /** A number is exact below 2^53; the queue only takes the seq as a hint. */
  seq?: bigint | number;
}

/** Most refs the queue takes in one ack request (its `maxAckRefs`); {@link BusQueuePort.ack} splits larger batches. */
export const QUEUE_MAX_ACK_REFS = 1000;

export type EnqueueOutcome = 'stored' | 'duplicate' | 'mailbox_full';

/** What the gateway needs of the queue service. */
export interface QueuePort {
  enqueue(item: QueueItem): Promise<EnqueueOutcome>;
  drain(mailboxIds: Uint8Array[], afterSeq: bigint, limit: number): Promise<DrainedPage>;
  /** Deletes delivered packets, any number of them; resolves to how many were still queued. */
  ack(refs: readonly QueueAckRef[]): Promise<number>;
}

/** The queue's subjects (defined in @tacit/proto, with the queue's own). */
export { QUEUE_SUBJECTS };

/**
 * The queue over any {@link Bus}. Enqueues issued in the same tick travel as one request, so a burst of
 * sends costs one NATS round trip and lands in one of the queue's group commits.
 */
export class BusQueuePort implements QueuePort {
  private batch: Array<{ item: QueueItem; resolve: (o: EnqueueOutcome) => void; reject: (e: unknown) => void }> = [];
  /** Set once the queue refused packed acks (it predates them). */
  private unpackedAcks = false;
  private batchBytes = 0;
  private scheduled = false;

  constructor(
    private readonly bus: Bus,
    private readonly opts: { timeoutMs?: number; maxBatch?: number; maxBatchBytes?: number } = {},
  ) {}

  enqueue(item: QueueItem): Promise<EnqueueOutcome> {
    return new Promise((resolve, reject) => {
      // A request must fit one NATS message (1 MiB by default): bound the batch by bytes too.
      if (this.batch.length > 0 && this.batchBytes + item.packet.length > (this.opts.maxBatchBytes ?? 512 * 1024)) this.flush();
      this.batch.push({ item, resolve, reject });
      this.batchBytes += item.packet.length;
      if (this.batch.length >= (this.opts.maxBatch ?? 512)) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    this.batchBytes = 0;
    // Messages as literals: create() would copy every field by reflection first.
    const req: queueV1.EnqueueRequest = {
      $typeName: 'tacit.queue.v1.EnqueueRequest',
      packets: batch.map(({ item }) => ({
        $typeName: 'tacit.queue.v1.QueuedPacket',
        mailboxId: item.mailboxId,
        packetId: item.packetId,
        packet: item.packet,
        ttlSeconds: item.ttlSeconds,
      })),
    };
    this.bus
      .request(QUEUE_SUBJECTS.enqueue, toBinary(queueV1.EnqueueRequestSchema, req), { timeoutMs: this.opts.timeoutMs ?? 10_000 })
      .then((bytes) => {
        const reply = fromBinary(queueV1.EnqueueReplySchema, bytes);
        batch.forEach((b, i) => {
          const status = reply.results[i]?.status;
          if (status === queueV1.EnqueueStatus.STORED) b.resolve('stored');
          else if (status === queueV1.EnqueueStatus.DUPLICATE) b.resolve('duplicate');
          else if (status === queueV1.EnqueueStatus.MAILBOX_FULL) b.resolve('mailbox_full');
          else b.reject(new Error(`queue answered no status for packet ${i}`));
        });
      })
      .catch((err: unknown) => batch.forEach((b) => b.reject(err)));
  }

  async drain(mailboxIds: Uint8Array[], afterSeq: bigint, limit: number): Promise<DrainedPage> {
    const req = create(queueV1.DrainRequestSchema, { mailboxIds, afterSeq, limit, packed: true });
    const bytes = await this.bus.request(QUEUE_SUBJECTS.drain, toBinary(queueV1.DrainRequestSchema, req), {
      timeoutMs: this.opts.timeoutMs ?? 10_000,
    });
    const reply = fromBinary(queueV1.DrainReplySchema, bytes);
    // Packed: one field for the page instead of a message per packet. A queue that predates
    // DrainRequest.packed answers in packets, packed here into the same layout.
    return { page: reply.packed.length > 0 || reply.packets.length === 0 ? reply.packed : packPackets(reply.packets), more: reply.more };
  }

  async ack(refs: readonly QueueAckRef[]): Promise<number> {
    // The queue refuses more than QUEUE_MAX_ACK_REFS per request: one tick's acks of many connections
    // easily exceed it, so they go as several requests.
    const chunks: Promise<number>[] = [];
    for (let at = 0; at < refs.length; at += QUEUE_MAX_ACK_REFS) chunks.push(this.ackChunk(refs.slice(at, at + QUEUE_MAX_ACK_REFS)));
    return (await Promise.all(chunks)).reduce((a, b) => a + b, 0);
  }

  private async ackChunk(refs: readonly QueueAckRef[]): Promise<number> {
    if (!this.unpackedAcks) {
      try {
        // Seqs beside the refs (a queue that predates AckRequest.packed_seqs ignores them).
        const req = refs.some((r) => r.seq)
          ? { packedRefs: packAckRefs(refs), packedSeqs: packAckSeqs(refs) }
          : { packedRefs: packAckRefs(refs) };
        return await this.ackRequest(create(queueV1.AckRequestSchema, req));
      } catch (err) {
        // A queue that predates AckRequest.packed_refs sees no refs and refuses the request: ack
        // that queue with refs from now on.
        if (!(err instanceof InvalidArgumentError)) throw err;
        this.unpackedAcks = true;
      }
    }
    return this.ackRequest(
      create(queueV1.AckRequestSchema, {
        refs: refs.map((r) => ({ mailboxId: r.mailboxId, packetId: r.packetId, expiryDay: r.expiryDay ?? 0 })),
      }),
    );
  }

  private async ackRequest(req: queueV1.AckRequest): Promise<number> {
    const bytes = await this.bus.request(QUEUE_SUBJECTS.ack, toBinary(queueV1.AckRequestSchema, req), {
      timeoutMs: this.opts.timeoutMs ?? 10_000,
    });
    return fromBinary(queueV1.AckReplySchema, bytes).deleted;
  }
}
