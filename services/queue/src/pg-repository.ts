/**
 * {@link QueueRepository} over PostgreSQL through a node-postgres pool: the cluster shape.
 * @module
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { UnavailableError } from '@tacit/kit';
import { migrateQueue, type MigrationConnection } from './migrator.js';
import { dayOf, type NewPacket } from './model.js';
import { _insertFrom, sqlState, type _KeyRow, SqlQueueRepository, type SqlExecutor } from './sql-repository.js';

/** How enqueue batches reach the server. */
export type PgInsertMode = 'unnest' | 'copy';

/** Options of {@link PgQueueRepository}. */
export interface PgQueueRepositoryOptions {
  /** `postgres://…` connection string. */
  url: string;
  /** Pool size (default 10). */
  maxConnections?: number;
  /**
   * `copy` (default): binary COPY into a temporary table, then one INSERT … SELECT from it;
   * `unnest`: one INSERT … SELECT from packed parameters (what PGlite uses). Same PostgreSQL CPU
   * per packet; COPY spends a quarter less in Node. See docs/queue.md for the measurements.
   */
  insertMode?: PgInsertMode;
  /** Told about errors of idle pooled connections (e.g. the server restarted); they are otherwise harmless. */
  onError?: (err: Error) => void;
}

// Errors that mean "the database cannot be reached right now" rather than a bug: SQLSTATE class
// 08 (connection), 57P0x (shutdown, starting up), 53300 (too many connections), and socket errors.
const _NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/** True when `err` says the database is unreachable or restarting (retryable), not that the query is wrong. */
export function isUnavailable(err: unknown): boolean {
  const code = sqlState(err) ?? '';
  if (code.startsWith('08') || code.startsWith('57P') || code === '53300' || _NODE_CODES.has(code)) return true;
  const message = err instanceof Error ? err.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(
    message,
  );
}

function _wrap(err: unknown): unknown {
  return isUnavailable(err) ? new UnavailableError('queue database unavailable', { cause: err }) : err;
}

// The executor of a transaction keeps its connection, for COPY.
interface _PgExecutor extends SqlExecutor {
  client?: pg.PoolClient;
  staged?: boolean;
}

function _executor(client: pg.PoolClient | pg.Pool): _PgExecutor {
  return {
    client: client instanceof pg.Pool ? undefined : client,
    async query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      const res = await client.query(sql, params as unknown[] | undefined);
      return res.rows as R[];
    },
  };
}

// Binary COPY: 2000-01-01 is PostgreSQL's timestamp epoch.
const _PG_EPOCH_MS = 946_684_800_000;
const _COPY_HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);

/** Encodes rows (expiry_day, mailbox_id, packet_id, expires_at, packet) in COPY's binary format. */
export function _copyBinary(packets: readonly NewPacket[]): Buffer {
  let size = _COPY_HEADER.length + 2;
  for (const p of packets) size += 2 + 4 + 4 + 4 + p.mailboxId.length + 4 + p.packetId.length + 4 + 8 + 4 + p.packet.length;
  const buf = Buffer.allocUnsafe(size);
  let o = _COPY_HEADER.copy(buf, 0);
  const bytes = (b: Uint8Array): void => {
    o = buf.writeInt32BE(b.length, o);
    buf.set(b, o);
    o += b.length;
  };
  for (const p of packets) {
    o = buf.writeInt16BE(5, o);
    o = buf.writeInt32BE(4, o);
    o = buf.writeInt32BE(dayOf(p.expiresAt), o);
    bytes(p.mailboxId);
    bytes(p.packetId);
    o = buf.writeInt32BE(8, o);
    o = buf.writeBigInt64BE(BigInt(p.expiresAt - _PG_EPOCH_MS) * 1000n, o);
    bytes(p.packet);
  }
  buf.writeInt16BE(-1, o);
  return buf;
}

/** The queue in PostgreSQL. Call {@link PgQueueRepository.migrate} once at boot. */
export class PgQueueRepository extends SqlQueueRepository {
  readonly #pool: pg.Pool;
  readonly #mode: PgInsertMode;
  // Pooled connections that already hold the COPY staging table (temporary tables are per session).
  readonly #staged = new WeakSet<pg.PoolClient>();

  constructor(opts: PgQueueRepositoryOptions) {
    super();
    this.#mode = opts.insertMode ?? 'copy';
    this.#pool = new pg.Pool({ connectionString: opts.url, max: opts.maxConnections ?? 10, connectionTimeoutMillis: 5000 });
    // Without a listener, an idle connection dropped by a server restart would crash the process.
    this.#pool.on('error', (err) => opts.onError?.(err));
  }

  /** Applies pending migrations (safe to run from every replica at once); resolves to the versions applied. */
  async migrate(): Promise<number[]> {
    const client = await this.#pool.connect().catch((err: unknown) => {
      throw _wrap(err);
    });
    const onError = (): void => undefined;
    client.on('error', onError);
    const conn: MigrationConnection = {
      query: async <R>(sql: string, params?: readonly unknown[]) => (await client.query(sql, params as unknown[])).rows as R[],
      exec: async (sql: string) => {
        await client.query(sql);
      },
    };
    try {
      return await migrateQueue(conn);
    } finally {
      client.removeListener('error', onError);
      client.release();
    }
  }

  /** One round trip to the database, for readiness probes; throws {@link UnavailableError}. */
  async check(): Promise<void> {
    await this._session((s) => s.query('SELECT 1'));
  }

  protected override _bytes(b: Uint8Array): unknown {
    return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }

  protected override async _session<T>(fn: (s: SqlExecutor) => Promise<T>): Promise<T> {
    try {
      return await fn(_executor(this.#pool));
    } catch (err) {
      throw _wrap(err);
    }
  }

  protected override async _transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      throw _wrap(err);
    }
    // pg-pool drops its error listener while a client is checked out: without one, a server that
    // goes away mid-transaction (restart, failover) would crash the process instead of failing this call.
    let broken: Error | undefined;
    const onError = (err: Error): void => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const out = await fn(_executor(client));
      await client.query('COMMIT');
      return out;
    } catch (err) {
      // The staging table may have been created by this very transaction, and is gone with it.
      this.#staged.delete(client);
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e as Error;
      });
      throw _wrap(err);
    } finally {
      // A connection that failed ROLLBACK is in an unknown state: destroy it instead of reusing it.
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  protected override async _insertCounted(tx: _PgExecutor, packets: readonly NewPacket[]): Promise<_KeyRow[]> {
    const client = tx.client;
    if (this.#mode === 'unnest' || !client) return super._insertCounted(tx, packets);
    if (!this.#staged.has(client)) {
      await client.query(
        `CREATE TEMP TABLE IF NOT EXISTS queue_stage (
           expiry_day int4, mailbox_id bytea, packet_id bytea, expires_at timestamptz, packet bytea
         ) ON COMMIT DELETE ROWS`,
      );
      this.#staged.add(client);
    }
    // Rows left by the first round of this transaction must not be inserted twice.
    if (tx.staged) await client.query('DELETE FROM queue_stage');
    tx.staged = true;
    await pipeline(Readable.from([_copyBinary(packets)]), client.query(copyFrom('COPY queue_stage FROM STDIN (FORMAT binary)')));
    return tx.query<_KeyRow>(
      _insertFrom('SELECT expiry_day, mailbox_id, packet_id, expires_at, packet FROM queue_stage'),
    );
  }

  override async close(): Promise<void> {
    await this.#pool.end();
  }
}
