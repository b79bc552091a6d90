/**
 * The directory as a Nest module: its repository (PostgreSQL with DATABASE_URL, else PGlite in
 * DATA_DIR/pglite), {@link DirectoryService}, the bus controller, its metrics and readiness, and
 * its lifecycle — migrations and the secret at start, sweeps of old request counts; at stop, after
 * the bus transport has answered every request it took, the database's connections.
 * @module
 */
import { Module } from '@nestjs/common';
import type { Logger } from '@tacit/kit';
import { LOGGER, serviceLifecycleProvider, serviceStoreProvider, SETTINGS, type OpenStoreOptions } from '@tacit/platform';
import { directoryLimits, type DirectoryConfig } from './config.js';
import { DirectoryController } from './directory.controller.js';
import { DirectoryService } from './directory.service.js';
import { bindDirectoryMetrics } from './metrics.js';
import { PgDirectoryRepository } from './pg-repository.js';
import { PgliteDirectoryRepository } from './pglite-repository.js';
import type { DirectoryRepository } from './repository.js';

/** Token of the service's {@link DirectoryRepository}. */
export const DIRECTORY_STORE = Symbol('tacit.directory.store');

/** How the directory opens its store (PostgreSQL with DATABASE_URL, else PGlite in DATA_DIR/pglite). */
export const DIRECTORY_STORE_OPTIONS: OpenStoreOptions<DirectoryRepository, DirectoryConfig> = {
  name: 'directory',
  postgres: (url, onError, settings) => new PgDirectoryRepository({ url, maxConnections: settings.DIRECTORY_DB_POOL_SIZE, onError }),
  pglite: (folder) => PgliteDirectoryRepository.open(folder),
};

@Module({
  controllers: [DirectoryController],
  providers: [
    serviceStoreProvider(DIRECTORY_STORE, DIRECTORY_STORE_OPTIONS),
    {
      provide: DirectoryService,
      useFactory: (settings: DirectoryConfig, store: DirectoryRepository, log: Logger) =>
        new DirectoryService({
          repository: store,
          limits: directoryLimits(settings),
          onSweepError: (err) => log.warn('directory_sweep_failed', { error: err instanceof Error ? err.name : 'unknown' }),
        }),
      inject: [SETTINGS, DIRECTORY_STORE, LOGGER],
    },
    serviceLifecycleProvider({ name: 'directory', readiness: 'directory_database', service: DirectoryService, store: DIRECTORY_STORE, metrics: bindDirectoryMetrics }),
  ],
  exports: [DirectoryService],
})
export class DirectoryModule {}
