/**
 * The SQL of the queue, shared by the PostgreSQL and PGlite adapters: they differ only in how
 * they reach the server (pool or embedded), how they pass bytes, and how they bulk-load.
 * @module
 */
import type { QueueRepository } from './repository.js';
import { dayOf, ID_BYTES, type AckRef, type EnqueueStatus, type NewPacket, type StoredPacket } from './model.js';

/** One connection (or transaction) that runs parameterised SQL. */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

/** Advisory lock namespace of Tacit ("taci"); the second key names the critical section. */
export const LOCK_NAMESPACE = 0x74616369;
/** Serialises enqueue transactions so that seq order is commit order (see docs/queue.md). */
export const LOCK_ENQUEUE = 2;
/** Serialises partition creation and expiry across replicas. */
export const LOCK_PARTITIONS = 3;

/** Name of the partition holding packets that expire on `day`. */
export function partitionName(day: number): string {
  if (!Number.isSafeInteger(day) || day < 0) throw new RangeError(`"day" expected a non-negative integer, got ${day}`);
  return `queue_packets_p${day}`;
}

const _PARTITION_RE = /^queue_packets_p(\d+)$/;

/** Counts of the work done, for tests and metrics. */
export interface RepositoryStats {
  /** Enqueue transactions committed (one per group-commit batch). */
  enqueueTransactions: number;
  /** Transactions retried after a deadlock or serialization failure. */
  retries: number;
}

/** Key columns of a packet row, as both drivers return them (bytes: Buffer in pg, Uint8Array in PGlite). */
export interface _KeyRow {
  mailbox_id: Uint8Array;
  packet_id: Uint8Array;
}

const _MAX_ATTEMPTS = 3;
// Deadlock and serialization failure: the transaction did nothing, so running it again is safe.
const _RETRYABLE = new Set(['40P01', '40001']);

