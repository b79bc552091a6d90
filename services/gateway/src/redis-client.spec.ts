import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ConfigError, loadConfig } from '@tacit/kit';
import { loadSettings } from '@tacit/platform';
import { startRedis, startRedisSentinel, waitFor, type RedisServer, type RedisSentinelSetup } from '@tacit/testing';
import { gatewayConfigSchema, gatewayServiceConfigSchema, gatewayServiceSettingsIssues, redisSettingsIssues } from './config.js';
import { WindowRateLimiter } from './rate-limit.js';
import { createGatewayRedis } from './redis-client.js';
import { RedisSafeSet } from './safe-set.js';

const PASSWORD = 'sentinel-spec-pw';
const key = (name: string): string => name.padEnd(32, '.');

/** The gateway's settings for `env`, as its process reads them (the service schema and its cross-checks). */
function settings(env: Record<string, string>) {
  return loadSettings(gatewayServiceConfigSchema, { NATS_URL: 'nats://127.0.0.1:4222', ...env }, ['GATEWAY_'], [gatewayServiceSettingsIssues]);
}

describe(`${createGatewayRedis.name} in sentinel mode (REDIS_SENTINELS)`, { timeout: 60_000 }, () => {
  let setup: RedisSentinelSetup;
  let replica: RedisServer | undefined;
  let direct: Redis;
  const clients: Redis[] = [];
  before(async () => {
    setup = await startRedisSentinel({ masterName: 'tacit-spec', password: PASSWORD });
    direct = new Redis(setup.master.url, { maxRetriesPerRequest: 1 });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    direct.disconnect();
    await replica?.stop();
    await setup.stop();
  });

  /** A gateway replica's client, built from settings as the REDIS provider builds it. */
  function gatewayClient(): Redis {
    const s = settings({ REDIS_SENTINELS: `127.0.0.1:1, ${setup.sentinels}`, REDIS_SENTINEL_MASTER: 'tacit-spec', REDIS_PASSWORD: PASSWORD });
    const redis = createGatewayRedis(s)!;
    redis.on('error', () => undefined);
    clients.push(redis);
    return redis;
  }

  it('finds the master through the Sentinel (skipping one that is down): two replicas hold one rate limit and share dedup', async () => {
    const [a, b] = [gatewayClient(), gatewayClient()];
    const now = () => 7_000_500;
    const replicas = [a, b].map((redis) => new WindowRateLimiter({ redis, now, flushMs: 60_000 }));
    let admitted = 0;
    for (let round = 0; round < 15; round++) {
      for (const r of replicas) for (let i = 0; i < 10; i++) if (r.allow('ip', 100)) admitted++;
      for (const r of replicas) await r.flush();
    }
    // Each alone would admit 100 (200 in all): the count is shared through the master.
    assert.ok(admitted >= 100 && admitted <= 120, `admitted ${admitted}`);
    assert.equal(Number(await direct.get('tacit:rl:7000:ip')), admitted, 'the master holds the shared count');
    for (const r of replicas) await r.close();

    const sa = new RedisSafeSet(a, 60_000, 'tacit:safe:sentinel');
    const sb = new RedisSafeSet(b, 60_000, 'tacit:safe:sentinel');
    assert.equal(await sb.has(key('p1')), false);
    sa.add(key('p1'));
    await sa.close();
    assert.equal(await sb.has(key('p1')), true, 'what one replica marked safe, the other sees');
  });

  it('follows a failover: after the Sentinel promotes the replica, writes land on the new master', async () => {
    replica = await startRedis({ password: PASSWORD, args: ['--replicaof', '127.0.0.1', String(setup.master.port), '--masterauth', PASSWORD] });
    const sentinel = new Redis({ host: '127.0.0.1', port: setup.sentinel.port, password: PASSWORD, maxRetriesPerRequest: 1 });
    clients.push(sentinel);
    const redis = gatewayClient();
    await redis.set('before-failover', '1');
    // The Sentinel learns of the replica from the master's INFO (every 10 s; at once on start).
    await waitFor(async () => ((await sentinel.call('SENTINEL', 'replicas', 'tacit-spec')) as unknown[]).length === 1, {
      timeoutMs: 20_000,
      intervalMs: 200,
      what: 'the Sentinel to know the replica',
    });
    const promoted = new Redis(replica.url, { maxRetriesPerRequest: 1 });
    clients.push(promoted);
    await waitFor(async () => /master_link_status:up/.test(await promoted.info('replication')), {
      timeoutMs: 10_000,
      intervalMs: 200,
      what: 'the replica in sync',
    });
    // The Sentinel judges a replica by its own INFO of it (refreshed every 10 s, slower under load): until
    // that says the link is up it answers NOGOODSLAVE, so the failover is asked for until it is taken.
    await waitFor(
      async () => {
        try {
          return (await sentinel.call('SENTINEL', 'failover', 'tacit-spec')) === 'OK';
        } catch (err) {
          if (/NOGOODSLAVE/.test(String(err))) return false;
          throw err;
        }
      },
      { timeoutMs: 40_000, intervalMs: 500, what: 'the Sentinel to accept the failover' },
    );
    await waitFor(async () => ((await sentinel.call('SENTINEL', 'get-master-addr-by-name', 'tacit-spec')) as string[])[1] === String(replica!.port), {
      timeoutMs: 20_000,
      intervalMs: 200,
      what: 'the replica promoted',
    });
    // Sentinel reconfigures the old master as a replica (killing its clients) just after the promotion;
    // a write before that lands on it and is lost in its resync: the window every Sentinel setup has.
    await waitFor(async () => /role:slave/.test((await direct.info('replication').catch(() => '')) as string), { timeoutMs: 20_000, intervalMs: 200, what: 'the old master demoted' });
    // Writes may fail while the client moves (maxRetriesPerRequest 1: fail fast, limits stay local).
    await waitFor(async () => (await redis.set('after-failover', '2').catch(() => null)) === 'OK', { timeoutMs: 20_000, intervalMs: 200, what: 'a write after the failover' });
    assert.deepEqual(await promoted.mget('before-failover', 'after-failover'), ['1', '2']);
    assert.match(await promoted.info('replication'), /role:master/);
  });
});

