/**
 * The queue service as a Nest module: its repository (PostgreSQL with DATABASE_URL, else PGlite in
 * DATA_DIR), {@link QueueService}, the bus controller, its metrics and readiness, and its
 * lifecycle — migrations and expiry at start; at stop, after the bus transport has answered every
 * request it took, the last group commit and the database's connections.
 * @module
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { HealthRegistry, Logger, Metrics } from '@tacit/kit';
import { embeddedDbFolder, HEALTH, LOGGER, METRICS, SETTINGS } from '@tacit/platform';
import { queueServiceOptions, type QueueConfig } from './config.js';
import { bindQueueMetrics } from './metrics.js';
import { PgQueueRepository } from './pg-repository.js';
import { PgliteQueueRepository } from './pglite-repository.js';
import { QueueController } from './queue.controller.js';
import { QueueService } from './queue.service.js';
import type { QueueRepository } from './repository.js';

/** The queue's store: a {@link QueueRepository} that can be checked and closed. */
export type QueueStore = QueueRepository & { check(): Promise<void>; close(): Promise<void> };

/** Token of the {@link QueueStore}. */
export const QUEUE_STORE = Symbol('tacit.queue.store');

/** Opens the store the settings name, migrated: every replica runs this; an advisory lock lets one apply each migration. */
export async function openQueueStore(settings: QueueConfig, log: Logger): Promise<QueueStore> {
  if (settings.DATABASE_URL) {
    const pg = new PgQueueRepository({
      url: settings.DATABASE_URL,
      maxConnections: settings.QUEUE_DB_POOL_SIZE,
      onError: () => log.warn('postgres_connection_lost'),
    });
    try {
      log.info('migrations_applied', { versions: await pg.migrate() });
    } catch (err) {
      await pg.close().catch(() => undefined);
      throw err;
    }
    return pg;
  }
  const dir = path.resolve(settings.DATA_DIR);
  mkdirSync(dir, { recursive: true });
  return PgliteQueueRepository.open(embeddedDbFolder(dir, 'queue'));
}

/** Starts and stops the queue with the process; registers its readiness check and metrics. */
@Injectable()
export class QueueLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(QueueService) private readonly queue: QueueService,
    @Inject(QUEUE_STORE) private readonly store: QueueStore,
    @Inject(HEALTH) private readonly health: HealthRegistry,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

  async onModuleInit(): Promise<void> {
    this.health.addReadiness('database', () => this.store.check());
    // Past the storage watermark the queue refuses new packets: not ready, so operators see it.
    this.health.addReadiness('storage', () => !this.queue.storageFull);
    this.metrics.onCollect(bindQueueMetrics(this.metrics.forService('queue'), this.queue));
    await this.queue.start();
  }

  /** After the bus transport closed (every request it took answered): commit what is pending, then let go of the database. */
  async onApplicationShutdown(): Promise<void> {
    await this.queue.stop();
    await this.store.close();
  }
}

@Module({
  controllers: [QueueController],
  providers: [
    {
      provide: QUEUE_STORE,
      useFactory: (settings: QueueConfig, log: Logger) => openQueueStore(settings, log),
      inject: [SETTINGS, LOGGER],
    },
    {
      provide: QueueService,
      useFactory: (settings: QueueConfig, store: QueueStore, log: Logger) =>
        new QueueService({
          repository: store,
          ...queueServiceOptions(settings),
          onExpireError: (err) => log.warn('expiry_failed', { error: err instanceof Error ? err.name : 'unknown' }),
        }),
      inject: [SETTINGS, QUEUE_STORE, LOGGER],
    },
    QueueLifecycle,
  ],
  exports: [QueueService],
})
export class QueueModule {}
