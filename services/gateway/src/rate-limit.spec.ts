import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis } from '@tacit/testing';
import { TokenBucket, WindowRateLimiter } from './rate-limit.js';

describe(TokenBucket.name, () => {
  it('admits the burst, then the rate', () => {
    let now = 0;
    const sut = new TokenBucket(10, 5, () => now);
    assert.equal([...Array(8)].filter(() => sut.take()).length, 5);
    now += 500; // half a second refills 5
    assert.equal([...Array(8)].filter(() => sut.take()).length, 5);
  });
});

describe(`${WindowRateLimiter.name} (in memory)`, () => {
  it('admits up to the limit per one-second window, per key', () => {
    let now = 1_000_000;
    const sut = new WindowRateLimiter({ now: () => now });
    assert.equal([...Array(15)].filter(() => sut.allow('a', 10)).length, 10);
    assert.equal(sut.allow('b', 10), true);
    now += 1000;
    assert.equal(sut.allow('a', 10), true);
    void sut.close();
  });

  it('forgets the windows of past seconds, so addresses seen once do not pile up', async () => {
    let now = 1_000_000;
    const sut = new WindowRateLimiter({ now: () => now });
    for (let i = 0; i < 1000; i++) sut.allow(`addr${i}`, 10);
    assert.equal(sut.size, 1000);
    now += 1000;
    sut.allow('fresh', 10);
    await sut.flush();
    assert.equal(sut.size, 1, 'only the current second\'s');
    await sut.close();
  });
});

describe(`${WindowRateLimiter.name} (shared through Redis, as two gateway replicas)`, () => {
  let redisServer: Awaited<ReturnType<typeof startRedis>>;
  const clients: Redis[] = [];
  before(async () => {
    redisServer = await startRedis();
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await redisServer.stop();
  });

  it('holds one limit across replicas, within one flush interval of overshoot per replica', async () => {
    // A fixed clock in the middle of a second, so the test never straddles two windows.
    const now = () => 5_000_500;
    const replicas = [0, 1].map(() => {
      const redis = new Redis(redisServer.url);
      clients.push(redis);
      return new WindowRateLimiter({ redis, now, flushMs: 60_000 });
    });
    let admitted = 0;
    // 15 rounds: each replica sees 10 attempts, then both flush (as their 100 ms timers would).
    for (let round = 0; round < 15; round++) {
      for (const r of replicas) for (let i = 0; i < 10; i++) if (r.allow('ip', 100)) admitted++;
      for (const r of replicas) await r.flush();
    }
    // Alone, each replica would admit 100: 200 in all. Shared, the total stops at the limit plus at
    // most what each replica admits between two flushes (10 each).
    assert.ok(admitted >= 100 && admitted <= 120, `admitted ${admitted}`);
    for (const r of replicas) await r.close();
  });

  it('keeps answering from memory while Redis is down, and reports the failure', async () => {
    const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
    redis.on('error', () => undefined);
    clients.push(redis);
    let failures = 0;
    const sut = new WindowRateLimiter({ redis, flushMs: 60_000, onError: () => failures++ });
    await redisServer.kill();
    assert.equal(sut.allow('k', 5), true);
    await sut.flush();
    assert.ok(failures >= 1);
    await redisServer.start();
    await sut.close();
  });
});
