/**
 * Domain types of the queue, shared by the service, its repositories and its clients. Packets are
 * opaque bytes here; ids are fixed-size byte strings chosen by senders.
 * @module
 */

/** Length of a mailbox id and of a packet id, in bytes. */
export const ID_BYTES = 16;

/** Milliseconds in one UTC day: the width of one packet partition. */
export const DAY_MS = 86_400_000;

/** Outcome of enqueueing one packet. */
export type EnqueueStatus = 'stored' | 'duplicate' | 'mailbox_full' | 'storage_full';

/** One packet to enqueue, as the gateway hands it over. */
export interface EnqueueInput {
  /** 16 bytes. */
  mailboxId: Uint8Array;
  /** 16 bytes; the dedup key. */
  packetId: Uint8Array;
  /** The whole encoded packet. */
  packet: Uint8Array;
  /** Seconds to keep it; 0 or absent means the service default, more than the maximum is clamped. */
  ttlSeconds?: number;
}

/** A packet as the repository writes it: TTL already turned into an absolute expiry. */
export interface NewPacket {
  mailboxId: Uint8Array;
  packetId: Uint8Array;
  packet: Uint8Array;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** A stored packet as drained. */
export interface StoredPacket {
  /** Global, increasing: drain order and resume cursor. */
  seq: bigint;
  /** UTC day of its expiry: the partition holding it. Hand it back in the {@link AckRef}. */
  expiryDay: number;
  mailboxId: Uint8Array;
  packetId: Uint8Array;
  packet: Uint8Array;
}

/** What to drain. */
export interface DrainQuery {
  /** Mailboxes whose ownership the caller has proven; 16 bytes each. */
  mailboxIds: readonly Uint8Array[];
  /** Only packets with a greater seq (0n for all). */
  afterSeq?: bigint;
  /** Maximum packets to return. */
  limit: number;
}

/** One page of a drain. */
export interface DrainResult {
  /** In increasing seq order. */
  packets: StoredPacket[];
  /** More packets may follow the last one: drain again with its seq as `afterSeq`. */
  more: boolean;
}

/** One page of a drain in the layout of DrainReply.packed (see queue.proto): no object per packet. */
export interface PackedDrainResult {
  /** The packets, one record after another (views of the database's answer). */
  packed: Uint8Array;
  /** More packets may follow the last one: drain again with its seq as `afterSeq`. */
  more: boolean;
}

/** Names one packet to delete after its recipient got it. */
export interface AckRef {
  mailboxId: Uint8Array;
  packetId: Uint8Array;
  /**
   * The packet's {@link StoredPacket.expiryDay} as drained: the delete then looks in that day's
   * partition only. Absent or 0: unknown, every partition is searched; a day where the packet is
   * not costs that plus the search of every partition.
   */
  expiryDay?: number;
  /**
   * The packet's {@link StoredPacket.seq} as drained: the refs of one mailbox and day are then
   * deleted by one range scan of their seqs. A hint only: a wrong seq costs time, not data (the ref
   * is then looked up as if it had none). Absent or 0n: unknown.
   */
  seq?: bigint;
}

/** The time source; injected so tests can move time. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** UTC day number (days since 1970-01-01) of an epoch-millisecond instant. */
export function dayOf(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS);
}
