/**
 * The prekey service as a Nest module: its repository (PostgreSQL with DATABASE_URL, else PGlite in
 * DATA_DIR/pglite), {@link PrekeyService}, the bus controller, its metrics and readiness, and its
 * lifecycle — migrations and the challenge secret at start, expiry hourly; at stop, after the bus
 * transport has answered every request it took, the database's connections.
 * @module
 */
import { Module } from '@nestjs/common';
import type { Logger } from '@tacit/kit';
import { LOGGER, serviceLifecycleProvider, serviceStoreProvider, SETTINGS, type OpenStoreOptions } from '@tacit/platform';
import { prekeyLimits, type PrekeyConfig } from './config.js';
import { bindPrekeyMetrics } from './metrics.js';
import { PgPrekeyRepository } from './pg-repository.js';
import { PglitePrekeyRepository } from './pglite-repository.js';
import { PrekeyController } from './prekey.controller.js';
import { PrekeyService } from './prekey.service.js';
import type { PrekeyRepository } from './repository.js';

/** Token of the service's {@link PrekeyRepository}. */
export const PREKEY_STORE = Symbol('tacit.prekey.store');

/** How the prekey service opens its store (PostgreSQL with DATABASE_URL, else PGlite in DATA_DIR/pglite). */
export const PREKEY_STORE_OPTIONS: OpenStoreOptions<PrekeyRepository, PrekeyConfig> = {
  name: 'prekey',
  postgres: (url, onError, settings) => new PgPrekeyRepository({ url, maxConnections: settings.PREKEY_DB_POOL_SIZE, onError }),
  pglite: (folder) => PglitePrekeyRepository.open(folder),
};

@Module({
  controllers: [PrekeyController],
  providers: [
    serviceStoreProvider(PREKEY_STORE, PREKEY_STORE_OPTIONS),
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
    serviceLifecycleProvider({ name: 'prekey', readiness: 'prekey_database', service: PrekeyService, store: PREKEY_STORE, metrics: bindPrekeyMetrics }),
  ],
  exports: [PrekeyService],
})
export class PrekeyModule {}
