/**
 * {@link PrekeyRepository} over PostgreSQL through a node-postgres pool (libs/platform's
 * {@link PgStore}): the cluster shape.
 * @module
 */
import { PgStore, pgMigrationTarget, type MigrationTarget, type PgStoreOptions } from '@tacit/platform';
import { PREKEY_MIGRATIONS, SqlPrekeyRepository } from './sql-repository.js';

/** The bundles in PostgreSQL. Call {@link PgPrekeyRepository.migrate} once at boot. */
export class PgPrekeyRepository extends SqlPrekeyRepository {
  readonly #pg: PgStore;

  constructor(opts: PgStoreOptions) {
    const store = new PgStore('prekey', PREKEY_MIGRATIONS, opts);
    super(store);
    this.#pg = store;
  }

  /** Applies pending migrations (safe from every replica at once); resolves to the versions applied. */
  migrate(): Promise<number[]> {
    return this.#pg.migrate();
  }
}

/** The prekey service's schema for a migrate job (libs/platform's runMigrateJob: `tacit migrate`). */
export const prekeyMigrationTarget: MigrationTarget = pgMigrationTarget('prekey', (opts) => new PgPrekeyRepository(opts));
