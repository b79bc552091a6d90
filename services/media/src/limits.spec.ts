import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '@tacit/testing';
import { InFlight, MemoryWindowCounter, RedisWindowCounter } from './limits.js';

describe(MemoryWindowCounter.name, () => {
  it('counts per key and window, refuses past the limit, takes back a refund, starts again next window', async () => {
    let now = 1_000_000;
    const sut = new MemoryWindowCounter({ now: () => now });
    assert.equal((await sut.take('a', 60, 100, 1000)).ok, true);
    assert.equal((await sut.take('b', 100, 100, 1000)).ok, true);
    const over = await sut.take('a', 41, 100, 1000);
    assert.equal(over.ok, false);
    assert.equal(over.retryAfterMs, 1000);
    await sut.give('a', 60, 1000);
    assert.equal((await sut.take('a', 100, 100, 1000)).ok, true);
    now += 1000;
    assert.equal((await sut.take('a', 100, 100, 1000)).ok, true);
  });

  it('holds at most maxKeys keys, dropping the oldest', async () => {
    const sut = new MemoryWindowCounter({ maxKeys: 100 });
    for (let i = 0; i < 1000; i++) await sut.take(`k${i}`, 1, 10, 60_000);
    assert.equal(sut.size, 100);
  });
});

describe(RedisWindowCounter.name, () => {
  let redis: RedisServer;
  const clients: Redis[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await redis.stop();
  });

  it('shares one count between replicas, atomically: concurrent takes never pass the limit', async () => {
    const [a, b] = [new Redis(redis.url), new Redis(redis.url)];
    clients.push(a, b);
    const [ra, rb] = [new RedisWindowCounter(a), new RedisWindowCounter(b)];
    const takes = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? ra : rb).take('q:x', 7, 700, 86_400_000)));
    assert.equal(takes.filter((t) => t.ok).length, 100);
    await ra.give('q:x', 7, 86_400_000);
    assert.equal((await rb.take('q:x', 7, 700, 86_400_000)).ok, true);
    assert.equal((await rb.take('q:x', 7, 700, 86_400_000)).ok, false);
    // A refund for a window that is gone makes no key.
    await ra.give('q:never-taken', 7, 86_400_000);
    assert.equal(await a.keys('*never-taken*').then((k) => k.length), 0);
  });

  it('falls back to its own counts while Redis does not answer', async () => {
    const dead = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    clients.push(dead);
    let errors = 0;
    const sut = new RedisWindowCounter(dead, { onError: () => errors++ });
    assert.equal((await sut.take('r:x', 1, 2, 60_000)).ok, true);
    assert.equal((await sut.take('r:x', 1, 2, 60_000)).ok, true);
    assert.equal((await sut.take('r:x', 1, 2, 60_000)).ok, false);
    assert.ok(errors >= 3);
  });
});

describe(InFlight.name, () => {
  it('bounds each key and forgets keys at zero; a release counts once', () => {
    const sut = new InFlight();
    const r1 = sut.acquire('a', 2)!;
    const r2 = sut.acquire('a', 2)!;
    assert.equal(sut.acquire('a', 2), undefined);
    assert.ok(sut.acquire('b', 2));
    assert.equal(sut.total, 3);
    r1();
    r1();
    assert.equal(sut.total, 2);
    r2();
    assert.equal(sut.size, 1);
  });
});
