/**
 * {@link QueueRepository} over PostgreSQL through a node-postgres pool: the cluster shape.
 * @module
 */
import pg from 'pg';
import { UnavailableError } from '@tacit/kit';
import type { MigrationTarget } from '@tacit/platform';
import { migrateQueue, type MigrationConnection } from './migrator.js';
import { sqlState, SqlQueueRepository, type SqlExecutor } from './sql-repository.js';

/** Options of {@link PgQueueRepository}. */
export interface PgQueueRepositoryOptions {
  /** `postgres://…` connection string. */
  url: string;
  /** Pool size (default 10). */
  maxConnections?: number;
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

/** A COPY … TO STDOUT as a node-pg query: keeps the data messages (pg's own Query drops them). */
class _CopyOut extends pg.Query {
  readonly chunks: Buffer[] = [];

  constructor(text: string, callback: (err: Error | undefined) => void) {
    super(text, undefined, callback);
  }

  handleCopyData(msg: { chunk: Buffer }): void {
    this.chunks.push(msg.chunk);
  }
}

const _COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const _COPY_TRAILER = Buffer.from([0xff, 0xff]);

/**
 * The one field of the one row of a binary COPY, from its CopyData chunks in order (PostgreSQL's
 * format: signature, flags, header extension, then per row a field count and each field's length
 * and bytes, then -1); empty for NULL or no row. Throws on anything else. PostgreSQL sends the header
 * and the row in one chunk and the trailer in another: then the field is a view of that chunk, not
 * a copy of the page (a copy of each ~150 KB page was ~9 % of the node's CPU in a drain).
 */
export function binaryCopyField(chunks: readonly Buffer[]): Uint8Array {
  const [data = Buffer.alloc(0), ...rest] = chunks;
  // Where the first chunk does not hold the header and the whole field, the chunks are read joined.
  const joined = (): Uint8Array => binaryCopyField([Buffer.concat(chunks)]);
  if (data.length < 21) {
    if (rest.length > 0) return joined();
    throw new Error('binary COPY: bad signature');
  }
  if (!data.subarray(0, 11).equals(_COPY_SIGNATURE)) throw new Error('binary COPY: bad signature');
  let at = 15 + 4 + data.readUInt32BE(15);
  if (at + 6 > data.length && rest.length > 0) return joined();
  const fields = data.readInt16BE(at);
  if (fields === -1) return new Uint8Array(0);
  if (fields !== 1) throw new Error(`binary COPY: expected 1 field, got ${fields}`);
  const length = data.readInt32BE(at + 2);
  at += 6;
  if (length === -1) return new Uint8Array(0);
  if (length >= 0 && at + length > data.length && rest.length > 0) return joined();
  // What follows the field: the trailer alone in a well-formed COPY (a few bytes, joined at no cost).
  const tail = (): Buffer => Buffer.concat([data.subarray(at + length), ...rest]);
  if (length < 0 || at + length > data.length || !tail().equals(_COPY_TRAILER)) {
    throw new Error('binary COPY: expected one row');
  }
  return new Uint8Array(data.buffer, data.byteOffset + at, length);
}

function _executor(client: pg.PoolClient | pg.Pool): SqlExecutor {
  return {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      const res = await client.query(sql, params as unknown[] | undefined);
      return res.rows as R[];
    },
  };
}

/** The queue in PostgreSQL. Call {@link PgQueueRepository.migrate} once at boot. */
export class PgQueueRepository extends SqlQueueRepository {
  readonly #pool: pg.Pool;
  readonly #max: number;

