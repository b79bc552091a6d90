/**
 * The queue's migrations: its files and options over the platform's migrator (libs/platform), which
 * every service shares. (The queue's own copy of the migrator, which predated the platform's and did
 * the same, is gone; the names below stay for the queue's callers.)
 * @module
 */
import { loadMigrations, runMigrations, type MigrateOptions, type MigrationConnection } from '@tacit/platform';

export { loadMigrations, runMigrations, type MigrateOptions, type Migration, type MigrationConnection } from '@tacit/platform';

/** Folder of the queue's migration files. */
export const QUEUE_MIGRATIONS_DIR = new URL('../migrations/', import.meta.url);

/** Options that {@link migrateQueue} uses. */
export const QUEUE_MIGRATE_OPTIONS: MigrateOptions = { table: 'queue_schema_migrations', lockKey: 1 };

/** Applies the queue's migrations; resolves to the versions applied now. */
export async function migrateQueue(conn: MigrationConnection): Promise<number[]> {
  return runMigrations(conn, await loadMigrations(QUEUE_MIGRATIONS_DIR), QUEUE_MIGRATE_OPTIONS);
}
