/**
 * {@link PushRepository} over PGlite (PostgreSQL compiled to WASM) in a data folder (libs/platform's
 * {@link PgliteStore}): the single-node product. Same SQL and migrations as {@link PgPushRepository}.
 * @module
 */
import { PgliteStore } from '@tacit/platform';
import { PUSH_MIGRATIONS, SqlPushRepository } from './sql-repository.js';

/** Registrations and wake state in PGlite. Open with {@link PglitePushRepository.open}, which also migrates. */
export class PglitePushRepository extends SqlPushRepository {
  /** Opens (creating if needed) the database in `dataDir` (`undefined`: in memory, for tests) and applies pending migrations. */
  static async open(dataDir: string | undefined): Promise<PglitePushRepository> {
    return new PglitePushRepository(await PgliteStore.open(dataDir, PUSH_MIGRATIONS));
  }

  private constructor(store: PgliteStore) {
    super(store);
  }
}
