/**
 * The queue's storage port: every SQL side effect goes through a {@link QueueRepository}, so the
 * service logic runs unchanged over PostgreSQL ({@link PgQueueRepository}) and PGlite
 * ({@link PgliteQueueRepository}), and a test can swap in a fake.
 * @module
 */
import type { AckRef, EnqueueStatus, NewPacket } from './model.js';

/** Storage of queued packets, partitioned by expiry day. */
export interface QueueRepository {
  /**
   * Writes a batch in ONE transaction and resolves after COMMIT: per packet (same order),
   * `stored`, `duplicate` (same mailbox and packet id already stored, or earlier in the batch) or
   * `mailbox_full` (the mailbox holds more live packets than this attempt's cap, drawn from
   * (cap - cap/8, cap]; not stored). Packets expired by `nowMs` stop counting. Needs the partitions
   * of every expiry day in the batch.
   */
  storeBatch(packets: readonly NewPacket[], cap: number, nowMs: number): Promise<EnqueueStatus[]>;
  /**
   * Up to `limit` unexpired packets of these mailboxes with seq > afterSeq, in seq order, in the
   * layout of DrainReply.packed (see queue.proto; `unpackPackets` of @tacit/proto reads it).
   */
  drainPage(mailboxIds: readonly Uint8Array[], afterSeq: bigint, limit: number, nowMs: number): Promise<Uint8Array>;
  /**
   * Deletes the named packets, looking in their `expiryDay`'s partition first and in every
   * partition for refs without a day or not found there; resolves to how many existed.
   */
  ack(refs: readonly AckRef[]): Promise<number>;
  /**
   * {@link ack} of refs in the layout of AckRequest.packed_refs (36 bytes each, see queue.proto),
   * with their seqs as in AckRequest.packed_seqs (8 bytes each, same order) when known.
   */
  ackPacked(refs: Uint8Array, seqs?: Uint8Array): Promise<number>;
  /** Creates the missing partitions for expiry days `fromDay..toDay` (inclusive); resolves to how many were created. */
  ensurePartitions(fromDay: number, toDay: number): Promise<number>;
  /** Drops every partition whose expiry day is before `day` (their packets have all expired); resolves to how many. */
  dropPartitionsBefore(day: number): Promise<number>;
  /** Packets stored in total (expired ones count until their partition is dropped). */
  countStored(): Promise<number>;
  /** Bytes the stored packets take on disk: every partition of the packets table, its indexes and TOAST. */
  storedBytes(): Promise<number>;
  /**
   * Optional: readies connections before traffic (opens them and has the database plan the
   * queue's statements on each), so the first requests do not pay for it.
   */
  warm?(): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}
