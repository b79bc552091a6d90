/**
 * {@link QueueRepository} over PGlite (PostgreSQL compiled to WASM) in a data folder: the
 * single-node product. Same SQL and migrations as {@link PgQueueRepository}.
 * @module
 */
import { PGlite } from '@electric-sql/pglite';
import { migrateQueue, type MigrationConnection } from './migrator.js';
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

  /** Wraps an open PGlite; call {@link PgliteQueueRepository.migrate} before use (or use `open`). */
  constructor(db: PGlite) {
    super();
    this.#db = db;
  }

  /**
   * Opens (creating if needed) the database in `dataDir` (`undefined`: in memory, for tests) and
   * applies pending migrations.
   */
  static async open<T extends PgliteQueueRepository>(
    this: new (db: PGlite) => T,
    dataDir: string | undefined,
  ): Promise<T> {
    const db = await PGlite.create(dataDir === undefined ? {} : { dataDir });
    const repo = new this(db);
    try {
      await repo.migrate();
    } catch (err) {
      await db.close();
      throw err;
    }
    return repo;
  }

  /**
   * Applies pending migrations; resolves to the versions applied. PGlite is one connection, so
   * nothing else may query meanwhile: {@link PgliteQueueRepository.open} runs it before the
   * repository is handed out.
   */
  async migrate(): Promise<number[]> {
    const conn: MigrationConnection = {
      query: async <R>(sql: string, params?: readonly unknown[]) =>
        (await this.#db.query<R>(sql, params as unknown[] | undefined)).rows,
      exec: async (sql: string) => {
        await this.#db.exec(sql);
      },
    };
    return migrateQueue(conn);
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
    if (!this.#db.closed) await this.#db.close();
  }
}
