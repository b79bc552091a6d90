/**
 * The queue service's options, limits, counters and results ({@link QueueService} in
 * queue.service.ts).
 * @module
 */
import { MAX_TTL_SECONDS } from '@tacit/protocol';
import { QUEUE_LIMITS } from '@tacit/proto';
import type { GroupCommitOptions } from './group-commit.js';
import type { Clock } from './model.js';
import type { QueueRepository } from './repository.js';

/** Limits and policy of a {@link QueueService}; every field has a default. */
export interface QueueLimits {
  /** Default TTL, and the maximum a sender may ask for (longer is clamped). 30 days. */
  ttlSeconds: number;
  /** Packets one mailbox may hold; beyond it new packets get `mailbox_full`. 10 000. */
  mailboxCap: number;
  /** Largest packet accepted, in bytes; the protocol's largest is 65 610. 131 072. */
  maxPacketBytes: number;
  /** Most packets in one enqueue call. 1000. */
  maxEnqueuePackets: number;
  /** Largest drain `limit`. 1000. */
  maxDrainLimit: number;
  /** Most mailboxes in one drain (mailbox ids rotate hourly: a device back after days drains many; the gateway allows 4096 claims). 4096. */
  maxDrainMailboxes: number;
  /** Packet bytes in one drain reply, so it fits a NATS message (default max 1 MiB); at least one packet is always returned. 786 432. */
  maxDrainBytes: number;
  /** Most refs in one ack. 1000. */
  maxAckRefs: number;
}

/** Defaults of {@link QueueLimits}. */
export const DEFAULT_QUEUE_LIMITS: Readonly<QueueLimits> = Object.freeze({
  ttlSeconds: MAX_TTL_SECONDS,
  mailboxCap: 10_000,
  maxPacketBytes: 131_072,
  maxEnqueuePackets: QUEUE_LIMITS.maxEnqueuePackets,
  maxDrainLimit: QUEUE_LIMITS.maxDrainLimit,
  maxDrainMailboxes: QUEUE_LIMITS.maxDrainMailboxes,
  maxDrainBytes: QUEUE_LIMITS.maxDrainBytes,
  maxAckRefs: QUEUE_LIMITS.maxAckRefs,
});

/** Options of {@link QueueService}. */
export interface QueueServiceOptions {
  repository: QueueRepository;
  clock?: Clock;
  limits?: Partial<QueueLimits>;
  groupCommit?: GroupCommitOptions;
  /** How often {@link QueueService.start} runs expiry (default hourly). */
  expireIntervalMs?: number;
  /** Told when a background expiry run fails (it is retried at the next interval). */
  onExpireError?: (err: unknown) => void;
  /**
   * The storage watermark: once the packets take more bytes on disk than this, new packets get
   * `storage_full` (0: none). Measured every `storageCheckMs` (default 10 000).
   */
  storageLimitBytes?: number;
  storageCheckMs?: number;
}

/** Counters for metrics: counts only, never ids or bytes. */
export interface QueueStats {
  enqueueCalls: number;
  /** Group-commit flushes, i.e. enqueue transactions. */
  enqueueBatches: number;
  /** Largest batch flushed, in packets. */
  largestBatch: number;
  stored: number;
  duplicate: number;
  mailboxFull: number;
  /** Packets refused past the storage watermark. */
  storageFull: number;
  /** Packets refused because too many waited for a group commit. */
  overloaded: number;
  drainCalls: number;
  drained: number;
  ackCalls: number;
  acked: number;
  partitionsCreated: number;
  partitionsDropped: number;
}

/** Result of one {@link QueueService.expire} run. */
export interface ExpireResult {
  dropped: number;
  created: number;
}
