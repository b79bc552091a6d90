/**
 * The SQL of the queue, shared by the PostgreSQL and PGlite adapters: they differ only in how
 * they reach the server (pool or embedded) and how they pass bytes. Enqueue, drain and ack are
 * one call each of a function from migrations/0002: one statement, one round trip.
 * @module
 */
import { LOCK_NAMESPACE } from '@tacit/platform';
import { packAckRefs, packAckSeqs, QUEUE_PACKED_REF_BYTES, QUEUE_PACKED_SEQ_BYTES } from '@tacit/proto';
import type { QueueRepository } from './repository.js';
import { dayOf, ID_BYTES, type AckRef, type EnqueueStatus, type NewPacket } from './model.js';
import { _intArray, _mailboxKey, _packIds, _sameId, _SEQ_HIGH_LIMIT } from './sql-bytes.js';
import { StorePlan } from './store-plan.js';

/** One connection (or transaction) that runs parameterised SQL. */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

/** Advisory lock namespace of Tacit (the platform's); the second key names the critical section. */
export { LOCK_NAMESPACE };
/**
 * Serialises enqueue transactions so that seq order is commit order (see docs/queue.md). Taken
 * inside `queue_store` (migrations/0002), which spells both keys out as literals.
 */
export const LOCK_ENQUEUE = 2;
/** Serialises partition creation and expiry across replicas. */
export const LOCK_PARTITIONS = 3;

/**
 * How far below the mailbox cap MAILBOX_FULL may come (migrations/0005): each attempt's cap is drawn
 * from (cap - band, cap], so filling a mailbox tells a sender its count only to within the band.
 */
export function mailboxCapBand(cap: number): number {
  return Math.floor(cap / 8);
}

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
  /** Statements retried after a deadlock or serialization failure. */
  retries: number;
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

/** Refs of one mailbox and expiry day in an ack with seqs (offsets of their records in the packed refs). */
interface _AckGroup {
  /** Offset of the first ref, whose mailbox id is the group's. */
  at: number;
  day: number;
  first: number;
  last: number;
  refs: number[];
}

/** The queue's SQL over an abstract connection; subclasses supply sessions and byte passing. */
export abstract class SqlQueueRepository implements QueueRepository {
  readonly #stats: RepositoryStats = { enqueueTransactions: 0, retries: 0 };

  /** Runs `fn` in one transaction (BEGIN … COMMIT, ROLLBACK on error). */
  protected abstract _transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs `fn` outside an explicit transaction: each statement commits on its own. */
  protected abstract _session<T>(fn: (s: SqlExecutor) => Promise<T>): Promise<T>;
  /** The driver's parameter form of a bytea value. */
  protected abstract _bytes(b: Uint8Array): unknown;
  abstract close(): Promise<void>;

