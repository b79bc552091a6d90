import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis } from '@tacit/testing';
import { MemorySafeSet, RedisSafeSet } from './safe-set.js';

describe(MemorySafeSet.name, () => {
  it('remembers a key for at least half its TTL and forgets it after the TTL', () => {
    let now = 0;
    const sut = new MemorySafeSet(1000, 1_000_000, () => now);
    sut.add('a');
    now = 499;
    sut.add('b');
    assert.equal(sut.has('a'), true);
    now = 600; // first turn: a and b move to the previous generation
    sut.add('c');
    assert.equal(sut.has('a'), true);
    now = 1200; // second turn: a and b are dropped
    sut.add('d');
    assert.equal(sut.has('a'), false);
    assert.equal(sut.has('c'), true);
  });

  it('stays bounded in entries', () => {
    const sut = new MemorySafeSet(60_000, 100, () => 0);
    for (let i = 0; i < 1000; i++) sut.add(`k${i}`);
    assert.equal(sut.has('k0'), false);
    assert.equal(sut.has('k999'), true);
  });
});

describe(RedisSafeSet.name, () => {
  let server: Awaited<ReturnType<typeof startRedis>>;
  let redis: Redis;
  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url, { enableAutoPipelining: true });
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('is shared: what one replica marked safe, another sees', async () => {
    const a = new RedisSafeSet(redis);
    const other = new Redis(server.url);
    const b = new RedisSafeSet(other);
    assert.equal(await b.has('p1'), false);
    a.add('p1');
    await redis.ping();
    assert.equal(await b.has('p1'), true);
    other.disconnect();
  });

  it('answers "not seen" while Redis is down (deliver again; the SDK drops duplicates)', async () => {
    const down = new Redis(server.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    down.on('error', () => undefined);
    assert.equal(await new RedisSafeSet(down).has('anything'), false);
    down.disconnect();
  });
});