  constructor(opts: PgQueueRepositoryOptions) {
    super();
    this.#max = opts.maxConnections ?? 10;
    // Idle connections stay open: each keeps the plans of the queue's functions (planning the drain
    // and ack over every partition costs milliseconds, once per connection).
    this.#pool = new pg.Pool({
      connectionString: opts.url,
      max: this.#max,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 0,
    });
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

  /** Opens every connection of the pool and readies each one's plans (see {@link SqlQueueRepository.warm}). */
  override async warm(): Promise<void> {
    const clients: pg.PoolClient[] = [];
    // As in _transaction: a server going away while a client is checked out must not crash us.
    const onError = (): void => undefined;
    let failed = false;
    try {
      for (let i = 0; i < this.#max; i++) {
        const client = await this.#pool.connect();
        client.on('error', onError);
        clients.push(client);
      }
      await Promise.all(clients.map((c) => this._warmSession(_executor(c))));
    } catch (err) {
      failed = true;
      throw _wrap(err);
    } finally {
      for (const c of clients) {
        c.removeListener('error', onError);
        // A failed warm-up may leave a transaction open: such connections are not reused.
        c.release(failed);
      }
    }
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

  /**
   * Runs `fn` on a client checked out of the pool. pg-pool drops its error listener while a client
   * is checked out: without one, a server that goes away meanwhile (restart, failover) would crash
   * the process instead of failing this call. `fn` reports a client left in an unknown state (a
   * failed ROLLBACK) through `markBroken`: it is then destroyed instead of reused.
   */
  async #withClient<T>(fn: (client: pg.PoolClient, markBroken: (err: Error) => void) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      throw _wrap(err);
    }
    let broken: Error | undefined;
    const onError = (err: Error): void => {
      broken = err;
    };
    client.on('error', onError);
    try {
      return await fn(client, onError);
    } catch (err) {
      throw _wrap(err);
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  protected override _transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#withClient(async (client, markBroken) => {
      try {
        await client.query('BEGIN');
        const out = await fn(_executor(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch((e: unknown) => markBroken(e as Error));
        throw err;
      }
    });
  }

  /**
   * The drain page by `COPY (SELECT queue_drain(…)) TO STDOUT (FORMAT binary)`: the bytes as they
   * are. node-pg reads query results as text only (its binary mode decodes rows as UTF-8 strings,
   * which garbles bytes), so a bytea result is hex: twice the page's bytes for PostgreSQL to encode
   * and send and for this process to decode. Per 512-packet page: ~0.8 ms sooner, ~0.35 ms less
   * PostgreSQL CPU. COPY takes no parameters: the values are written into the statement, all of them
   * numbers or hex made here.
   */
  protected override async _drainQuery(mailboxes: Uint8Array, afterSeq: bigint, limit: number, nowMs: number, today: number): Promise<Uint8Array> {
    for (const [name, v] of [['limit', limit], ['nowMs', nowMs], ['today', today]] as const) {
      if (!Number.isSafeInteger(v)) throw new RangeError(`"${name}" expected an integer, got ${v}`);
    }
    const hex = Buffer.from(mailboxes.buffer, mailboxes.byteOffset, mailboxes.byteLength).toString('hex');
    const text = `COPY (SELECT queue_drain('\\x${hex}'::bytea, ${BigInt(afterSeq)}, ${limit}, ${nowMs}, ${today})) TO STDOUT (FORMAT binary)`;
    return this.#withClient(async (client) => {
      const chunks = await new Promise<Buffer[]>((resolve, reject) => {
        const q = new _CopyOut(text, (err) => (err ? reject(err) : resolve(q.chunks)));
        client.query(q);
      });
      return binaryCopyField(chunks);
    });
  }

  override async close(): Promise<void> {
    await this.#pool.end();
  }
}

/** The queue's schema for a migrate job (libs/platform's runMigrateJob: `tacit migrate`, the queue's migrate.js). */
export const queueMigrationTarget: MigrationTarget = {
  service: 'queue',
  async migrate(url: string): Promise<number[]> {
    const repo = new PgQueueRepository({ url, maxConnections: 1, onError: () => undefined });
    try {
      return await repo.migrate();
    } finally {
      await repo.close().catch(() => undefined);
    }
  },
  isUnavailable: (err) => isUnavailable(err) || (err instanceof Error && isUnavailable(err.cause)),
};
