/**
 * The directory as a Nest module: its repository (PostgreSQL with DATABASE_URL, else PGlite in
 * DATA_DIR/directory), {@link DirectoryService}, the bus controller, its metrics and readiness, and
 * its lifecycle — migrations and the secret at start, sweeps of old request counts; at stop, after
 * the bus transport has answered every request it took, the database's connections.
 * @module
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { HealthRegistry, Logger, Metrics } from '@tacit/kit';
import { HEALTH, LOGGER, METRICS, SETTINGS } from '@tacit/platform';
import { directoryLimits, type DirectoryConfig } from './config.js';
import { DirectoryController } from './directory.controller.js';
import { DirectoryService } from './directory.service.js';
import { bindDirectoryMetrics } from './metrics.js';
import { PgDirectoryRepository } from './pg-repository.js';
import { PgliteDirectoryRepository } from './pglite-repository.js';
import type { DirectoryRepository } from './repository.js';

/** Token of the service's {@link DirectoryRepository}. */
export const DIRECTORY_STORE = Symbol('tacit.directory.store');

/** Opens the store the settings name, migrated (every replica runs this; an advisory lock lets one apply each migration). */
export async function openDirectoryStore(settings: DirectoryConfig, log: Logger): Promise<DirectoryRepository> {
  if (settings.DATABASE_URL) {
    const pg = new PgDirectoryRepository({
      url: settings.DATABASE_URL,
      maxConnections: settings.DIRECTORY_DB_POOL_SIZE,
      onError: () => log.warn('postgres_connection_lost'),
    });
    try {
      log.info('migrations_applied', { service: 'directory', versions: await pg.migrate() });
    } catch (err) {
      await pg.close().catch(() => undefined);
      throw err;
    }
    return pg;
  }
  const dir = path.resolve(settings.DATA_DIR);
  mkdirSync(dir, { recursive: true });
  return PgliteDirectoryRepository.open(path.join(dir, 'directory'));
}

/** Starts and stops the directory with the process; registers its readiness check and metrics. */
@Injectable()
export class DirectoryLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DirectoryService) private readonly directory: DirectoryService,
    @Inject(DIRECTORY_STORE) private readonly store: DirectoryRepository,
    @Inject(HEALTH) private readonly health: HealthRegistry,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

  async onModuleInit(): Promise<void> {
    this.health.addReadiness('directory_database', () => this.store.check());
    this.metrics.onCollect(bindDirectoryMetrics(this.metrics.forService('directory'), this.directory));
    await this.directory.start();
  }

  /** After the bus transport closed (every request it took answered): stop sweeping, then let go of the database. */
  async onApplicationShutdown(): Promise<void> {
    await this.directory.stop();
    await this.store.close();
  }
}

@Module({
  controllers: [DirectoryController],
  providers: [
    {
      provide: DIRECTORY_STORE,
      useFactory: (settings: DirectoryConfig, log: Logger) => openDirectoryStore(settings, log),
      inject: [SETTINGS, LOGGER],
    },
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
    DirectoryLifecycle,
  ],
  exports: [DirectoryService],
})
export class DirectoryModule {}
