/**
 * {@link DirectoryRepository} over PGlite (PostgreSQL compiled to WASM) in a data folder: the
 * single-node product. Same SQL and migrations as {@link PgDirectoryRepository}.
 * @module
 */
import { PGlite } from '@electric-sql/pglite';
import { migrate, type MigrationConnection } from '@tacit/platform';
import { DIRECTORY_MIGRATION_LOCK, DIRECTORY_MIGRATIONS_DIR, DIRECTORY_MIGRATIONS_TABLE, SqlDirectoryRepository } from './sql-repository.js';

/** The entries in PGlite. Open with {@link PgliteDirectoryRepository.open}, which also migrates. */
export class PgliteDirectoryRepository extends SqlDirectoryRepository {
  readonly #db: PGlite;

  private constructor(db: PGlite) {
    super();
    this.#db = db;
  }

  /** Opens (creating if needed) the database in `dataDir` (`undefined`: in memory, for tests) and applies pending migrations. */
  static async open(dataDir: string | undefined): Promise<PgliteDirectoryRepository> {
    const db = await PGlite.create(dataDir === undefined ? {} : { dataDir });
    const conn: MigrationConnection = {
      query: async <R>(sql: string, params?: readonly unknown[]) => (await db.query<R>(sql, params as unknown[] | undefined)).rows,
      exec: async (sql: string) => {
        await db.exec(sql);
      },
    };
    try {
      await migrate(conn, DIRECTORY_MIGRATIONS_DIR, { table: DIRECTORY_MIGRATIONS_TABLE, lockKey: DIRECTORY_MIGRATION_LOCK });
    } catch (err) {
      await db.close();
      throw err;
    }
    return new PgliteDirectoryRepository(db);
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