  /** Work counters since construction. */
  get stats(): Readonly<RepositoryStats> {
    return { ...this.#stats };
  }

  /** Runs `fn` again after a deadlock or serialization failure (it rolled back, so nothing happened). */
  async #retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt >= _MAX_ATTEMPTS || !_RETRYABLE.has(sqlState(err) ?? '')) throw err;
        this.#stats.retries++;
      }
    }
  }

  /** Runs `fn` in one transaction, again after a deadlock or serialization failure. */
  #transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#retrying(() => this._transaction(fn));
  }

  /** One statement on its own (its own transaction), retried like a transaction. */
  #statement<R>(sql: string, params: readonly unknown[]): Promise<R[]> {
    return this.#retrying(() => this._session((s) => s.query<R>(sql, params)));
  }

  async storeBatch(packets: readonly NewPacket[], cap: number, nowMs: number): Promise<EnqueueStatus[]> {
    if (packets.length === 0) return [];
    const plan = new StorePlan(packets);
    const unique = plan.unique;
    // Bytes travel as packed parameters (ids 16 bytes apiece, packets at offsets) rather than
    // bytea[]: array parameters are hex text, which made encoding cost more than the insert.
    // Numbers go as array literals made here: the driver's own array encoding escapes each element.
    const offsets: number[] = [];
    const lengths: number[] = [];
    const expires: number[] = [];
    let at = 1;
    for (const p of unique) {
      offsets.push(at);
      lengths.push(p.packet.length);
      expires.push(Math.floor(p.expiresAt));
      at += p.packet.length;
    }
    // One statement, so one transaction and one round trip: the lock, the cap, the insert and the
    // counts all happen inside queue_store_live (migrations/0005), and it answers after COMMIT.
    const [row] = await this.#statement<{ duplicate_at: number[]; full_at: number[] }>(
      'SELECT duplicate_at, full_at FROM queue_store_live($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [
        cap,
        mailboxCapBand(cap),
        Math.floor(nowMs),
        this._bytes(_packIds(unique.map((p) => p.mailboxId))),
        this._bytes(_packIds(unique.map((p) => p.packetId))),
        _intArray(expires),
        this._bytes(Buffer.concat(unique.map((p) => p.packet))),
        _intArray(offsets),
        _intArray(lengths),
      ],
    );
    this.#stats.enqueueTransactions++;
    return plan.statuses(row!.duplicate_at, row!.full_at);
  }

  async drainPage(mailboxIds: readonly Uint8Array[], afterSeq: bigint, limit: number, nowMs: number): Promise<Uint8Array> {
    const unique = [...new Map(mailboxIds.map((m) => [_mailboxKey(m), m])).values()];
    // The whole page is one bytea (see queue_drain), already in the layout of DrainReply.packed:
    // one field to parse instead of a row per packet, and passed on as it is.
    return this._drainQuery(_packIds(unique), afterSeq, limit, nowMs, dayOf(nowMs));
  }

  /**
   * One call of queue_drain (migrations/0002): the page as bytes, empty when nothing is due. An
   * adapter may fetch it another way (PostgreSQL: binary COPY).
   */
  protected async _drainQuery(mailboxes: Uint8Array, afterSeq: bigint, limit: number, nowMs: number, today: number): Promise<Uint8Array> {
    const [row] = await this._session((s) =>
      s.query<{ page: Uint8Array | null }>('SELECT queue_drain($1, $2, $3, $4, $5) AS page', [
        this._bytes(mailboxes),
        afterSeq.toString(),
        limit,
        nowMs,
        today,
      ]),
    );
    return row?.page ? plainBytes(row.page) : new Uint8Array(0);
  }

  async ack(refs: readonly AckRef[]): Promise<number> {
    if (refs.length === 0) return 0;
    return this.ackPacked(packAckRefs(refs), refs.some((r) => r.seq) ? packAckSeqs(refs) : undefined);
  }

  async ackPacked(refs: Uint8Array, seqs?: Uint8Array): Promise<number> {
    if (refs.length === 0) return 0;
    if (seqs && seqs.length > 0) return this.#ackRanges(refs, seqs);
    // A ref repeated in the batch deletes once (the repeat then searches every partition, finding
    // nothing): rare enough not to pay for finding repeats here.
    const [row] = await this.#statement<{ deleted: number }>('SELECT queue_ack($1) AS deleted', [this._bytes(refs)]);
    return row?.deleted ?? 0;
  }

  /**
   * Acks with seqs: the refs grouped here by mailbox and expiry day, each group deleted by one range
   * scan of its seqs in queue_ack_ranges (migrations/0004). Refs without a seq or a day go as they
   * are (its `rest`). Groups are sorted by mailbox: the order every writer takes the counts in.
   */
  async #ackRanges(refs: Uint8Array, seqs: Uint8Array): Promise<number> {
    const n = refs.length / QUEUE_PACKED_REF_BYTES;
    if (seqs.length !== n * QUEUE_PACKED_SEQ_BYTES) {
      throw new RangeError(`"seqs" expected ${n * QUEUE_PACKED_SEQ_BYTES} bytes for ${n} refs, got ${seqs.length}`);
    }
    const rv = new DataView(refs.buffer, refs.byteOffset, refs.byteLength);
    const sv = new DataView(seqs.buffer, seqs.byteOffset, seqs.byteLength);
    const raw = Buffer.from(refs.buffer, refs.byteOffset, refs.byteLength);
    const groups = new Map<string, _AckGroup>();
    const rest: number[] = [];
    // One ack's refs come in runs of one mailbox: the map is looked up only when the run changes.
    let g: _AckGroup | undefined;
    for (let i = 0, o = 0; i < n; i++, o += QUEUE_PACKED_REF_BYTES) {
      const day = rv.getUint32(o + 2 * ID_BYTES);
      const high = sv.getUint32(i * QUEUE_PACKED_SEQ_BYTES);
      const low = sv.getUint32(i * QUEUE_PACKED_SEQ_BYTES + 4);
      // Seqs as numbers, exact below 2^53 (a sequence drawing a million a second takes centuries to
      // get there); a larger one, or 0, is unknown: looked up without it.
      if (day === 0 || high >= _SEQ_HIGH_LIMIT || (high === 0 && low === 0)) {
        rest.push(o);
        continue;
      }
      const seq = high * 2 ** 32 + low;
      if (!g || g.day !== day || !_sameId(rv, g.at, o)) {
        // Mailbox bytes as latin1, then the day as two chars: sorting the keys sorts by mailbox bytes
        // (as PostgreSQL orders bytea), then by day.
        const key = raw.toString('latin1', o, o + ID_BYTES) + String.fromCharCode(day >>> 16, day & 0xffff);
        g = groups.get(key);
        if (!g) groups.set(key, (g = { at: o, day, first: seq, last: seq, refs: [] }));
      }
      if (seq < g.first) g.first = seq;
      if (seq > g.last) g.last = seq;
      g.refs.push(o);
    }
    const sorted = [...groups.keys()].sort().map((k) => groups.get(k)!);
    const mailboxes = Buffer.allocUnsafe(sorted.length * ID_BYTES);
    const ids = Buffer.allocUnsafe((n - rest.length) * ID_BYTES);
    const iv = new DataView(ids.buffer, ids.byteOffset, ids.byteLength);
    let at = 0;
    sorted.forEach((grp, i) => {
      raw.copy(mailboxes, i * ID_BYTES, grp.at, grp.at + ID_BYTES);
      for (const o of grp.refs) {
        for (let k = 0; k < ID_BYTES; k += 4) iv.setUint32(at + k, rv.getUint32(o + ID_BYTES + k));
        at += ID_BYTES;
      }
    });
    const restRefs = Buffer.allocUnsafe(rest.length * QUEUE_PACKED_REF_BYTES);
    rest.forEach((o, i) => raw.copy(restRefs, i * QUEUE_PACKED_REF_BYTES, o, o + QUEUE_PACKED_REF_BYTES));
    const [row] = await this.#statement<{ deleted: number }>(
      'SELECT queue_ack_ranges($1, $2, $3, $4, $5, $6, $7) AS deleted',
      [
        this._bytes(mailboxes),
        _intArray(sorted.map((g) => g.day)),
        _intArray(sorted.map((g) => g.first)),
        _intArray(sorted.map((g) => g.last)),
        _intArray(sorted.map((g) => g.refs.length)),
        this._bytes(ids),
        this._bytes(restRefs),
      ],
    );
    return row?.deleted ?? 0;
  }

  /**
   * Calls each function once, in a transaction rolled back, so the connection holds their plans
   * (planning the drain and ack over every partition costs milliseconds; see migrations/0002).
   */
  protected async _warmSession(s: SqlExecutor): Promise<void> {
    const none = this._bytes(new Uint8Array(0));
    // One ref of day 0, which no partition holds, so the search of every partition runs (and is
    // planned) too; whatever it finds, the rollback keeps.
    const ref = this._bytes(new Uint8Array(QUEUE_PACKED_REF_BYTES));
    await s.query('BEGIN');
    try {
      await s.query('SELECT queue_drain($1, 0, 1, 0, 0)', [none]);
      await s.query('SELECT queue_ack($1)', [ref]);
      // A group that finds nothing in day 1, so the lookup of its refs everywhere runs too.
      await s.query("SELECT queue_ack_ranges($1, '{1}', '{1}', '{1}', '{1}', $1, $2)", [this._bytes(new Uint8Array(ID_BYTES)), none]);
      await s.query("SELECT queue_store(1, $1, $1, '{}', $1, '{}', '{}')", [none]);
    } finally {
      await s.query('ROLLBACK');
    }
  }

  async warm(): Promise<void> {
    await this._session((s) => this._warmSession(s));
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
    return this.#transaction(async (tx) => {
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
    await this.#transaction(async (tx) => {
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
      await this.#transaction(async (tx) => {
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

  async storedBytes(): Promise<number> {
    const [row] = await this._session((s) =>
      s.query<{ n: string | null }>(
        "SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0)::text AS n FROM pg_inherits i WHERE i.inhparent = 'queue_packets'::regclass",
      ),
    );
    return Number(row?.n ?? 0);
  }

  async countStored(): Promise<number> {
    const [row] = await this._session((s) =>
      s.query<{ n: string | null }>('SELECT sum(stored)::text AS n FROM queue_mailboxes'),
    );
    return Number(row?.n ?? 0);
  }
}
