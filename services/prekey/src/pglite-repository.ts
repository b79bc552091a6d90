/**
 * {@link PrekeyRepository} over PGlite (PostgreSQL compiled to WASM) in a data folder: the
 * single-node product. Same SQL and migrations as {@link PgPrekeyRepository}.
 * @module
 */
import { PGlite } from '@electric-sql/pglite';
import { migrate, type MigrationConnection } from '@tacit/platform';
import { PREKEY_MIGRATION_LOCK, PREKEY_MIGRATIONS_DIR, PREKEY_MIGRATIONS_TABLE, SqlPrekeyRepository } from './sql-repository.js';

/** The bundles in PGlite. Open with {@link PglitePrekeyRepository.open}, which also migrates. */
export class PglitePrekeyRepository extends SqlPrekeyRepository {
  readonly #db: PGlite;

  private constructor(db: PGlite) {
    super();
    this.#db = db;
  }

  /** Opens (creating if needed) the database in `dataDir` (`undefined`: in memory, for tests) and applies pending migrations. */
  static async open(dataDir: string | undefined): Promise<PglitePrekeyRepository> {
    const db = await PGlite.create(dataDir === undefined ? {} : { dataDir });
    const conn: MigrationConnection = {
      query: async <R>(sql: string, params?: readonly unknown[]) => (await db.query<R>(sql, params as unknown[] | undefined)).rows,
      exec: async (sql: string) => {
        await db.exec(sql);
      },
    };
    try {
      await migrate(conn, PREKEY_MIGRATIONS_DIR, { table: PREKEY_MIGRATIONS_TABLE, lockKey: PREKEY_MIGRATION_LOCK });
    } catch (err) {
      await db.close();
      throw err;
    }
    return new PglitePrekeyRepository(db);
  }

  protected override async _query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return (await this.#db.query<R>(sql, params as unknown[] | undefined)).rows;
  }

  protected override _bytes(b: Uint8Array): unknown {
    return b;
  }

  override async close(): Promise<void> {
    if (!this.#db.closed) await this.#db.close();
  }
}
