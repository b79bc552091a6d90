import { Redis } from 'ioredis';
import type { Bus, HealthRegistry, Logger, Metrics } from '@tacit/kit';
import type { GatewayConfig } from './config.js';
import type { GatewayDeps } from './gateway.js';
import { gatewayMetrics } from './metrics.js';
import { BusQueuePort } from './queue-port.js';
import { WindowRateLimiter } from './rate-limit.js';
import { MemorySafeSet, RedisSafeSet } from './safe-set.js';
import { startGatewayServer, type GatewayServer } from './server.js';

/** A started gateway plus what must be closed after it. */
export interface RunningGateway extends GatewayServer {
  /** Drains the gateway, then releases Redis and limiter timers (the bus belongs to the caller). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Wires and starts a gateway on `bus`: with REDIS_URL, limits and dedup are shared by all replicas
 * through Redis; without it (the single node), they live in this process.
 */
export async function runGateway(opts: {
  config: GatewayConfig;
  bus: Bus;
  log: Logger;
  metrics: Metrics;
  health: HealthRegistry;
}): Promise<RunningGateway> {
  const { config, bus, log, metrics, health } = opts;
  let redis: Redis | undefined;
  if (config.REDIS_URL) {
    redis = new Redis(config.REDIS_URL, {
      enableAutoPipelining: true,
      // Fail a command fast while Redis is down instead of queueing it: limits fall back to this
      // replica's counts and dedup to "deliver again", both safe.
      maxRetriesPerRequest: 1,
      lazyConnect: false,
    });
    redis.on('error', () => undefined);
    health.addReadiness('redis', () => redis!.ping());
  }
  const limiter = new WindowRateLimiter({
    redis,
    onError: () => log.warn('rate_limit_sync_failed'),
  });
  const deps: GatewayDeps = {
    config,
    bus,
    queue: new BusQueuePort(bus),
    limiter,
    safe: redis ? new RedisSafeSet(redis) : new MemorySafeSet(),
    log,
    metrics: gatewayMetrics(metrics),
  };
  const server = await startGatewayServer(deps, { host: config.HOST, port: config.PORT, metrics, health });
  return {
    ...server,
    async stop(graceMs?: number) {
      await server.close(graceMs);
      await limiter.close();
      await deps.safe.close();
      redis?.disconnect();
    },
  };
}
