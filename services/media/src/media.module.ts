/**
 * The media service as a Nest module: its blob store (S3, or a folder in DATA_DIR/media), its
 * counters (Redis with REDIS_URL, else memory), {@link MediaService}, its metrics and readiness, and
 * its lifecycle — the store opened at module start, the listener opened last (`onServiceStart`), the
 * sweeper running between; at stop the listener closes first, then the sweeper, the store and Redis.
 * @module
 */
import path from 'node:path';
import { Inject, Injectable, Module, type BeforeApplicationShutdown, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { HealthRegistry, Logger, Metrics } from '@tacit/kit';
import { AddressSalt, ClientAddressResolver, HEALTH, LOGGER, METRICS, SETTINGS, type OnServiceStart } from '@tacit/platform';
import { mediaLimits, type MediaConfig } from './config.js';
import { MediaEdge } from './edge.js';
import { MemoryWindowCounter, RedisWindowCounter, type WindowCounter } from './limits.js';
import { MediaService } from './media.service.js';
import { bindMediaMetrics } from './metrics.js';
import { FsBlobStore, S3BlobStore, type BlobStore } from './store.js';

/** Token of the service's {@link BlobStore}. */
export const MEDIA_STORE = Symbol('tacit.media.store');
/** Token of the service's Redis client (undefined without REDIS_URL). */
export const MEDIA_REDIS = Symbol('tacit.media.redis');

/** The store the settings name (not yet opened). */
export function mediaStore(s: MediaConfig): BlobStore {
  if (s.MEDIA_STORE === 'fs') return new FsBlobStore(path.resolve(s.DATA_DIR, 'media'), { uploadExpiryMs: s.MEDIA_UPLOAD_EXPIRY });
  return new S3BlobStore(
    {
      endpoint: s.S3_ENDPOINT,
      region: s.S3_REGION,
      bucket: s.S3_BUCKET,
      forcePathStyle: s.S3_FORCE_PATH_STYLE,
      publicEndpoint: s.S3_PUBLIC_ENDPOINT,
      credentials: s.AWS_ACCESS_KEY_ID && s.AWS_SECRET_ACCESS_KEY ? { accessKeyId: s.AWS_ACCESS_KEY_ID, secretAccessKey: s.AWS_SECRET_ACCESS_KEY } : undefined,
    },
    { partSize: s.MEDIA_PART_SIZE, uploadExpiryMs: s.MEDIA_UPLOAD_EXPIRY, maxStreamedPatches: s.MEDIA_MAX_STREAMED_PATCHES },
  );
}

/** Opens, serves and stops the media service with the process. */
@Injectable()
export class MediaLifecycle implements OnModuleInit, OnServiceStart, BeforeApplicationShutdown, OnApplicationShutdown {
  readonly edge: MediaEdge;
  readonly #salt: AddressSalt;

  constructor(
    @Inject(SETTINGS) private readonly settings: MediaConfig,
    @Inject(MediaService) private readonly media: MediaService,
    @Inject(MEDIA_STORE) private readonly store: BlobStore,
    @Inject(MEDIA_REDIS) private readonly redis: Redis | undefined,
    @Inject(HEALTH) private readonly health: HealthRegistry,
    @Inject(METRICS) private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.#salt = new AddressSalt({ redis, onError: () => log.warn('media_redis_unreachable', { what: 'address_salt' }) });
    this.edge = new MediaEdge({
      service: media,
      store,
      addresses: new ClientAddressResolver({ from: settings.MEDIA_CLIENT_ADDRESS_FROM, trustedProxies: settings.MEDIA_TRUSTED_PROXIES, setting: 'MEDIA_TRUSTED_PROXIES' }),
      salt: this.#salt,
      log,
      host: settings.MEDIA_HOST,
      port: settings.MEDIA_PORT,
      publicBasePath: settings.MEDIA_PUBLIC_BASE_PATH,
      ...(settings.MEDIA_DOWNLOADS === 'redirect' ? { redirectTtlMs: settings.MEDIA_REDIRECT_TTL } : {}),
    });
  }

  async onModuleInit(): Promise<void> {
    await this.store.open();
    await this.#salt.start();
    this.health.addReadiness('media_store', () => this.store.check());
    this.health.addReadiness('media_accepting', () => {
      if (!this.edge.accepting) throw new Error('draining');
    });
    this.metrics.onCollect(bindMediaMetrics(this.metrics.forService('media'), this.media, this.store));
    this.media.start();
  }

  /** The listener opens last, when every other part can answer. */
  async onServiceStart(): Promise<void> {
    await this.edge.listen();
    this.log.info('media_listening', { url: this.edge.url, store: this.store.kind });
  }

  /** Stop taking requests; those under way finish or go idle. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.edge.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.media.stop();
    this.#salt.close();
    this.store.close();
    this.redis?.disconnect();
  }
}

@Module({
  providers: [
    { provide: MEDIA_STORE, useFactory: (s: MediaConfig) => mediaStore(s), inject: [SETTINGS] },
    {
      provide: MEDIA_REDIS,
      // Fail a command fast while Redis is down: the counters fall back to this replica's own.
      useFactory: (s: MediaConfig) => (s.REDIS_URL ? new Redis(s.REDIS_URL, { maxRetriesPerRequest: 1, enableAutoPipelining: true }) : undefined),
      inject: [SETTINGS],
    },
    {
      provide: MediaService,
      useFactory: (s: MediaConfig, store: BlobStore, redis: Redis | undefined, log: Logger) => {
        const counter: WindowCounter = redis
          ? new RedisWindowCounter(redis, { onError: () => log.warn('media_redis_unreachable', { what: 'limits' }) })
          : new MemoryWindowCounter();
        return new MediaService({
          store,
          counter,
          limits: mediaLimits(s),
          onSweepError: (err) => log.warn('media_sweep_failed', { error: err instanceof Error ? err.name : 'unknown' }),
        });
      },
      inject: [SETTINGS, MEDIA_STORE, MEDIA_REDIS, LOGGER],
    },
    MediaLifecycle,
  ],
  exports: [MediaService, MediaLifecycle],
})
export class MediaModule {}
