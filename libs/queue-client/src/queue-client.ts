/**
 * How other services call the queue: {@link QueueClient}, and {@link BusQueueClient}, its one
 * implementation over the bus (the platform's client proxy: NATS in the cluster, in process in the
 * node). Subjects, messages and per-request limits come from @tacit/proto, where the queue takes them too.
 * @module
 */
import { InternalError, InvalidArgumentError, withTraceContext, type Context } from '@tacit/kit';
import type { BusClientProxy } from '@tacit/platform';
import { packAckRefs, packAckSeqs, packPackets, QUEUE_LIMITS, QUEUE_ROUTES, queueV1 } from '@tacit/proto';

/** One packet for the queue: its mailbox, dedup id, whole encoded bytes and TTL. */
export interface QueueItem {
  mailboxId: Uint8Array;
  packetId: Uint8Array;
  packet: Uint8Array;
  /** Seconds to keep it (0: the queue's default; more than its maximum is clamped). */
  ttlSeconds: number;
  /** The trace of a sampled packet: the request that carries it continues that trace. */
  trace?: Context;
}

/** What became of an enqueued packet. */
export type EnqueueOutcome = 'stored' | 'duplicate' | 'mailbox_full' | 'storage_full';

/**
 * A drained page: its packets in seq order as DrainReply.packed lays them out (per packet seq,
 * expiry day, mailbox id, packet id, length, packet; `unpackPackets` of @tacit/proto reads it).
 */
export interface DrainedPage {
  page: Uint8Array;
  /** More packets may follow: drain again after the last one's seq. */
  more: boolean;
}

/**
 * A delivered packet to delete; `expiryDay` and `seq` as its drain reported (0 or absent:
 * unknown). With seqs, the queue deletes a mailbox's refs by one range scan.
 */
export interface QueueAckRef {
  mailboxId: Uint8Array;
  packetId: Uint8Array;
  expiryDay?: number;
  /** A number is exact below 2^53; the queue only takes the seq as a hint. */
  seq?: bigint | number;
}

/** The queue as its callers see it. The caller has verified mailbox ownership for drain and ack. */
export interface QueueClient {
  /** Durably stores one packet; resolves after commit. Packets enqueued in one tick share a request. */
  enqueue(item: QueueItem): Promise<EnqueueOutcome>;
  /** One page of the mailboxes' packets after `afterSeq`, at most `limit`. */
  drain(mailboxIds: readonly Uint8Array[], afterSeq: bigint, limit: number): Promise<DrainedPage>;
  /** Deletes delivered packets, any number (split into requests the queue takes); resolves to how many were still queued. */
  ack(refs: readonly QueueAckRef[]): Promise<number>;
}

/** Options of {@link BusQueueClient}. */
export interface BusQueueClientOptions {
  /** Most packets in one enqueue request (default and at most QUEUE_LIMITS.maxEnqueuePackets). */
  maxBatch?: number;
  /** Most packet bytes in one enqueue request, so it fits a NATS message (default 512 KiB). */
  maxBatchBytes?: number;
}

interface _Waiting {
  item: QueueItem;
  resolve: (o: EnqueueOutcome) => void;
  reject: (e: unknown) => void;
}

const _OUTCOME: Partial<Record<queueV1.EnqueueStatus, EnqueueOutcome>> = {
  [queueV1.EnqueueStatus.STORED]: 'stored',
  [queueV1.EnqueueStatus.DUPLICATE]: 'duplicate',
  [queueV1.EnqueueStatus.MAILBOX_FULL]: 'mailbox_full',
  [queueV1.EnqueueStatus.STORAGE_FULL]: 'storage_full',
};

/**
 * {@link QueueClient} over the bus. Enqueues issued in the same tick travel as one request, so a
 * burst of sends costs one round trip and lands in one of the queue's group commits.
 */
