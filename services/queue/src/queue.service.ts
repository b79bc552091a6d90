/**
 * The queue's logic: validation, TTL policy, group commit, drain paging, expiry scheduling.
 * Storage is behind a {@link QueueRepository}; the clock is injected.
 * @module
 */
import { InvalidArgumentError } from '@tacit/kit';
import { QUEUE_PACKED_HEAD, QUEUE_PACKED_LENGTH_AT, QUEUE_PACKED_REF_BYTES, QUEUE_PACKED_SEQ_BYTES, unpackPackets } from '@tacit/proto';
import { GroupCommitter } from './group-commit.js';
import {
  dayOf,
  ID_BYTES,
  systemClock,
  type AckRef,
  type Clock,
  type DrainQuery,
  type DrainResult,
  type EnqueueInput,
  type EnqueueStatus,
  type NewPacket,
  type PackedDrainResult,
} from './model.js';
import { DEFAULT_QUEUE_LIMITS, type ExpireResult, type QueueLimits, type QueueServiceOptions, type QueueStats } from './queue.types.js';
import type { QueueRepository } from './repository.js';
import { sqlState } from './sql-repository.js';

export { DEFAULT_QUEUE_LIMITS, type ExpireResult, type QueueLimits, type QueueServiceOptions, type QueueStats } from './queue.types.js';

// Partitions are created this many days past the furthest possible expiry, so crossing midnight
// never needs DDL on the enqueue path.
const _AHEAD_DAYS = 1;
const _MAX_SEQ = 2n ** 63n - 1n;
// Largest expiry day an ack may name (int4 in SQL).
const _MAX_DAY = 2 ** 31 - 1;
// SQLSTATE when no partition accepts a row.
const _NO_PARTITION = '23514';

function _bytes(value: unknown, field: string, min: number, max: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`"${field}" expected bytes`);
  if (value.length < min || value.length > max) {
    const want = min === max ? `${min} bytes` : `${min}..${max} bytes`;
    throw new InvalidArgumentError(`"${field}" expected ${want}, got ${value.length}`);
  }
  return value;
}

function _count(value: unknown, field: string, max: number): readonly unknown[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError(`"${field}" expected an array`);
  if (value.length === 0 || value.length > max) {
    throw new InvalidArgumentError(`"${field}" expected 1..${max} entries, got ${value.length}`);
  }
  return value;
}