/** SQLSTATE of a driver error, if any. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A plain Uint8Array view of driver bytes (pg returns Buffers, which compare differently). */
export function plainBytes(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

// Map key of a (mailbox, packet) pair; latin1 keeps one char per byte, cheaper than hex.
function _key(mailboxId: Uint8Array, packetId: Uint8Array): string {
  return Buffer.from(mailboxId.buffer, mailboxId.byteOffset, mailboxId.byteLength).toString('latin1') +
    Buffer.from(packetId.buffer, packetId.byteOffset, packetId.byteLength).toString('latin1');
}

function _mailboxKey(mailboxId: Uint8Array): string {
  return Buffer.from(mailboxId.buffer, mailboxId.byteOffset, mailboxId.byteLength).toString('latin1');
}

/** Concatenation of byte strings: many packets as one bytea parameter. */
function _concat(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** Concatenation of ids, which must be {@link ID_BYTES} long each or the packing would shift. */
function _packIds(ids: readonly Uint8Array[]): Uint8Array {
  for (const id of ids) {
    if (id.length !== ID_BYTES) throw new RangeError(`"id" expected ${ID_BYTES} bytes, got ${id.length}`);
  }
  return Buffer.concat(ids);
}

// Joins of a batch of ids against the packets or counters must be index probes. Fresh partitions
// have no statistics yet, and the planner then prefers sorting or hashing the whole table (seen:
// a 1000-ref ack as a merge join over every partition, 4x slower than probing).
const _INDEX_JOINS = "set_config('enable_mergejoin', 'off', true), set_config('enable_hashjoin', 'off', true)";

// A packed parameter of 16-byte ids as rows (id), in order.
function _ids(param: string): string {
  return `(SELECT substring(${param}::bytea FROM i * 16 - 15 FOR 16) AS id
           FROM generate_series(1, length(${param}::bytea) / 16) AS i)`;
}

// Two packed id parameters of equal length as rows (m, p).
function _pairs(mailboxes: string, packets: string): string {
  return `(SELECT substring(${mailboxes}::bytea FROM i * 16 - 15 FOR 16) AS m,
                  substring(${packets}::bytea FROM i * 16 - 15 FOR 16) AS p
           FROM generate_series(1, length(${mailboxes}::bytea) / 16) AS i)`;
}

/** The queue's SQL over an abstract connection; subclasses supply transactions and byte passing. */
export abstract class SqlQueueRepository implements QueueRepository {
  readonly #stats: RepositoryStats = { enqueueTransactions: 0, retries: 0 };

  /** Runs `fn` in one transaction (BEGIN … COMMIT, ROLLBACK on error). */
  protected abstract _transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs `fn` outside an explicit transaction. */
  protected abstract _session<T>(fn: (s: SqlExecutor) => Promise<T>): Promise<T>;
  /** The driver's parameter form of a bytea value. */
  protected abstract _bytes(b: Uint8Array): unknown;
  abstract close(): Promise<void>;

  /** Work counters since construction. */
  get stats(): Readonly<RepositoryStats> {
    return { ...this.#stats };
  }

  /**
   * Inserts `packets` (distinct keys, within the cap) and adds them to the per-mailbox counts;
   * resolves to the rows really inserted. The default passes arrays to unnest(); the pg adapter
   * may bulk-load through COPY instead.
   */
  protected async _insertCounted(tx: SqlExecutor, packets: readonly NewPacket[]): Promise<_KeyRow[]> {
    // Bytes travel as three packed parameters (ids 16 bytes apiece, packets at offsets) rather
    // than bytea[]: array parameters are hex text, which made encoding cost more than the insert.
    const offsets: number[] = [];
    const lengths: number[] = [];
    let at = 1;
    for (const p of packets) {
      offsets.push(at);
      lengths.push(p.packet.length);
      at += p.packet.length;
    }
    return tx.query<_KeyRow>(
      `${_INSERT_HEAD}
       SELECT d, substring($2::bytea FROM i::int4 * 16 - 15 FOR 16), substring($3::bytea FROM i::int4 * 16 - 15 FOR 16),
              to_timestamp(e::float8 / 1000), substring($5::bytea FROM o FOR l)
       FROM unnest($1::int4[], $4::int8[], $6::int4[], $7::int4[]) WITH ORDINALITY AS u(d, e, o, l, i)
       ${_INSERT_TAIL}`,
      [
        packets.map((p) => dayOf(p.expiresAt)),
        this._bytes(_packIds(packets.map((p) => p.mailboxId))),
        this._bytes(_packIds(packets.map((p) => p.packetId))),
        packets.map((p) => p.expiresAt),
        this._bytes(_concat(packets.map((p) => p.packet))),
        offsets,
        lengths,
      ],
    );
  }

  async #retrying<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this._transaction(fn);
      } catch (err) {
        if (attempt >= _MAX_ATTEMPTS || !_RETRYABLE.has(sqlState(err) ?? '')) throw err;
        this.#stats.retries++;
      }
    }
  }

  async storeBatch(packets: readonly NewPacket[], cap: number): Promise<EnqueueStatus[]> {
    if (packets.length === 0) return [];
    // Repeats inside the batch get the first occurrence's fate (stored → duplicate).
    const keys = packets.map((p) => _key(p.mailboxId, p.packetId));
    const firstOf = new Map<string, number>();
    const unique: number[] = [];
    keys.forEach((k, i) => {
      if (!firstOf.has(k)) {
        firstOf.set(k, i);
        unique.push(i);
      }
    });
    const mailboxes = new Map<string, Uint8Array>();
    for (const i of unique) mailboxes.set(_mailboxKey(packets[i]!.mailboxId), packets[i]!.mailboxId);

    const statuses = await this.#retrying(async (tx) => {
      const out = new Array<EnqueueStatus>(packets.length);
      // Held to COMMIT: enqueue transactions of every replica run one at a time, so a packet's
      // seq is visible only after every smaller seq is (drain cursors never skip), and the
      // counts read below cannot be raised underneath us.
      await tx.query(`SELECT pg_advisory_xact_lock($1, $2), ${_INDEX_JOINS}`, [LOCK_NAMESPACE, LOCK_ENQUEUE]);
      const counted = await tx.query<{ mailbox_id: Uint8Array; stored: number }>(
        `SELECT x.mailbox_id, x.stored FROM ${_ids('$1')} AS k JOIN queue_mailboxes x ON x.mailbox_id = k.id`,
        [this._bytes(_packIds([...mailboxes.values()]))],
      );
      const room = new Map<string, number>();
      for (const k of mailboxes.keys()) room.set(k, cap);
      for (const row of counted) room.set(_mailboxKey(row.mailbox_id), cap - row.stored);

      const admitted: number[] = [];
      const over: number[] = [];
      for (const i of unique) {
        const mk = _mailboxKey(packets[i]!.mailboxId);
        const left = room.get(mk)!;
        if (left > 0) {
          admitted.push(i);
          room.set(mk, left - 1);
        } else {
          over.push(i);
        }
      }
      const settle = async (idx: number[]): Promise<void> => {
        if (idx.length === 0) return;
        const rows = await this._insertCounted(tx, idx.map((i) => packets[i]!));
        const inserted = new Set(rows.map((r) => _key(r.mailbox_id, r.packet_id)));
        for (const i of idx) {
          if (inserted.has(keys[i]!)) {
            out[i] = 'stored';
          } else {
            // Already stored: it took no new room.
            out[i] = 'duplicate';
            const mk = _mailboxKey(packets[i]!.mailboxId);
            room.set(mk, room.get(mk)! + 1);
          }
        }
      };
      await settle(admitted);
      if (over.length > 0) {
        // Rare path (mailbox at its cap): a retry of an accepted packet must still read as
        // duplicate, never as mailbox_full, and room freed by duplicates above is handed out.
        const existing = await tx.query<_KeyRow>(
          `SELECT q.mailbox_id, q.packet_id FROM queue_packets q
           JOIN ${_pairs('$1', '$2')} AS r ON q.mailbox_id = r.m AND q.packet_id = r.p`,
          [this._bytes(_packIds(over.map((i) => packets[i]!.mailboxId))), this._bytes(_packIds(over.map((i) => packets[i]!.packetId)))],
        );
        const seen = new Set(existing.map((r) => _key(r.mailbox_id, r.packet_id)));
        const second: number[] = [];
        for (const i of over) {
          const mk = _mailboxKey(packets[i]!.mailboxId);
          const left = room.get(mk)!;
          if (seen.has(keys[i]!)) out[i] = 'duplicate';
          else if (left > 0) {
            second.push(i);
            room.set(mk, left - 1);
          } else out[i] = 'mailbox_full';
        }
        await settle(second);
      }
      return out;
    });
    this.#stats.enqueueTransactions++;
    keys.forEach((k, i) => {
      const first = firstOf.get(k)!;
      if (first !== i) statuses[i] = statuses[first] === 'stored' ? 'duplicate' : statuses[first]!;
    });
    return statuses;
  }

  async drain(mailboxIds: readonly Uint8Array[], afterSeq: bigint, limit: number, nowMs: number): Promise<StoredPacket[]> {
    let unique = [...new Map(mailboxIds.map((m) => [_mailboxKey(m), m])).values()];
    // Most drains (every reconnect, every hour's fresh mailbox) find nothing. Planning the scan
    // below touches every partition (~32 with a 30-day TTL) and costs milliseconds, so first ask
    // the small counter table which mailboxes hold packets at all.
    const holding = await this._session((s) =>
      s.query<{ mailbox_id: Uint8Array }>(
        `SELECT x.mailbox_id FROM ${_ids('$1')} AS m JOIN queue_mailboxes x ON x.mailbox_id = m.id AND x.stored > 0`,
        [this._bytes(_packIds(unique))],
      ),
    );
    if (holding.length === 0) return [];
    unique = holding.map((r) => plainBytes(r.mailbox_id));
    // Per mailbox, the (mailbox_id, seq) index yields rows in seq order merged across partitions,
    // so each lateral scan stops after `limit` rows; the outer sort merges the mailboxes.
    const rows = await this._session((s) =>
      s.query<{ seq: string; mailbox_id: Uint8Array; packet_id: Uint8Array; packet: Uint8Array }>(
        `SELECT p.seq::text AS seq, p.mailbox_id, p.packet_id, p.packet
         FROM ${_ids('$1')} AS m
         CROSS JOIN LATERAL (
           SELECT seq, mailbox_id, packet_id, packet FROM queue_packets
           WHERE mailbox_id = m.id AND seq > $2::int8
             AND expiry_day >= $4::int4 AND expires_at > to_timestamp($3::float8 / 1000)
           ORDER BY seq LIMIT $5
         ) p
         ORDER BY p.seq LIMIT $5`,
        [this._bytes(_packIds(unique)), afterSeq.toString(), nowMs, dayOf(nowMs), limit],
      ),
    );
    return rows.map((r) => ({
      seq: BigInt(r.seq),
      mailboxId: plainBytes(r.mailbox_id),
      packetId: plainBytes(r.packet_id),
      packet: plainBytes(r.packet),
    }));
  }

  async ack(refs: readonly AckRef[]): Promise<number> {
    if (refs.length === 0) return 0;
    const unique = [...new Map(refs.map((r) => [_key(r.mailboxId, r.packetId), r])).values()];
    return this.#retrying(async (tx) => {
      await tx.query(`SELECT ${_INDEX_JOINS}`);
      const [row] = await tx.query<{ deleted: number }>(
        `WITH d AS (
           DELETE FROM queue_packets q USING ${_pairs('$1', '$2')} AS r
           WHERE q.mailbox_id = r.m AND q.packet_id = r.p
           RETURNING q.mailbox_id
         ), c AS (
           SELECT mailbox_id, count(*)::int AS n FROM d GROUP BY mailbox_id
         ), u AS (
           UPDATE queue_mailboxes x SET stored = x.stored - c.n FROM c
           WHERE x.mailbox_id = c.mailbox_id
         )
         SELECT count(*)::int AS deleted FROM d`,
        [this._bytes(_packIds(unique.map((r) => r.mailboxId))), this._bytes(_packIds(unique.map((r) => r.packetId)))],
      );
      const deleted = row?.deleted ?? 0;
      // Mailbox ids rotate hourly: an emptied counter row would otherwise stay forever.
      if (deleted > 0) {
        await tx.query(`DELETE FROM queue_mailboxes WHERE mailbox_id IN (SELECT id FROM ${_ids('$1')} AS k) AND stored <= 0`, [
          this._bytes(_packIds([...new Map(unique.map((r) => [_mailboxKey(r.mailboxId), r.mailboxId])).values()])),
        ]);
      }
      return deleted;
    });
  }

  async #partitionDays(s: SqlExecutor): Promise<number[]> {
    const rows = await s.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'queue_packets'::regclass`,
    );
    return rows.flatMap((r) => {
      const m = _PARTITION_RE.exec(r.name);
      return m ? [Number(m[1])] : [];
    });
  }

  async ensurePartitions(fromDay: number, toDay: number): Promise<number> {
    return this.#retrying(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, LOCK_PARTITIONS]);
      const have = new Set(await this.#partitionDays(tx));
      let created = 0;
      for (let day = fromDay; day <= toDay; day++) {
        if (have.has(day)) continue;
        await tx.query(
          `CREATE TABLE ${partitionName(day)} PARTITION OF queue_packets FOR VALUES FROM (${day}) TO (${day + 1})`,
        );
        created++;
      }
      return created;
    });
  }

  async dropPartitionsBefore(day: number): Promise<number> {
    // Step 1, brief: detach the old partitions (an ACCESS EXCLUSIVE lock on queue_packets, so
    // bounded by lock_timeout rather than queueing traffic behind a long query). From then on no
    // drain, enqueue or ack can touch their rows.
    await this.#retrying(async (tx) => {
      await tx.query("SET LOCAL lock_timeout = '5s'");
      await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, LOCK_PARTITIONS]);
      for (const d of await this.#partitionDays(tx)) {
        if (d >= day) continue;
        await tx.query(`ALTER TABLE queue_packets DETACH PARTITION ${partitionName(d)}`);
        await tx.query('INSERT INTO queue_detached (expiry_day, table_name) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
          d,
          partitionName(d),
        ]);
      }
    });
    // Step 2, per table: subtract its rows from the mailbox counts and drop it, atomically. A
    // crash in between leaves it in queue_detached for the next run.
    const detached = await this._session((s) =>
      s.query<{ expiry_day: number; table_name: string }>('SELECT expiry_day, table_name FROM queue_detached ORDER BY expiry_day'),
    );
    let dropped = 0;
    for (const { expiry_day: d } of detached) {
      const table = partitionName(d);
      await this.#retrying(async (tx) => {
        await tx.query(
          `UPDATE queue_mailboxes x SET stored = x.stored - c.n
           FROM (SELECT mailbox_id, count(*)::int AS n FROM ${table} GROUP BY mailbox_id) c
           WHERE x.mailbox_id = c.mailbox_id`,
        );
        await tx.query(
          `DELETE FROM queue_mailboxes x USING (SELECT DISTINCT mailbox_id FROM ${table}) c
           WHERE x.mailbox_id = c.mailbox_id AND x.stored <= 0`,
        );
        await tx.query(`DROP TABLE ${table}`);
        await tx.query('DELETE FROM queue_detached WHERE expiry_day = $1', [d]);
      });
      dropped++;
    }
    return dropped;
  }

  async countStored(): Promise<number> {
    const [row] = await this._session((s) =>
      s.query<{ n: string | null }>('SELECT sum(stored)::text AS n FROM queue_mailboxes'),
    );
    return Number(row?.n ?? 0);
  }
}

// The insert and the count update are one statement, so they cannot disagree. Counts are
// upserted in mailbox order, the same order every transaction locks them in.
const _INSERT_HEAD = `WITH ins AS (
  INSERT INTO queue_packets (expiry_day, mailbox_id, packet_id, expires_at, packet)`;
const _INSERT_TAIL = `ON CONFLICT DO NOTHING
  RETURNING mailbox_id, packet_id
), counted AS (
  INSERT INTO queue_mailboxes AS x (mailbox_id, stored)
  SELECT mailbox_id, count(*)::int FROM ins GROUP BY mailbox_id ORDER BY mailbox_id
  ON CONFLICT (mailbox_id) DO UPDATE SET stored = x.stored + EXCLUDED.stored
)
SELECT mailbox_id, packet_id FROM ins`;

/** The packet-insert statement around a row source (for adapters that bulk-load elsewhere). */
export function _insertFrom(select: string): string {
  return `${_INSERT_HEAD}\n${select}\n${_INSERT_TAIL}`;
}
