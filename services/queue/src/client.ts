/**
 * How other services (the gateway) talk to the queue: the {@link QueueClient} interface, and
 * {@link BusQueueClient}, its implementation over any kit Bus (NatsBus in the cluster,
 * InProcessBus in the node). Protobuf payloads from @tacit/proto; errors arrive as kit's typed
 * errors (InvalidArgumentError, UnavailableError, …).
 * @module
 */
import type { Bus } from '@tacit/kit';
import { InternalError } from '@tacit/kit';
import { create, fromBinary, packPackets, QUEUE_GROUP, QUEUE_SUBJECTS, toBinary, queueV1, unpackPackets } from '@tacit/proto';
import { plainBytes } from './sql-repository.js';
import type { AckRef, DrainQuery, DrainResult, EnqueueInput, EnqueueStatus, PackedDrainResult } from './model.js';

/** NATS subjects and queue group of the queue's request/reply API (defined in @tacit/proto). */
export { QUEUE_GROUP, QUEUE_SUBJECTS };

/** The queue as its callers see it. The caller has verified mailbox ownership for drain and ack. */
export interface QueueClient {
  /** Durably stores packets; one status per packet, in order. Resolves only after commit. */
  enqueue(packets: readonly EnqueueInput[]): Promise<EnqueueStatus[]>;
  /** One page of stored packets, in seq order. */
  drain(query: DrainQuery): Promise<DrainResult>;
  /** {@link drain} in the layout of DrainReply.packed (see queue.proto). */
  drainPacked(query: DrainQuery): Promise<PackedDrainResult>;
  /** Deletes delivered packets; resolves to how many were still stored. */
  ack(refs: readonly AckRef[]): Promise<number>;
  /**
   * {@link ack} of refs packed as in AckRequest.packed_refs (36 bytes each, see queue.proto), with
   * their seqs as in AckRequest.packed_seqs when known (8 bytes each, same order).
   */
  ackPacked(refs: Uint8Array, seqs?: Uint8Array): Promise<number>;
}

/** Options of {@link BusQueueClient}. */
export interface BusQueueClientOptions {
  /** Per-request timeout (default: the bus default, 5000 ms). */
  timeoutMs?: number;
}

const _STATUS_FROM_WIRE: Partial<Record<queueV1.EnqueueStatus, EnqueueStatus>> = {
  [queueV1.EnqueueStatus.STORED]: 'stored',
  [queueV1.EnqueueStatus.DUPLICATE]: 'duplicate',
  [queueV1.EnqueueStatus.MAILBOX_FULL]: 'mailbox_full',
};

/** Wire value of an {@link EnqueueStatus}. */
export const STATUS_TO_WIRE: Readonly<Record<EnqueueStatus, queueV1.EnqueueStatus>> = Object.freeze({
  stored: queueV1.EnqueueStatus.STORED,
  duplicate: queueV1.EnqueueStatus.DUPLICATE,
  mailbox_full: queueV1.EnqueueStatus.MAILBOX_FULL,
});

/** {@link QueueClient} over a kit Bus. */
export class BusQueueClient implements QueueClient {
  readonly #bus: Bus;
  readonly #opts: { timeoutMs?: number };

  constructor(bus: Bus, opts: BusQueueClientOptions = {}) {
    this.#bus = bus;
    this.#opts = opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs };
  }

  async enqueue(packets: readonly EnqueueInput[]): Promise<EnqueueStatus[]> {
    const req = create(queueV1.EnqueueRequestSchema, {
      packets: packets.map((p) => ({ mailboxId: p.mailboxId, packetId: p.packetId, packet: p.packet, ttlSeconds: p.ttlSeconds ?? 0 })),
    });
    const data = await this.#bus.request(QUEUE_SUBJECTS.enqueue, toBinary(queueV1.EnqueueRequestSchema, req), this.#opts);
    const reply = fromBinary(queueV1.EnqueueReplySchema, data);
    if (reply.results.length !== packets.length) {
      throw new InternalError(`queue answered ${reply.results.length} results for ${packets.length} packets`);
    }
    return reply.results.map((r) => {
      const s = _STATUS_FROM_WIRE[r.status];
      if (!s) throw new InternalError(`queue answered unknown status ${r.status}`);
      return s;
    });
  }

  async drain(query: DrainQuery): Promise<DrainResult> {
    const page = await this.drainPacked(query);
    return { packets: unpackPackets(page.packed), more: page.more };
  }

  async drainPacked(query: DrainQuery): Promise<PackedDrainResult> {
    const req = create(queueV1.DrainRequestSchema, {
      mailboxIds: [...query.mailboxIds],
      afterSeq: query.afterSeq ?? 0n,
      limit: query.limit,
      packed: true,
    });
    const data = await this.#bus.request(QUEUE_SUBJECTS.drain, toBinary(queueV1.DrainRequestSchema, req), this.#opts);
    const reply = fromBinary(queueV1.DrainReplySchema, data);
    // A queue that predates DrainRequest.packed answers in packets.
    const packed = reply.packets.length > 0 ? packPackets(reply.packets) : plainBytes(reply.packed);
    return { packed, more: reply.more };
  }

  async ack(refs: readonly AckRef[]): Promise<number> {
    const req = create(queueV1.AckRequestSchema, {
      refs: refs.map((r) => ({ mailboxId: r.mailboxId, packetId: r.packetId, expiryDay: r.expiryDay ?? 0 })),
    });
    const data = await this.#bus.request(QUEUE_SUBJECTS.ack, toBinary(queueV1.AckRequestSchema, req), this.#opts);
    return fromBinary(queueV1.AckReplySchema, data).deleted;
  }

  async ackPacked(refs: Uint8Array, seqs?: Uint8Array): Promise<number> {
    const req = create(queueV1.AckRequestSchema, seqs ? { packedRefs: refs, packedSeqs: seqs } : { packedRefs: refs });
    const data = await this.#bus.request(QUEUE_SUBJECTS.ack, toBinary(queueV1.AckRequestSchema, req), this.#opts);
    return fromBinary(queueV1.AckReplySchema, data).deleted;
  }
}
