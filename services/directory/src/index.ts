// @tacit/directory: the username directory over PostgreSQL or PGlite, served on the bus (docs/directory.md).
export type { DirectoryRepository, StoredEntry, WriteStatus } from './repository.js';
export { SqlDirectoryRepository, DIRECTORY_MIGRATIONS_DIR, DIRECTORY_MIGRATIONS_TABLE, DIRECTORY_MIGRATION_LOCK } from './sql-repository.js';
export { PgDirectoryRepository, directoryMigrationTarget } from './pg-repository.js';
// The store's options and its unreachable-database test are the platform's (PgStore).
export { isPgUnavailable as isUnavailable, type PgStoreOptions as PgDirectoryRepositoryOptions } from '@tacit/platform';
export { PgliteDirectoryRepository } from './pglite-repository.js';
export { Challenges } from './challenge.js';
export {
  DirectoryService,
  DEFAULT_DIRECTORY_LIMITS,
  type DirectoryLimits,
  type DirectoryOp,
  type DirectoryServiceOptions,
  type DirectoryStats,
  type LookupResult,
  type RegisterInput,
  type ReleaseInput,
  type TransferInput,
} from './directory.service.js';
export { DirectoryController, CODE_TO_STATUS } from './directory.controller.js';
export { DirectoryModule, DIRECTORY_STORE, DIRECTORY_STORE_OPTIONS } from './directory.module.js';
export { directoryConfigSchema, directoryServiceConfigSchema, directoryLimits, type DirectoryConfig } from './config.js';
export { bindDirectoryMetrics } from './metrics.js';
export { directoryService } from './service.js';