/** Store-and-forward mailboxes over a {@link QueueRepository}. */
export class QueueService {
  readonly #repo: QueueRepository;
  readonly #clock: Clock;
  readonly #limits: QueueLimits;
  readonly #committer: GroupCommitter<NewPacket, EnqueueStatus>;
  readonly #expireIntervalMs: number;
  readonly #onExpireError: (err: unknown) => void;
  // Partitions are known to exist for expiry days up to here (-1: unknown).
  #readyThrough = -1;
  #timer: NodeJS.Timeout | undefined;
  #storageTimer: NodeJS.Timeout | undefined;
  readonly #storageLimit: number;
  readonly #storageCheckMs: number;
  /** Bytes on disk at the last check (-1: not measured yet). */
  #storedBytes = -1;
  #expiring: Promise<ExpireResult> | undefined;
  readonly #stats = {
    enqueueCalls: 0,
    stored: 0,
    duplicate: 0,
    mailboxFull: 0,
    storageFull: 0,
    drainCalls: 0,
    drained: 0,
    ackCalls: 0,
    acked: 0,
    partitionsCreated: 0,
    partitionsDropped: 0,
  };

  constructor(opts: QueueServiceOptions) {
    this.#repo = opts.repository;
    this.#clock = opts.clock ?? systemClock;
    this.#limits = { ...DEFAULT_QUEUE_LIMITS, ...opts.limits };
    for (const [k, v] of Object.entries(this.#limits)) {
      if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`"limits.${k}" expected a positive integer, got ${v}`);
    }
    this.#expireIntervalMs = opts.expireIntervalMs ?? 3_600_000;
    this.#onExpireError = opts.onExpireError ?? (() => {});
    this.#storageLimit = opts.storageLimitBytes ?? 0;
    this.#storageCheckMs = opts.storageCheckMs ?? 10_000;
    this.#committer = new GroupCommitter((packets) => this.#flush(packets), opts.groupCommit);
  }

  /** The limits in force. */
  get limits(): Readonly<QueueLimits> {
    return this.#limits;
  }

  /**
   * Runs expiry now, then every `expireIntervalMs`, and readies the repository's connections. Only
   * creating the partitions enqueue needs must succeed now; a failed drop of old ones (e.g. a lock
   * timeout) is reported and retried later.
   */
  async start(): Promise<void> {
    try {
      await this.expire();
    } catch (err) {
      this.#onExpireError(err);
      await this.#ensurePartitions(dayOf(this.#clock.now()));
    }
    // Plans made now, with every partition in place, instead of by the first requests.
    await this.#repo.warm?.();
    this.#timer ??= setInterval(() => {
      this.expire().catch(this.#onExpireError);
    }, this.#expireIntervalMs);
    this.#timer.unref();
    if (this.#storageLimit > 0) {
      await this.checkStorage();
      this.#storageTimer ??= setInterval(() => void this.checkStorage().catch(this.#onExpireError), this.#storageCheckMs);
      this.#storageTimer.unref();
    }
  }

  /** Measures the packets' bytes on disk now (the watermark's input); resolves to them. */
  async checkStorage(): Promise<number> {
    this.#storedBytes = await this.#repo.storedBytes();
    return this.#storedBytes;
  }

  /** True while the packets take more than the storage watermark (new packets get `storage_full`). */
  get storageFull(): boolean {
    return this.#storageLimit > 0 && this.#storedBytes > this.#storageLimit;
  }

  /** Bytes the packets took on disk at the last check (-1 before the first). */
  get storedBytes(): number {
    return this.#storedBytes;
  }

  /** Stops expiry and commits what waits; later enqueues fail with UnavailableError. Does not close the repository. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#storageTimer) clearInterval(this.#storageTimer);
    this.#timer = undefined;
    this.#storageTimer = undefined;
    await this.#committer.close();
    await this.#expiring?.catch(() => {});
  }

  /**
   * Stores packets durably: resolves (one status per packet, in order) only after the
   * transaction carrying them has committed. Concurrent calls share transactions.
   */
  async enqueue(packets: readonly EnqueueInput[]): Promise<EnqueueStatus[]> {
    _count(packets, 'packets', this.#limits.maxEnqueuePackets);
    const now = this.#clock.now();
    const maxTtl = this.#limits.ttlSeconds;
    const rows = packets.map((p, i): NewPacket => {
      if (typeof p !== 'object' || p === null) throw new InvalidArgumentError(`"packets[${i}]" expected an object`);
      const ttl = p.ttlSeconds ?? 0;
      if (!Number.isInteger(ttl) || ttl < 0) throw new InvalidArgumentError(`"packets[${i}].ttlSeconds" expected an integer >= 0, got ${ttl}`);
      return {
        mailboxId: _bytes(p.mailboxId, `packets[${i}].mailboxId`, ID_BYTES, ID_BYTES),
        packetId: _bytes(p.packetId, `packets[${i}].packetId`, ID_BYTES, ID_BYTES),
        packet: _bytes(p.packet, `packets[${i}].packet`, 1, this.#limits.maxPacketBytes),
        expiresAt: now + 1000 * (ttl === 0 ? maxTtl : Math.min(ttl, maxTtl)),
      };
    });
    this.#stats.enqueueCalls++;
    // Past the watermark nothing new is written (what is stored drains and expires as before).
    if (this.storageFull) {
      this.#stats.storageFull += rows.length;
      return rows.map(() => 'storage_full');
    }
    const statuses = await this.#committer.submit(rows);
    for (const s of statuses) {
      if (s === 'stored') this.#stats.stored++;
      else if (s === 'duplicate') this.#stats.duplicate++;
      else this.#stats.mailboxFull++;
    }
    return statuses;
  }

  async #flush(packets: NewPacket[]): Promise<EnqueueStatus[]> {
    let maxDay = 0;
    for (const p of packets) maxDay = Math.max(maxDay, dayOf(p.expiresAt));
    if (maxDay > this.#readyThrough) await this.#ensurePartitions(maxDay);
    try {
      return await this.#repo.storeBatch(packets, this.#limits.mailboxCap, this.#clock.now());
    } catch (err) {
      if (sqlState(err) !== _NO_PARTITION) throw err;
      // A partition we thought existed is gone (dropped by hand?): recreate and retry once.
      this.#readyThrough = -1;
      await this.#ensurePartitions(maxDay);
      return this.#repo.storeBatch(packets, this.#limits.mailboxCap, this.#clock.now());
    }
  }

  async #ensurePartitions(atLeastDay: number): Promise<void> {
    const now = this.#clock.now();
    const through = Math.max(atLeastDay, dayOf(now + this.#limits.ttlSeconds * 1000)) + _AHEAD_DAYS;
    this.#stats.partitionsCreated += await this.#repo.ensurePartitions(dayOf(now), through);
    this.#readyThrough = through;
  }

  /**
   * One page of the mailboxes' unexpired packets after `afterSeq`, in seq order. The caller must
   * have checked that it owns every mailbox.
   */
  async drain(query: DrainQuery): Promise<DrainResult> {
    const page = await this.drainPacked(query);
    return { packets: unpackPackets(page.packed), more: page.more };
  }

  /** {@link drain} in the layout of DrainReply.packed: the database's bytes, passed on without an object per packet. */
  async drainPacked(query: DrainQuery): Promise<PackedDrainResult> {
    if (typeof query !== 'object' || query === null) throw new InvalidArgumentError('"query" expected an object');
    const ids = _count(query.mailboxIds, 'mailboxIds', this.#limits.maxDrainMailboxes).map((m, i) =>
      _bytes(m, `mailboxIds[${i}]`, ID_BYTES, ID_BYTES),
    );
    const afterSeq = query.afterSeq ?? 0n;
    if (typeof afterSeq !== 'bigint' || afterSeq < 0n || afterSeq > _MAX_SEQ) {
      throw new InvalidArgumentError(`"afterSeq" expected 0..${_MAX_SEQ}, got ${String(afterSeq)}`);
    }
    const limit = query.limit;
    if (!Number.isInteger(limit) || limit < 1 || limit > this.#limits.maxDrainLimit) {
      throw new InvalidArgumentError(`"limit" expected 1..${this.#limits.maxDrainLimit}, got ${String(limit)}`);
    }
    this.#stats.drainCalls++;
    // One more than asked for says whether more follow. The page ends early when its bytes would
    // not fit one bus message, but holds at least one packet.
    const page = await this.#repo.drainPage(ids, afterSeq, limit + 1, this.#clock.now());
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    let end = 0;
    let count = 0;
    let more = false;
    while (end < page.length) {
      const size = QUEUE_PACKED_HEAD + view.getUint32(end + QUEUE_PACKED_LENGTH_AT);
      if (count === limit || (count > 0 && end + size > this.#limits.maxDrainBytes)) {
        more = true;
        break;
      }
      end += size;
      count++;
    }
    this.#stats.drained += count;
    return { packed: page.subarray(0, end), more };
  }

  /**
   * Deletes delivered packets; resolves to how many were still stored. The caller must own the
   * mailboxes. A ref's `expiryDay` (from its drain) confines the delete to one partition.
   */
  async ack(refs: readonly AckRef[]): Promise<number> {
    const checked = _count(refs, 'refs', this.#limits.maxAckRefs).map((r, i): AckRef => {
      if (typeof r !== 'object' || r === null) throw new InvalidArgumentError(`"refs[${i}]" expected an object`);
      const ref = r as AckRef;
      const day = ref.expiryDay ?? 0;
      if (!Number.isInteger(day) || day < 0 || day > _MAX_DAY) {
        throw new InvalidArgumentError(`"refs[${i}].expiryDay" expected 0..${_MAX_DAY}, got ${String(day)}`);
      }
      const seq = ref.seq ?? 0n;
      if (typeof seq !== 'bigint' || seq < 0n || seq >= 2n ** 64n) {
        throw new InvalidArgumentError(`"refs[${i}].seq" expected a bigint in 0..2^64-1, got ${String(seq)}`);
      }
      return {
        mailboxId: _bytes(ref.mailboxId, `refs[${i}].mailboxId`, ID_BYTES, ID_BYTES),
        packetId: _bytes(ref.packetId, `refs[${i}].packetId`, ID_BYTES, ID_BYTES),
        expiryDay: day,
        seq,
      };
    });
    this.#stats.ackCalls++;
    const deleted = await this.#repo.ack(checked);
    this.#stats.acked += deleted;
    return deleted;
  }

  /**
   * {@link ack} of refs in the layout of AckRequest.packed_refs: 36 bytes each (mailbox id, packet
   * id, expiry day as a big-endian uint32; see queue.proto), at most `maxAckRefs`; with `seqs`, their
   * seqs as in AckRequest.packed_seqs (8 bytes each, same order; empty: none).
   */
  async ackPacked(refs: Uint8Array, seqs?: Uint8Array): Promise<number> {
    if (!(refs instanceof Uint8Array)) throw new InvalidArgumentError('"refs" expected bytes');
    const n = refs.length / QUEUE_PACKED_REF_BYTES;
    if (!Number.isInteger(n) || n < 1 || n > this.#limits.maxAckRefs) {
      throw new InvalidArgumentError(
        `"refs" expected 1..${this.#limits.maxAckRefs} refs of ${QUEUE_PACKED_REF_BYTES} bytes, got ${refs.length} bytes`,
      );
    }
    if (seqs !== undefined && !(seqs instanceof Uint8Array)) throw new InvalidArgumentError('"seqs" expected bytes');
    if (seqs && seqs.length > 0 && seqs.length !== n * QUEUE_PACKED_SEQ_BYTES) {
      throw new InvalidArgumentError(
        `"seqs" expected ${n * QUEUE_PACKED_SEQ_BYTES} bytes (${QUEUE_PACKED_SEQ_BYTES} for each of ${n} refs) or none, got ${seqs.length}`,
      );
    }
    this.#stats.ackCalls++;
    const deleted = await this.#repo.ackPacked(refs, seqs && seqs.length > 0 ? seqs : undefined);
    this.#stats.acked += deleted;
    return deleted;
  }

  /**
   * Drops the partitions of past expiry days (whole tables, no row deletes) and creates the ones
   * enqueue will need. Safe on every replica at once; a run already in progress is joined.
   */
  expire(): Promise<ExpireResult> {
    this.#expiring ??= (async () => {
      try {
        const today = dayOf(this.#clock.now());
        // Creating comes first: enqueues depend on it, while dropping can wait for the next run.
        const before = this.#stats.partitionsCreated;
        this.#readyThrough = -1;
        await this.#ensurePartitions(today);
        const dropped = await this.#repo.dropPartitionsBefore(today);
        this.#stats.partitionsDropped += dropped;
        return { dropped, created: this.#stats.partitionsCreated - before };
      } finally {
        this.#expiring = undefined;
      }
    })();
    return this.#expiring;
  }

  /** Counters since start (counts only). */
  stats(): QueueStats {
    const gc = this.#committer.stats;
    return { ...this.#stats, overloaded: gc.refused, enqueueBatches: gc.flushes, largestBatch: gc.largest };
  }

  /** Packets stored now (expired ones count until their day's partition is dropped). */
  storedPackets(): Promise<number> {
    return this.#repo.countStored();
  }
}
