import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { HealthRegistry, Logger, Metrics } from '@tacit/kit';
import { HEALTH, LOGGER, METRICS, SETTINGS } from '@tacit/platform';
import { PrekeyClientModule } from '@tacit/prekey-client';
import { DirectoryClientModule } from '@tacit/directory-client';
import { PushClientModule } from '@tacit/push-client';
import { QueueClientModule } from '@tacit/queue-client';
import { AcceptTiming } from './accept-timing.js';
import { AckBatcher } from './ack-batcher.js';
import { AddressSalt } from './address-salt.js';
import { ClientAddresses } from './client-address.js';
import type { GatewayConfig } from './config.js';
import { Connections } from './connections.js';
import { FrameDispatcher } from './dispatcher.js';
import { Drainer } from './drainer.js';
import { GatewayEdge } from './edge.js';
import { IdleSweeper } from './idle-sweeper.js';
import { GatewayMeters } from './metrics.js';
import { EndpointLimiter, ENDPOINT_LIMIT_PREFIX } from './endpoint-limiter.js';
import { PrekeyEndpoint } from './prekeys.js';
import { DirectoryEndpoint } from './directory.js';
import { PushEndpoint } from './push.js';
import { Presence } from './presence.js';
import { loadRelayKey } from './relay-key.js';
import { WindowRateLimiter, type RateLimiter } from './rate-limit.js';
import { ReplicaLink } from './replica-link.js';
import { Replies } from './replies.js';
import { Router } from './router.js';
import { createGatewayRedis } from './redis-client.js';
import { MemorySafeSet, RedisSafeSet, type SafeSet } from './safe-set.js';
import { Session } from './session.js';
import { GatewayShutdown } from './shutdown.js';
import { DIRECTORY_LIMITER, GATEWAY_CLOCK, PREKEY_LIMITER, PUSH_LIMITER, QUEUE_QUOTA, RATE_LIMITER, REDIS, RelayKey, ReplicaIdentity, SAFE_SET, type Clock } from './tokens.js';

/** Closes what the gateway opened besides its listener: limiter timers, the address salt's refresh, the safe set, Redis. */
@Injectable()
export class GatewayResources implements OnApplicationShutdown {
  constructor(
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(QUEUE_QUOTA) private readonly quota: RateLimiter,
    @Inject(SAFE_SET) private readonly safe: SafeSet,
    @Inject(AddressSalt) private readonly salt: AddressSalt,
    @Inject(REDIS) private readonly redis: Redis | undefined,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.salt.close();
    await this.limiter.close();
    await this.quota.close();
    await this.safe.close();
    this.redis?.disconnect();
  }
}

/**
 * The gateway: the client edge (WebSocket sessions, claims, send/deliver/ack, limits; the prekey
 * endpoints, the directory's and the push registration's, passed to each service through its client
 * library; the queued events the push service wakes devices on). With
 * REDIS_URL (or REDIS_SENTINELS), limits and dedup are shared by all replicas through Redis; without it (the node), they
 * live in this process. Reaches the queue through its client library and other replicas on the bus.
 */
@Module({
  imports: [QueueClientModule.register(), PrekeyClientModule.register(), DirectoryClientModule.register(), PushClientModule.register()],
  providers: [
    { provide: GATEWAY_CLOCK, useValue: { now: Date.now } satisfies Clock },
    { provide: ReplicaIdentity, useFactory: () => new ReplicaIdentity() },
    {
      provide: RelayKey,
      useFactory: (config: GatewayConfig, log: Logger): RelayKey => {
        const key = loadRelayKey(config);
        // The public key is public (clients pin it): logged so an operator can put it in invites.
        log.info('relay_key', { source: key.source, public: Buffer.from(key.publicKey).toString('base64url') });
        if (key.source === 'ephemeral') log.warn('relay_key_ephemeral', { hint: 'set GATEWAY_RELAY_KEY (the same on every replica) so clients can pin this relay' });
        return key;
      },
      inject: [SETTINGS, LOGGER],
    },
    { provide: GatewayMeters, useFactory: (metrics: Metrics) => new GatewayMeters(metrics.forService('gateway')), inject: [METRICS] },
    {
      provide: REDIS,
      useFactory: (config: GatewayConfig, health: HealthRegistry): Redis | undefined => {
        const redis = createGatewayRedis(config);
        if (!redis) return undefined;
        redis.on('error', () => undefined);
        health.addReadiness('redis', () => redis.ping());
        return redis;
      },
      inject: [SETTINGS, HEALTH],
    },
    {
      provide: AddressSalt,
      useFactory: async (redis: Redis | undefined, log: Logger): Promise<AddressSalt> => {
        const salt = new AddressSalt({ redis, onError: () => log.warn('address_salt_sync_failed') });
        await salt.start();
        return salt;
      },
      inject: [REDIS, LOGGER],
    },
    {
      provide: RATE_LIMITER,
      useFactory: (redis: Redis | undefined, log: Logger) => new WindowRateLimiter({ redis, onError: () => log.warn('rate_limit_sync_failed') }),
      inject: [REDIS, LOGGER],
    },
    {
      provide: QUEUE_QUOTA,
      useFactory: (redis: Redis | undefined, log: Logger) =>
        new WindowRateLimiter({ redis, windowMs: 3_600_000, prefix: 'tacit:quota', onError: () => log.warn('rate_limit_sync_failed') }),
      inject: [REDIS, LOGGER],
    },
    { provide: SAFE_SET, useFactory: (redis: Redis | undefined) => (redis ? new RedisSafeSet(redis) : new MemorySafeSet()), inject: [REDIS] },
    {
      provide: PREKEY_LIMITER,
      useFactory: (redis: Redis | undefined, salt: AddressSalt, log: Logger) =>
        new EndpointLimiter({ redis, salt, prefix: ENDPOINT_LIMIT_PREFIX.prekey, onError: () => log.warn('prekey_limit_sync_failed') }),
      inject: [REDIS, AddressSalt, LOGGER],
    },
    PrekeyEndpoint,
    {
      provide: DIRECTORY_LIMITER,
      useFactory: (redis: Redis | undefined, salt: AddressSalt, log: Logger) =>
        new EndpointLimiter({ redis, salt, prefix: ENDPOINT_LIMIT_PREFIX.directory, onError: () => log.warn('directory_limit_sync_failed') }),
      inject: [REDIS, AddressSalt, LOGGER],
    },
    DirectoryEndpoint,
    {
      provide: PUSH_LIMITER,
      useFactory: (redis: Redis | undefined, salt: AddressSalt, log: Logger) =>
        new EndpointLimiter({ redis, salt, prefix: ENDPOINT_LIMIT_PREFIX.push, onError: () => log.warn('push_limit_sync_failed') }),
      inject: [REDIS, AddressSalt, LOGGER],
    },
    PushEndpoint,
    Replies,
    Drainer,
    Presence,
    ReplicaLink,
    AcceptTiming,
    Router,
    AckBatcher,
    Session,
    Connections,
    ClientAddresses,
    FrameDispatcher,
    IdleSweeper,
    GatewayShutdown,
    GatewayEdge,
    GatewayResources,
  ],
  exports: [GatewayEdge, Connections, ReplicaIdentity],
})
export class GatewayModule {}
