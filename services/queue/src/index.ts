// @tacit/queue: store-and-forward mailboxes (TTL, ordered drain, ack-delete, expiry) over
// PostgreSQL or PGlite, served on the bus.
export * from './model.js';
export type { QueueRepository } from './repository.js';
export { SqlQueueRepository, partitionName, type RepositoryStats, type SqlExecutor } from './sql-repository.js';
export { PgQueueRepository, isUnavailable, queueMigrationTarget, type PgQueueRepositoryOptions } from './pg-repository.js';
export { PgliteQueueRepository } from './pglite-repository.js';
export {
  loadMigrations,
  migrateQueue,
  runMigrations,
  QUEUE_MIGRATE_OPTIONS,
  QUEUE_MIGRATIONS_DIR,
  type MigrateOptions,
  type Migration,
  type MigrationConnection,
} from './migrator.js';
export { GroupCommitter, type GroupCommitOptions, type GroupCommitStats } from './group-commit.js';
export {
  QueueService,
  DEFAULT_QUEUE_LIMITS,
  type ExpireResult,
  type QueueLimits,
  type QueueServiceOptions,
  type QueueStats,
} from './queue.service.js';
export { QueueController, STATUS_TO_WIRE } from './queue.controller.js';
export { QueueModule, QueueLifecycle, QUEUE_STORE, openQueueStore, type QueueStore } from './queue.module.js';
export { queueConfigSchema, queueServiceConfigSchema, queueServiceOptions, type QueueConfig } from './config.js';
export { bindQueueMetrics, type QueueMetricsOptions } from './metrics.js';
export { runQueueBench, type QueueBenchOptions, type QueueBenchResult } from './bench.js';
export { queueService } from './service.js';
