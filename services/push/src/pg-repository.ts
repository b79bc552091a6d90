/**
 * {@link PushRepository} over PostgreSQL through a node-postgres pool (libs/platform's
 * {@link PgStore}): the cluster shape.
 * @module
 */
import { PgStore, pgMigrationTarget, type MigrationTarget, type PgStoreOptions } from '@tacit/platform';
import { PUSH_MIGRATIONS, SqlPushRepository } from './sql-repository.js';

/** Registrations and wake state in PostgreSQL. Call {@link PgPushRepository.migrate} once at boot. */
export class PgPushRepository extends SqlPushRepository {
  readonly #pg: PgStore;

  constructor(opts: PgStoreOptions) {
    const store = new PgStore('push', PUSH_MIGRATIONS, opts);
    super(store);
    this.#pg = store;
  }

  /** Applies pending migrations (safe from every replica at once); resolves to the versions applied. */
  migrate(): Promise<number[]> {
    return this.#pg.migrate();
  }
}

/** The push service's schema for a migrate job (libs/platform's runMigrateJob: `tacit migrate`). */
export const pushMigrationTarget: MigrationTarget = pgMigrationTarget('push', (opts) => new PgPushRepository(opts));
