import { Redis, type RedisOptions } from 'ioredis';
import type { GatewayConfig } from './config.js';

type RedisSettings = Pick<GatewayConfig, 'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_MASTER' | 'REDIS_PASSWORD' | 'REDIS_TLS'>;

// Fail a command fast while Redis is down instead of queueing it: limits fall back to this
// replica's counts and dedup to "deliver again", both safe.
const _FAIL_FAST: RedisOptions = { enableAutoPipelining: true, maxRetriesPerRequest: 1, lazyConnect: false };

/**
 * The gateway's Redis client, or undefined when neither REDIS_URL nor REDIS_SENTINELS is set (the
 * node: limits in memory). In sentinel mode ioredis asks the Sentinels for the master and asks again
 * whenever the connection drops: a failover drops it (the Sentinel kills the clients of the demoted
 * master). Not ioredis's failoverDetector: its Sentinel connections have no error listener, so a
 * Sentinel that is down would print non-JSON lines to stderr on every retry. The settings'
 * cross-checks (redisSettingsIssues) have already refused a bad combination.
 */
export function createGatewayRedis(s: RedisSettings): Redis | undefined {
  if (s.REDIS_URL) return new Redis(s.REDIS_URL, _FAIL_FAST);
  if (!s.REDIS_SENTINELS || !s.REDIS_SENTINEL_MASTER) return undefined;
  return new Redis({
    ..._FAIL_FAST,
    sentinels: s.REDIS_SENTINELS.map(({ host, port }) => ({ host, port })),
    name: s.REDIS_SENTINEL_MASTER,
    role: 'master',
    // One password for the master and the Sentinels, as the chart renders it (Bitnami's chart
    // protects both with it by default); unset: neither is protected.
    ...(s.REDIS_PASSWORD ? { password: s.REDIS_PASSWORD, sentinelPassword: s.REDIS_PASSWORD } : {}),
    // ioredis takes TLS to the master from `tls` only with enableTLSForSentinelMode, to the Sentinels from sentinelTLS.
    ...(s.REDIS_TLS ? { tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
  });
}
