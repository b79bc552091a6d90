/**
 * The Nest wiring every service with a SQL store repeats: open the store the settings name (PostgreSQL
 * with DATABASE_URL, migrated under the advisory lock; else the process's shared PGlite in DATA_DIR/pglite), then a
 * lifecycle that registers the store's readiness check and the service's metrics, starts the
 * service, and at stop — after the bus transport answered every request it took — stops the service
 * and closes the store. Written once here: the prekey, directory and push services had copies.
 * @module
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FactoryProvider, InjectionToken } from '@nestjs/common';
import type { HealthRegistry, Logger, Metrics } from '@tacit/kit';
import { embeddedDbFolder } from './pglite-shared.js';
import { HEALTH, LOGGER, METRICS, SETTINGS } from './tokens.js';

/** The settings a store-backed service reads for its store. */
export interface StoreSettings {
  DATABASE_URL?: string | undefined;
  DATA_DIR: string;
}

/** A store a service checks and closes. */
export interface ServiceStore {
  /** Resolves when the store answers (readiness). */
  check(): Promise<unknown> | unknown;
  close(): Promise<void>;
}

/** How one service opens its store. */
export interface OpenStoreOptions<S extends ServiceStore, C extends StoreSettings = StoreSettings> {
  /** The service's name: its log field, and its own PGlite folder under DATA_DIR where an earlier release made one. */
  name: string;
  /** A PostgreSQL repository on `url` (its pool reports a lost connection through `onError`). */
  postgres: (url: string, onError: () => void, settings: C) => S & { migrate(): Promise<number[]> };
  /** A PGlite repository in `folder`, shared with the process's other services (it migrates itself when it opens). */
  pglite: (folder: string) => Promise<S>;
}

/** Opens the store the settings name, migrated (every replica runs this; the advisory lock lets one apply each migration). */
export async function openServiceStore<S extends ServiceStore, C extends StoreSettings>(settings: C, log: Logger, o: OpenStoreOptions<S, C>): Promise<S> {
  if (settings.DATABASE_URL) {
    const pg = o.postgres(settings.DATABASE_URL, () => log.warn('postgres_connection_lost'), settings);
    try {
      log.info('migrations_applied', { service: o.name, versions: await pg.migrate() });
    } catch (err) {
      await pg.close().catch(() => undefined);
      throw err;
    }
    return pg;
  }
  const dir = path.resolve(settings.DATA_DIR);
  mkdirSync(dir, { recursive: true });
  return o.pglite(embeddedDbFolder(dir, o.name));
}

/** The provider of a service's store, opened by {@link openServiceStore} from SETTINGS. */
export function serviceStoreProvider<S extends ServiceStore, C extends StoreSettings>(token: InjectionToken, o: OpenStoreOptions<S, C>): FactoryProvider<Promise<S>> {
  return {
    provide: token,
    useFactory: (settings: C, log: Logger) => openServiceStore(settings, log, o),
    inject: [SETTINGS, LOGGER],
  };
}

/** A service with work of its own (sweeps, expiry, consumers) started after the store and stopped before it closes. */
export interface StartStop {
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

/** What {@link serviceLifecycleProvider} wires. */
export interface ServiceLifecycleOptions<T extends StartStop> {
  /** The service's name, for its metrics (`tacit_<name>_…`). */
  name: string;
  /** The readiness check's name (e.g. `directory_database`). */
  readiness: string;
  /** Tokens of the service and of its store. */
  service: InjectionToken<T>;
  store: InjectionToken;
  /** Binds the service's gauges: returns what the registry calls on every scrape. */
  metrics?: (metrics: Metrics, service: T) => () => void;
}

/**
 * The lifecycle of a store-backed service as a provider: Nest calls the hooks of the object a
 * factory returns as of a class instance's. `onModuleInit` registers readiness and metrics and
 * starts the service; `onApplicationShutdown` (after the bus transport answered what it took) stops
 * it, then closes the store.
 */
export function serviceLifecycleProvider<T extends StartStop>(o: ServiceLifecycleOptions<T>): FactoryProvider {
  return {
    provide: Symbol(`tacit.${o.name}.lifecycle`),
    useFactory: (service: T, store: ServiceStore, health: HealthRegistry, metrics: Metrics) => ({
      async onModuleInit(): Promise<void> {
        health.addReadiness(o.readiness, () => store.check());
        if (o.metrics) metrics.onCollect(o.metrics(metrics.forService(o.name), service));
        await service.start();
      },
      async onApplicationShutdown(): Promise<void> {
        await service.stop();
        await store.close();
      },
    }),
    inject: [o.service, o.store, HEALTH, METRICS],
  };
}
