/**
 * {@link PrekeyRepository} over PGlite (PostgreSQL compiled to WASM) in a data folder (libs/platform's
 * {@link PgliteStore}): the single-node product. Same SQL and migrations as {@link PgPrekeyRepository}.
 * @module
 */
import { PgliteStore } from '@tacit/platform';
import { PREKEY_MIGRATIONS, SqlPrekeyRepository } from './sql-repository.js';

/** The bundles in PGlite. Open with {@link PglitePrekeyRepository.open}, which also migrates. */
export class PglitePrekeyRepository extends SqlPrekeyRepository {
  /** Opens (creating if needed) the database in `dataDir` (`undefined`: in memory, for tests) and applies pending migrations. */
  static async open(dataDir: string | undefined): Promise<PglitePrekeyRepository> {
    return new PglitePrekeyRepository(await PgliteStore.open(dataDir, PREKEY_MIGRATIONS));
  }

  private constructor(store: PgliteStore) {
    super(store);
  }
}
