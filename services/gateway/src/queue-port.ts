import type { Bus } from '@tacit/kit';
import { create, fromBinary, queueV1, toBinary } from '@tacit/proto';

/** One packet for the queue: its mailbox, dedup id, whole encoded bytes and TTL. */
export interface QueueItem {
  mailboxId: Uint8Array;
  packetId: Uint8Array;
  packet: Uint8Array;
  ttlSeconds: number;
}

/** A queued packet handed back by a drain, in enqueue order. */
export interface DrainedPacket {
  seq: bigint;
  mailboxId: Uint8Array;
  packetId: Uint8Array;
  packet: Uint8Array;
}

export type EnqueueOutcome = 'stored' | 'duplicate' | 'mailbox_full';

/** What the gateway needs of the queue service. */
export interface QueuePort {
  enqueue(item: QueueItem): Promise<EnqueueOutcome>;
  drain(mailboxIds: Uint8Array[], afterSeq: bigint, limit: number): Promise<{ packets: DrainedPacket[]; more: boolean }>;
  ack(refs: Array<{ mailboxId: Uint8Array; packetId: Uint8Array }>): Promise<number>;
}

export const QUEUE_SUBJECTS = Object.freeze({
  enqueue: 'tacit.queue.v1.enqueue',
  drain: 'tacit.queue.v1.drain',
  ack: 'tacit.queue.v1.ack',
});

/**
 * The queue over any {@link Bus}. Enqueues issued in the same tick travel as one request, so a burst of
 * sends costs one NATS round trip and lands in one of the queue's group commits.
 */
export class BusQueuePort implements QueuePort {
  private batch: Array<{ item: QueueItem; resolve: (o: EnqueueOutcome) => void; reject: (e: unknown) => void }> = [];
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
    const req = create(queueV1.EnqueueRequestSchema, {
      packets: batch.map(({ item }) => ({
        mailboxId: item.mailboxId,
        packetId: item.packetId,
        packet: item.packet,
        ttlSeconds: item.ttlSeconds,
      })),
    });
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

  async drain(mailboxIds: Uint8Array[], afterSeq: bigint, limit: number): Promise<{ packets: DrainedPacket[]; more: boolean }> {
    const req = create(queueV1.DrainRequestSchema, { mailboxIds, afterSeq, limit });
    const bytes = await this.bus.request(QUEUE_SUBJECTS.drain, toBinary(queueV1.DrainRequestSchema, req), {
      timeoutMs: this.opts.timeoutMs ?? 10_000,
    });
    const reply = fromBinary(queueV1.DrainReplySchema, bytes);
    return {
      packets: reply.packets.map((p) => ({ seq: p.seq, mailboxId: p.mailboxId, packetId: p.packetId, packet: p.packet })),
      more: reply.more,
    };
  }

  async ack(refs: Array<{ mailboxId: Uint8Array; packetId: Uint8Array }>): Promise<number> {
    const req = create(queueV1.AckRequestSchema, { refs });
    const bytes = await this.bus.request(QUEUE_SUBJECTS.ack, toBinary(queueV1.AckRequestSchema, req), {
      timeoutMs: this.opts.timeoutMs ?? 10_000,
    });
    return fromBinary(queueV1.AckReplySchema, bytes).deleted;
  }
}
