/**
 * The queue's storage port: every SQL side effect goes through a {@link QueueRepository}, so the
 * service logic runs unchanged over PostgreSQL ({@link PgQueueRepository}) and PGlite
 * ({@link PgliteQueueRepository}), and a test can swap in a fake.
 * @module
 */
import type { AckRef, EnqueueStatus, NewPacket, StoredPacket } from './model.js';

/** Storage of queued packets, partitioned by expiry day. */
export interface QueueRepository {
  /**
   * Writes a batch in ONE transaction and resolves after COMMIT: per packet (same order),
   * `stored`, `duplicate` (same mailbox and packet id already stored, or earlier in the batch) or
   * `mailbox_full` (the mailbox holds `cap` packets; not stored). Needs the partitions of every
   * expiry day in the batch.
   */
  storeBatch(packets: readonly NewPacket[], cap: number): Promise<EnqueueStatus[]>;
  /** Up to `limit` unexpired packets of these mailboxes with seq > afterSeq, in seq order. */
  drain(mailboxIds: readonly Uint8Array[], afterSeq: bigint, limit: number, nowMs: number): Promise<StoredPacket[]>;
  /** Deletes the named packets (in any partition); resolves to how many existed. */
  ack(refs: readonly AckRef[]): Promise<number>;
  /** Creates the missing partitions for expiry days `fromDay..toDay` (inclusive); resolves to how many were created. */
  ensurePartitions(fromDay: number, toDay: number): Promise<number>;
  /** Drops every partition whose expiry day is before `day` (their packets have all expired); resolves to how many. */
  dropPartitionsBefore(day: number): Promise<number>;
  /** Packets stored in total (expired ones count until their partition is dropped). */
  countStored(): Promise<number>;
  /** Releases connections. */
  close(): Promise<void>;
}
