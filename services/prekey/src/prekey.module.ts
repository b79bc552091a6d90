/**
 * The prekey service as a Nest module: its repository (PostgreSQL with DATABASE_URL, else PGlite in
 * DATA_DIR/prekey), {@link PrekeyService}, the bus controller, its metrics and readiness, and its
 * lifecycle — migrations and the challenge secret at start, expiry hourly; at stop, after the bus
 * transport has answered every request it took, the database's connections.
 * @module
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { HealthRegistry, Logger, Metrics } from '@tacit/kit';
import { HEALTH, LOGGER, METRICS, SETTINGS } from '@tacit/platform';
import { prekeyLimits, type PrekeyConfig } from './config.js';
import { bindPrekeyMetrics } from './metrics.js';
import { PgPrekeyRepository } from './pg-repository.js';
import { PglitePrekeyRepository } from './pglite-repository.js';
import { PrekeyController } from './prekey.controller.js';
import { PrekeyService } from './prekey.service.js';
import type { PrekeyRepository } from './repository.js';

/** Token of the service's {@link PrekeyRepository}. */
export const PREKEY_STORE = Symbol('tacit.prekey.store');

/** Opens the store the settings name, migrated (every replica runs this; an advisory lock lets one apply each migration). */
export async function openPrekeyStore(settings: PrekeyConfig, log: Logger): Promise<PrekeyRepository> {
  if (settings.DATABASE_URL) {
    const pg = new PgPrekeyRepository({
      url: settings.DATABASE_URL,
      maxConnections: settings.PREKEY_DB_POOL_SIZE,
      onError: () => log.warn('postgres_connection_lost'),
    });
    try {
      log.info('migrations_applied', { service: 'prekey', versions: await pg.migrate() });
    } catch (err) {
      await pg.close().catch(() => undefined);
      throw err;
    }
    return pg;
  }
  const dir = path.resolve(settings.DATA_DIR);
  mkdirSync(dir, { recursive: true });
  return PglitePrekeyRepository.open(path.join(dir, 'prekey'));
}

/** Starts and stops the prekey service with the process; registers its readiness check and metrics. */
@Injectable()
export class PrekeyLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(PrekeyService) private readonly prekeys: PrekeyService,
    @Inject(PREKEY_STORE) private readonly store: PrekeyRepository,
    @Inject(HEALTH) private readonly health: HealthRegistry,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

  async onModuleInit(): Promise<void> {
    this.health.addReadiness('prekey_database', () => this.store.check());
    this.metrics.onCollect(bindPrekeyMetrics(this.metrics.forService('prekey'), this.prekeys));
    await this.prekeys.start();
  }

  /** After the bus transport closed (every request it took answered): stop expiry, then let go of the database. */
  async onApplicationShutdown(): Promise<void> {
    await this.prekeys.stop();
    await this.store.close();
  }
}

@Module({
  controllers: [PrekeyController],
  providers: [
    {
      provide: PREKEY_STORE,
      useFactory: (settings: PrekeyConfig, log: Logger) => openPrekeyStore(settings, log),
      inject: [SETTINGS, LOGGER],
    },
    {
      provide: PrekeyService,
      useFactory: (settings: PrekeyConfig, store: PrekeyRepository, log: Logger) =>
        new PrekeyService({
          repository: store,
          limits: prekeyLimits(settings),
          onExpireError: (err) => log.warn('prekey_expiry_failed', { error: err instanceof Error ? err.name : 'unknown' }),
        }),
      inject: [SETTINGS, PREKEY_STORE, LOGGER],
    },
    PrekeyLifecycle,
  ],
  exports: [PrekeyService],
})
export class PrekeyModule {}
