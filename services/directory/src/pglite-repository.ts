/**
 * {@link DirectoryRepository} over PGlite (PostgreSQL compiled to WASM) in a data folder (libs/platform's
 * {@link PgliteStore}): the single-node product. Same SQL and migrations as {@link PgDirectoryRepository}.
 * @module
 */
import { PgliteStore } from '@tacit/platform';
import { DIRECTORY_MIGRATIONS, SqlDirectoryRepository } from './sql-repository.js';

/** The entries in PGlite. Open with {@link PgliteDirectoryRepository.open}, which also migrates. */
export class PgliteDirectoryRepository extends SqlDirectoryRepository {
  /** Opens (creating if needed) the database in `dataDir` (`undefined`: in memory, for tests) and applies pending migrations. */
  static async open(dataDir: string | undefined): Promise<PgliteDirectoryRepository> {
    return new PgliteDirectoryRepository(await PgliteStore.open(dataDir, DIRECTORY_MIGRATIONS));
  }

  private constructor(store: PgliteStore) {
    super(store);
  }
}
