/**
 * The storage shell a service's SQL repository runs on: a node-postgres pool (the cluster shape) or
 * a PGlite data folder (the single-node product), each migrated with {@link migrate}. The service's
 * repository keeps its SQL in one core class and delegates connection, migration and close here.
 * @module
 */
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { UnavailableError } from '@tacit/kit';
import type { MigrationTarget } from './migrate-job.js';
import { migrate, type MigrationConnection } from './migrator.js';
import { leasePglite, migratePglite, type PgliteLease } from './pglite-shared.js';

/** Where a service's migrations are and how they are recorded and serialised. */
export interface StoreMigrations {
  /** Folder of `NNNN_name.sql` files. */
  dir: URL | string;
  /** Table recording applied versions (one per service). */
  table: string;
  /** Second key of the advisory lock (the first is Tacit's namespace). */
  lockKey: number;
}

/** What a service's SQL core runs on: {@link PgStore} or {@link PgliteStore}. */
export interface SqlStore {
  /** Runs one statement (outside an explicit transaction: it commits on its own); resolves to its rows. */
  query<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** The driver's parameter form of a bytea value. */
  bytes(b: Uint8Array): unknown;
  /** Releases the connections. */
  close(): Promise<void>;
}

/** Base of a service's SQL core: its statements and bytea parameters go to the store it was made with. */
export abstract class SqlStoreRepository {
  readonly #store: SqlStore;

  constructor(store: SqlStore) {
    this.#store = store;
  }

  /** Runs one statement (outside an explicit transaction: it commits on its own). */
  protected _query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return this.#store.query<R>(sql, params);
  }

  /** The driver's parameter form of a bytea value. */
  protected _bytes(b: Uint8Array): unknown {
    return this.#store.bytes(b);
  }

  /** Closes the store. */
  close(): Promise<void> {
    return this.#store.close();
  }
}

/** Options of {@link PgStore}. */
export interface PgStoreOptions {
  /** `postgres://…` connection string. */
  url: string;
  /** Pool size (default 10). */
  maxConnections?: number;
  /** Told about errors of idle pooled connections (e.g. the server restarted); they are otherwise harmless. */
  onError?: (err: Error) => void;
}

// "The database cannot be reached right now" rather than a bug: SQLSTATE class 08 (connection),
// 57P0x (shutdown, starting up), 53300 (too many connections), and socket errors.
const _NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/** True when `err` says the database is unreachable or restarting (retryable), not that the query is wrong. */
export function isPgUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const c = typeof code === 'string' ? code : '';
  if (c.startsWith('08') || c.startsWith('57P') || c === '53300' || _NODE_CODES.has(c)) return true;
  const message = err instanceof Error ? err.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(message);
}

/** PostgreSQL through a node-postgres pool; unreachable-database errors become `UnavailableError('<service> database unavailable')`. */
export class PgStore implements SqlStore {
  readonly #pool: pg.Pool;

  constructor(
    private readonly service: string,
    private readonly migrations: StoreMigrations,
    opts: PgStoreOptions,
  ) {
    this.#pool = new pg.Pool({ connectionString: opts.url, max: opts.maxConnections ?? 10, connectionTimeoutMillis: 5000 });
    // Without a listener, an idle connection dropped by a server restart would crash the process.
    this.#pool.on('error', (err) => opts.onError?.(err));
  }

  /** Applies pending migrations (safe from every replica at once); resolves to the versions applied. */
  async migrate(): Promise<number[]> {
    const client = await this.#pool.connect().catch((err: unknown) => {
      throw this.#wrap(err);
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
      return await migrate(conn, this.migrations.dir, { table: this.migrations.table, lockKey: this.migrations.lockKey });
    } finally {
      client.removeListener('error', onError);
      client.release();
    }
  }

  /** The rows of one statement on a pooled connection. */
  async query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    try {
      return (await this.#pool.query(sql, params as unknown[] | undefined)).rows as R[];
    } catch (err) {
      throw this.#wrap(err);
    }
  }

  /** `b` as node-postgres sends it as `bytea`: a Buffer over the same memory. */
  bytes(b: Uint8Array): unknown {
    return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }

  /** Ends the pool. */
  async close(): Promise<void> {
    await this.#pool.end();
  }

  #wrap(err: unknown): unknown {
    return isPgUnavailable(err) ? new UnavailableError(`${this.service} database unavailable`, { cause: err }) : err;
  }
}

/**
 * A service's schema for a migrate job (runMigrateJob: `tacit migrate`): `open(url)` makes a
 * one-connection repository whose `migrate()` applies it.
 */
export function pgMigrationTarget(
  service: string,
  open: (opts: PgStoreOptions) => { migrate(): Promise<number[]>; close(): Promise<void> },
): MigrationTarget {
  return {
    service,
    async migrate(url: string): Promise<number[]> {
      const repo = open({ url, maxConnections: 1, onError: () => undefined });
      try {
        return await repo.migrate();
      } finally {
        await repo.close().catch(() => undefined);
      }
    },
    isUnavailable: (err) => isPgUnavailable(err) || (err instanceof Error && isPgUnavailable(err.cause)),
  };
}

/** PostgreSQL compiled to WASM in a data folder, same SQL and migrations as {@link PgStore}. Open with {@link PgliteStore.open}. */
export class PgliteStore implements SqlStore {
  readonly #lease: PgliteLease;
  readonly #db: PGlite;

  private constructor(lease: PgliteLease) {
    this.#lease = lease;
    this.#db = lease.db;
  }

  /**
   * Opens (creating if needed) the database in `dataDir` — shared with the other services of the
   * process that open the same folder — and applies pending migrations (`undefined`: a private one in
   * memory, for tests).
   */
  static async open(dataDir: string | undefined, migrations: StoreMigrations): Promise<PgliteStore> {
    const lease = await leasePglite(dataDir);
    try {
      await migratePglite(lease.db, migrations.dir, { table: migrations.table, lockKey: migrations.lockKey });
    } catch (err) {
      await lease.release();
      throw err;
    }
    return new PgliteStore(lease);
  }

  /** The rows of one statement. */
  async query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return (await this.#db.query<R>(sql, params as unknown[] | undefined)).rows;
  }

  /** PGlite takes a Uint8Array as it is. */
  bytes(b: Uint8Array): unknown {
    return b;
  }

  /** Lets go of the database, which closes with its last holder (again is a no-op). */
  async close(): Promise<void> {
    await this.#lease.release();
  }
}
