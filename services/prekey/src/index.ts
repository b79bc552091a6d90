// @tacit/prekey: public PQXDH prekey bundles per namespace-scoped identity over PostgreSQL or
// PGlite, served on the bus (docs/prekey.md).
export type { PrekeyRepository, UploadResult, UploadStatus, VerifiedUpload } from './repository.js';
export { SqlPrekeyRepository, PREKEY_MIGRATIONS_DIR, PREKEY_MIGRATIONS_TABLE, PREKEY_MIGRATION_LOCK, type SqlExecutor } from './sql-repository.js';
export { PgPrekeyRepository, prekeyMigrationTarget } from './pg-repository.js';
// The store's options and its unreachable-database test are the platform's (PgStore).
export { isPgUnavailable as isUnavailable, type PgStoreOptions as PgPrekeyRepositoryOptions } from '@tacit/platform';
export { PglitePrekeyRepository } from './pglite-repository.js';
export { Challenges } from './challenge.js';
export {
  PrekeyService,
  DEFAULT_PREKEY_LIMITS,
  type FetchedBundle,
  type PrekeyLimits,
  type PrekeyServiceOptions,
  type PrekeyStats,
} from './prekey.service.js';
export { PrekeyController, CODE_TO_STATUS } from './prekey.controller.js';
export { PrekeyModule, PREKEY_STORE, PREKEY_STORE_OPTIONS } from './prekey.module.js';
export { prekeyConfigSchema, prekeyServiceConfigSchema, prekeyLimits, type PrekeyConfig } from './config.js';
export { bindPrekeyMetrics, type PrekeyMetricsOptions } from './metrics.js';
export { prekeyService } from './service.js';
