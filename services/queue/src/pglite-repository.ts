/**
 * {@link QueueRepository} over PGlite (PostgreSQL compiled to WASM) in a data folder: the
 * single-node product. Same SQL and migrations as {@link PgQueueRepository}.
 * @module
 */
import type { PGlite } from '@electric-sql/pglite';
import { leasePglite, migratePglite, type PgliteLease } from '@tacit/platform';
import { QUEUE_MIGRATE_OPTIONS, QUEUE_MIGRATIONS_DIR } from './migrator.js';
import { SqlQueueRepository, type SqlExecutor } from './sql-repository.js';

interface _Queryable {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

function _executor(q: _Queryable): SqlExecutor {
  return {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      return (await q.query<R>(sql, params as unknown[] | undefined)).rows;
    },
  };
}

/** The queue in PGlite. Open with {@link PgliteQueueRepository.open}, which also migrates. */
export class PgliteQueueRepository extends SqlQueueRepository {
  readonly #db: PGlite;
  readonly #lease: PgliteLease | undefined;

  /**
   * Wraps an open PGlite (closed with the repository unless a lease holds it); call
   * {@link PgliteQueueRepository.migrate} before use (or use `open`).
   */
  constructor(db: PGlite, lease?: PgliteLease) {
    super();
    this.#db = db;
    this.#lease = lease;
  }

  /**
   * Opens (creating if needed) the database in `dataDir` — shared with the process's other services
   * that open the same folder — and applies pending migrations (`undefined`: a private one in
   * memory, for tests).
   */
  static async open<T extends PgliteQueueRepository>(
    this: new (db: PGlite, lease?: PgliteLease) => T,
    dataDir: string | undefined,
  ): Promise<T> {
    const lease = await leasePglite(dataDir);
    const repo = new this(lease.db, lease);
    try {
      await repo.migrate();
    } catch (err) {
      await lease.release();
      throw err;
    }
    return repo;
  }

  /**
   * Applies pending migrations in one transaction PGlite runs alone (the other services sharing the
   * database wait); resolves to the versions applied.
   */
  async migrate(): Promise<number[]> {
    return migratePglite(this.#db, QUEUE_MIGRATIONS_DIR, QUEUE_MIGRATE_OPTIONS);
  }

  /** Readiness: one query. */
  async check(): Promise<void> {
    await this.#db.query('SELECT 1');
  }

  protected override _bytes(b: Uint8Array): unknown {
    return b;
  }

  protected override async _session<T>(fn: (s: SqlExecutor) => Promise<T>): Promise<T> {
    return fn(_executor(this.#db));
  }

  // PGlite serialises transactions itself: one runs at a time and other queries wait for it.
  protected override async _transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#db.transaction((tx) => fn(_executor(tx)));
  }

  override async close(): Promise<void> {
    if (this.#lease) await this.#lease.release();
    else if (!this.#db.closed) await this.#db.close();
  }
}