describe(redisSettingsIssues.name, () => {
  const issueKeys = (env: Record<string, string>, service = true): string[] => {
    try {
      if (service) settings(env);
      else loadSettings(gatewayConfigSchema, env, ['GATEWAY_'], [redisSettingsIssues]);
      return [];
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.issues.map((i) => `${i.key}: ${i.problem}`);
    }
  };

  it('takes REDIS_URL, or REDIS_SENTINELS with REDIS_SENTINEL_MASTER, REDIS_PASSWORD and REDIS_TLS', () => {
    assert.deepEqual(issueKeys({ REDIS_URL: 'redis://r:6379' }), []);
    const s = settings({ REDIS_SENTINELS: 's0:26379,s1:26379', REDIS_SENTINEL_MASTER: 'mymaster', REDIS_PASSWORD: 'pw', REDIS_TLS: 'true' });
    assert.deepEqual(s.REDIS_SENTINELS, [{ host: 's0', port: 26379 }, { host: 's1', port: 26379 }]);
    assert.equal(s.REDIS_TLS, true);
    assert.equal(s.REDIS_URL, undefined);
  });

  it('refuses REDIS_SENTINELS with REDIS_URL, without REDIS_SENTINEL_MASTER, and sentinel-only settings without it, naming the variables', () => {
    const both = issueKeys({ REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: 's0:26379', REDIS_SENTINEL_MASTER: 'm' });
    assert.deepEqual(both, ['REDIS_SENTINELS: set REDIS_URL or REDIS_SENTINELS, not both']);
    assert.match(issueKeys({ REDIS_SENTINELS: 's0:26379' }).join('\n'), /^REDIS_SENTINEL_MASTER: required with REDIS_SENTINELS/);
    assert.deepEqual(
      issueKeys({ REDIS_URL: 'redis://r:6379', REDIS_SENTINEL_MASTER: 'm', REDIS_PASSWORD: 'pw', REDIS_TLS: 'true' }).map((i) => i.split(':')[0]),
      ['REDIS_SENTINEL_MASTER', 'REDIS_PASSWORD', 'REDIS_TLS'],
    );
    assert.match(issueKeys({ REDIS_SENTINELS: 's0', REDIS_SENTINEL_MASTER: 'm' }).join('\n'), /^REDIS_SENTINELS: expected comma-separated host:port/);
  });

  it('requires Redis in the cluster gateway (REDIS_URL or REDIS_SENTINELS), not in the node', () => {
    assert.match(issueKeys({}).join('\n'), /^REDIS_URL: required but not set \(or set REDIS_SENTINELS and REDIS_SENTINEL_MASTER\)/);
    assert.deepEqual(issueKeys({}, false), []);
    assert.equal(createGatewayRedis(loadConfig(gatewayConfigSchema, {})), undefined);
  });

  it('never echoes REDIS_PASSWORD in an issue', () => {
    assert.doesNotMatch(issueKeys({ REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: 'hunter2-secret' }).join('\n'), /hunter2/);
  });
});
