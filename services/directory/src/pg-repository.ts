/**
 * {@link DirectoryRepository} over PostgreSQL through a node-postgres pool (libs/platform's
 * {@link PgStore}): the cluster shape.
 * @module
 */
import { PgStore, pgMigrationTarget, type MigrationTarget, type PgStoreOptions } from '@tacit/platform';
import { DIRECTORY_MIGRATIONS, SqlDirectoryRepository } from './sql-repository.js';

/** The entries in PostgreSQL. Call {@link PgDirectoryRepository.migrate} once at boot. */
export class PgDirectoryRepository extends SqlDirectoryRepository {
  readonly #pg: PgStore;

  constructor(opts: PgStoreOptions) {
    const store = new PgStore('directory', DIRECTORY_MIGRATIONS, opts);
    super(store);
    this.#pg = store;
  }

  /** Applies pending migrations (safe from every replica at once); resolves to the versions applied. */
  migrate(): Promise<number[]> {
    return this.#pg.migrate();
  }
}

/** The directory service's schema for a migrate job (libs/platform's runMigrateJob: `tacit migrate`). */
export const directoryMigrationTarget: MigrationTarget = pgMigrationTarget('directory', (opts) => new PgDirectoryRepository(opts));
