/**
 * The push service as a Nest module: its repository (PostgreSQL with DATABASE_URL, else PGlite in
 * DATA_DIR/pglite), the providers' senders, {@link PushService}, the bus controller, the intake of
 * queued events (JetStream on NATS, the Bus in process), its metrics and readiness, and its
 * lifecycle: at start migrations, the HMAC key, the dispatcher and the intake; at the drain the
 * intake stops taking events; at stop, after the bus transport answered every request it took, the
 * wakes in flight are aborted and recorded as retries, then the senders and the database close.
 * @module
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { NatsBus, type Bus, type HealthRegistry, type Logger, type Metrics } from '@tacit/kit';
import { BUS, embeddedDbFolder, HEALTH, LOGGER, METRICS, SETTINGS } from '@tacit/platform';
import type { WakeSender } from '@tacit/push-providers';
import { providerSettings, pushLimits, type PushConfig } from './config.js';
import { BusIntake, JetStreamIntake, type PushIntake, type QueuedPageHandler } from './intake.js';
import { bindPushMetrics } from './metrics.js';
import { PgPushRepository } from './pg-repository.js';
import { PglitePushRepository } from './pglite-repository.js';
import { PushController } from './push.controller.js';
import { PushService } from './push.service.js';
import type { PushRepository } from './repository.js';
import { providerSenders, type SenderFactory } from './senders.js';

/** Token of the service's {@link PushRepository}. */
export const PUSH_STORE = Symbol('tacit.push.store');
/** Token of the providers' senders. */
export const PUSH_SENDERS = Symbol('tacit.push.senders');
/** Token of the {@link SenderFactory} the senders come from. */
export const PUSH_SENDER_FACTORY = Symbol('tacit.push.sender-factory');

/** Opens the store the settings name, migrated (every replica runs this; an advisory lock lets one apply each migration). */
export async function openPushStore(settings: PushConfig, log: Logger): Promise<PushRepository> {
  if (settings.DATABASE_URL) {
    const pg = new PgPushRepository({
      url: settings.DATABASE_URL,
      maxConnections: settings.PUSH_DB_POOL_SIZE,
      onError: () => log.warn('postgres_connection_lost'),
    });
    try {
      log.info('migrations_applied', { service: 'push', versions: await pg.migrate() });
    } catch (err) {
      await pg.close().catch(() => undefined);
      throw err;
    }
    return pg;
  }
  const dir = path.resolve(settings.DATA_DIR);
  mkdirSync(dir, { recursive: true });
  return PglitePushRepository.open(embeddedDbFolder(dir, 'push'));
}

/** Starts and stops the push service with the process; registers its readiness check and metrics. */
@Injectable()
export class PushLifecycle implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  #intake: PushIntake | undefined;

  constructor(
    @Inject(PushService) private readonly push: PushService,
    @Inject(PUSH_STORE) private readonly store: PushRepository,
    @Inject(PUSH_SENDERS) private readonly senders: readonly WakeSender[],
    @Inject(BUS) private readonly bus: Bus,
    @Inject(HEALTH) private readonly health: HealthRegistry,
    @Inject(METRICS) private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(SETTINGS) private readonly settings: PushConfig,
  ) {}

  /** The intake taking queued events (after start). */
  get intake(): PushIntake | undefined {
    return this.#intake;
  }

  async onModuleInit(): Promise<void> {
    this.health.addReadiness('push_database', () => this.store.check());
    this.metrics.onCollect(bindPushMetrics(this.metrics.forService('push'), this.push, () => this.#intake));
    await this.push.start();
    // In process (the node) with no provider configured, no registration can be made (UNSUPPORTED)
    // or woken, so queued events are not taken: each would cost a database round trip on the event
    // loop that commits the packets (the bench's durable enqueue fell from ~20k to ~7.7k packets/s).
    // A push service of its own (the cluster) keeps its stream and intake whatever it is configured with.
    if (this.push.providers.length === 0 && !(this.bus instanceof NatsBus)) {
      this.log.info('push_started', { providers: [], intake: 'none' });
      return;
    }
    const handler = (ids: Uint8Array[]) => this.push.onQueuedMany(ids);
    const log = { warn: (e: string, f?: Record<string, unknown>) => this.log.warn(e, f) };
    this.#intake = await this.#openIntake(handler, log);
    this.log.info('push_started', { providers: this.push.providers, intake: this.#intake instanceof JetStreamIntake ? 'jetstream' : 'bus' });
  }

  async #openIntake(handler: QueuedPageHandler, log: { warn(e: string, f?: Record<string, unknown>): void }): Promise<PushIntake> {
    const mode = this.settings.PUSH_INTAKE;
    if (mode !== 'bus' && this.bus instanceof NatsBus) {
      try {
        const js = new JetStreamIntake(this.bus.jetstream(), await this.bus.jetstreamManager(), handler, { log, page: this.settings.PUSH_INTAKE_PAGE });
        await js.start();
        return js;
      } catch (err) {
        // A NATS server without JetStream (the node on a plain nats-server): 'auto' makes do with the
        // bus, whose events are lost while the service is down; 'jetstream' (the cluster) refuses to start.
        if (mode === 'jetstream') throw err;
        this.log.warn('push_jetstream_unavailable', { error: err instanceof Error ? err.name : 'unknown' });
      }
    } else if (mode === 'jetstream') {
      throw new Error('PUSH_INTAKE=jetstream needs NATS_URL');
    }
    const bus = new BusIntake(this.bus, handler, { log, page: this.settings.PUSH_INTAKE_PAGE });
    await bus.start();
    return bus;
  }

  /** The drain: no more events are taken (on JetStream, those not taken stay in the stream for the next replica). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.#intake?.stop();
  }

  /** After the bus transport closed: wakes in flight recorded, then senders and database let go. */
  async onApplicationShutdown(): Promise<void> {
    await this.#intake?.stop();
    await this.push.stop();
    await Promise.allSettled(this.senders.map((s) => s.close()));
    await this.store.close();
  }
}

function _providers(factory: SenderFactory): DynamicModule['providers'] {
  return [
    { provide: PUSH_SENDER_FACTORY, useValue: factory },
    {
      provide: PUSH_STORE,
      useFactory: (settings: PushConfig, log: Logger) => openPushStore(settings, log),
      inject: [SETTINGS, LOGGER],
    },
    {
      provide: PUSH_SENDERS,
      useFactory: async (settings: PushConfig, f: SenderFactory, log: Logger) => f(providerSettings(settings), log),
      inject: [SETTINGS, PUSH_SENDER_FACTORY, LOGGER],
    },
    {
      provide: PushService,
      useFactory: (settings: PushConfig, store: PushRepository, senders: readonly WakeSender[], log: Logger) =>
        new PushService({
          repository: store,
          senders,
          secret: settings.PUSH_SECRET ? new TextEncoder().encode(settings.PUSH_SECRET) : undefined,
          limits: pushLimits(settings),
          log: { warn: (e, f) => log.warn(e, f) },
        }),
      inject: [SETTINGS, PUSH_STORE, PUSH_SENDERS, LOGGER],
    },
    PushLifecycle,
  ];
}

@Module({
  controllers: [PushController],
  providers: _providers(providerSenders),
  exports: [PushService, PushLifecycle],
})
export class PushModule {
  /** The module with senders from `factory` instead of the providers' (specs, the bench). */
  static withSenders(factory: SenderFactory): DynamicModule {
    return { module: PushModule, controllers: [PushController], providers: _providers(factory), exports: [PushService, PushLifecycle] };
  }
}
