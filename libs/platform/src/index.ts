// @tacit/platform: the shell every Tacit service runs on. A service is a NestJS module; the shell
// validates its settings, starts tracing, connects the bus, serves the module's @BusHandle
// handlers over it through @nestjs/microservices, mounts /healthz, /readyz and /metrics on the ops
// listener, and stops it gracefully. docs/architecture.md has the recipe for a new service.
export { BUS, HEALTH, LOGGER, METRICS, SETTINGS } from './tokens.js';
export { BusHandle, BusContext, type BusHandleExtras } from './bus-handle.js';
export { BusServer, BUS_TRANSPORT } from './bus-server.js';
export { BusClientProxy, type BusClientProxyOptions } from './bus-client.js';
export { BusErrorFilter } from './bus-errors.filter.js';
export { OpsController } from './ops.controller.js';
export { ShellModule, type ShellParts } from './shell.module.js';
export { loadSettings, shellConfigSchema, type SettingsCheck, type ShellConfig } from './settings.js';
export { hasServiceStart, type OnServiceStart } from './lifecycle.js';
export {
  loggableSubject,
  runService,
  startService,
  type RunningService,
  type RunServiceOptions,
  type ServiceDefinition,
  type StartServiceOptions,
} from './service.js';
export { serveOnBus, type BusApp } from './serve.js';
export {
  LOCK_NAMESPACE,
  loadMigrations,
  migrate,
  runMigrations,
  type MigrateOptions,
  type Migration,
  type MigrationConnection,
} from './migrator.js';
export { EMBEDDED_DB_FOLDER, embeddedDbFolder, leasePglite, migratePglite, type PgliteLease } from './pglite-shared.js';
export { migrateJobConfigSchema, runMigrateJob, type MigrationTarget } from './migrate-job.js';
export {
  isPgUnavailable,
  pgMigrationTarget,
  PgliteStore,
  PgStore,
  SqlStoreRepository,
  type PgStoreOptions,
  type SqlStore,
  type StoreMigrations,
} from './pg-store.js';
export { StampedChallenges, type ChallengeKind } from './challenges.js';
export {
  openServiceStore,
  serviceLifecycleProvider,
  serviceStoreProvider,
  type OpenStoreOptions,
  type ServiceLifecycleOptions,
  type ServiceStore,
  type StartStop,
  type StoreSettings,
} from './store-service.js';
export { AddressSalt, requesterOf, type SaltStore } from './address-salt.js';
export {
  CLIENT_ADDRESS_SOURCES,
  ClientAddressResolver,
  parseProxyV2,
  type ClientAddressOptions,
  type ClientAddressSource,
} from './client-address.js';