export class BusQueueClient implements QueueClient {
  readonly #proxy: BusClientProxy;
  readonly #maxBatch: number;
  readonly #maxBatchBytes: number;
  #batch: _Waiting[] = [];
  #batchBytes = 0;
  #scheduled = false;
  /** Set once the queue refused packed acks (it predates them): ack it with refs from then on. */
  #unpackedAcks = false;

  constructor(proxy: BusClientProxy, opts: BusQueueClientOptions = {}) {
    this.#proxy = proxy;
    this.#maxBatch = Math.min(opts.maxBatch ?? QUEUE_LIMITS.maxEnqueuePackets, QUEUE_LIMITS.maxEnqueuePackets);
    this.#maxBatchBytes = opts.maxBatchBytes ?? 512 * 1024;
  }

  enqueue(item: QueueItem): Promise<EnqueueOutcome> {
    return new Promise((resolve, reject) => {
      if (this.#batch.length > 0 && this.#batchBytes + item.packet.length > this.#maxBatchBytes) this.#flush();
      this.#batch.push({ item, resolve, reject });
      this.#batchBytes += item.packet.length;
      if (this.#batch.length >= this.#maxBatch) this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#flush();
        });
      }
    });
  }

  #flush(): void {
    const batch = this.#batch;
    if (batch.length === 0) return;
    this.#batch = [];
    this.#batchBytes = 0;
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
    // A sampled packet in the batch: the request continues its trace (one is enough to follow it).
    const trace = batch.find((b) => b.item.trace !== undefined)?.item.trace;
    withTraceContext(trace, () => this.#proxy.call(QUEUE_ROUTES.enqueue, req)).then(
      (reply) => {
        for (let i = 0; i < batch.length; i++) {
          const outcome = _OUTCOME[reply.results[i]?.status ?? queueV1.EnqueueStatus.UNSPECIFIED];
          if (outcome) batch[i]!.resolve(outcome);
          else batch[i]!.reject(new InternalError(`queue answered no status for packet ${i} of ${batch.length}`));
        }
      },
      (err: unknown) => {
        for (const b of batch) b.reject(err);
      },
    );
  }

  async drain(mailboxIds: readonly Uint8Array[], afterSeq: bigint, limit: number): Promise<DrainedPage> {
    const reply = await this.#proxy.call(QUEUE_ROUTES.drain, { mailboxIds: [...mailboxIds], afterSeq, limit, packed: true });
    // Packed: one field for the page instead of a message per packet. A queue that predates
    // DrainRequest.packed answers in packets, packed here into the same layout.
    return { page: reply.packed.length > 0 || reply.packets.length === 0 ? reply.packed : packPackets(reply.packets), more: reply.more };
  }

  async ack(refs: readonly QueueAckRef[]): Promise<number> {
    // One tick's acks of many connections easily exceed what one request may carry.
    const chunks: Promise<number>[] = [];
    for (let at = 0; at < refs.length; at += QUEUE_LIMITS.maxAckRefs) chunks.push(this.#ackChunk(refs.slice(at, at + QUEUE_LIMITS.maxAckRefs)));
    return (await Promise.all(chunks)).reduce((a, b) => a + b, 0);
  }

  async #ackChunk(refs: readonly QueueAckRef[]): Promise<number> {
    if (!this.#unpackedAcks) {
      try {
        // Seqs beside the refs (a queue that predates AckRequest.packed_seqs ignores them).
        const req = refs.some((r) => r.seq) ? { packedRefs: packAckRefs(refs), packedSeqs: packAckSeqs(refs) } : { packedRefs: packAckRefs(refs) };
        return (await this.#proxy.call(QUEUE_ROUTES.ack, req)).deleted;
      } catch (err) {
        // A queue that predates AckRequest.packed_refs sees no refs and refuses the request.
        if (!(err instanceof InvalidArgumentError)) throw err;
        this.#unpackedAcks = true;
      }
    }
    const req = { refs: refs.map((r) => ({ mailboxId: r.mailboxId, packetId: r.packetId, expiryDay: r.expiryDay ?? 0 })) };
    return (await this.#proxy.call(QUEUE_ROUTES.ack, req)).deleted;
  }
}
