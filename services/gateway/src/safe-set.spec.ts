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

  it('stays bounded in memory: 200 000 keys into a set of 4 000 hold at most 4 000 keys in 2 × 4 096 slots', () => {
    const sut = new MemorySafeSet(60_000, 4000, () => 0);
    for (let i = 0; i < 200_000; i++) sut.add(randomKey());
    const { keys, slots } = sut.footprint;
    assert.ok(keys <= 4000 && keys > 2000, `keys ${keys}`);
    // A generation holds at most maxEntries / 2 = 2 000 keys in a table at most half full: 4 096 slots.
    assert.ok(slots <= 2 * 4096, `slots ${slots}`);
  });

  it('keeps apart keys that differ in one byte, whatever the byte and wherever it is', () => {
    const sut = new MemorySafeSet(60_000, 1_000_000, () => 0);
    const base = randomKey();
    sut.add(base);
    const variants: string[] = [];
    for (let at = 0; at < 32; at++) {
      for (let v = 0; v < 256; v++) if (v !== base.charCodeAt(at)) variants.push(base.slice(0, at) + String.fromCharCode(v) + base.slice(at + 1));
    }
    assert.equal(variants.filter((k) => sut.has(k)).length, 0);
    for (const k of variants) sut.add(k);
    assert.equal(variants.filter((k) => sut.has(k)).length, variants.length);
    assert.equal(sut.footprint.keys, variants.length + 1);
  });

  it('remembers 100 000 random keys and sees none of 100 000 others; one added twice is held once', () => {
    const sut = new MemorySafeSet(60_000, 1_000_000, () => 0);
    const added = Array.from({ length: 100_000 }, randomKey);
    for (const k of added) sut.add(k);
    sut.add(added[0]!);
    assert.equal(sut.footprint.keys, 100_000);
    assert.equal(added.filter((k) => !sut.has(k)).length, 0);
    assert.equal(Array.from({ length: 100_000 }, randomKey).filter((k) => sut.has(k)).length, 0);
  });
});

/** 32 random bytes as a key of 32 one-byte chars (as the gateway's mailbox id + packet id). */
function randomKey(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('latin1');
}

/** A 32-char key (mailbox id + packet id, one char per byte) from a short name. */
const k = (name: string): string => name.padEnd(32, '.');

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

  it('is shared: what one replica marked safe, another sees once the add has gone out', async () => {
    const a = new RedisSafeSet(redis, 60_000, 'tacit:safe:shared', Date.now, 50);
    const other = new Redis(server.url);
    const b = new RedisSafeSet(other, 60_000, 'tacit:safe:shared');
    assert.equal(await b.has(k('p1')), false);
    a.add(k('p1'));
    // Adds wait for company (50 ms here): another replica does not see it yet, the adding one does.
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(await b.has(k('p1')), false);
    assert.equal(await a.has(k('p1')), true);
    a.add(k('p2'));
    await new Promise((r) => setTimeout(r, 80));
    await redis.ping();
    assert.deepEqual(await Promise.all([b.has(k('p1')), b.has(k('p2'))]), [true, true]);
    // close() sends what still waits.
    a.add(k('p3'));
    await a.close();
    await redis.ping();
    assert.equal(await b.has(k('p3')), true);
    other.disconnect();
  });

  it('sends waiting adds at once when a full batch waits', async () => {
    const a = new RedisSafeSet(redis, 60_000, 'tacit:safe:full', Date.now, 60_000);
    const b = new RedisSafeSet(redis, 60_000, 'tacit:safe:full');
    for (let i = 0; i < 4096; i++) a.add(k(`f${i}`));
    await new Promise((r) => setTimeout(r, 20));
    await redis.ping();
    assert.deepEqual(await Promise.all([b.has(k('f0')), b.has(k('f4095'))]), [true, true]);
    await a.close();
  });

  it('answers a burst of checks in one turn, each for its own key, and forgets a key after the TTL', async () => {
    let now = 1_000_000;
    const sut = new RedisSafeSet(redis, 1000, 'tacit:safe:burst', () => now);
    for (let i = 0; i < 100; i += 2) sut.add(k(`k${i}`));
    const seen = await Promise.all(Array.from({ length: 100 }, (_, i) => sut.has(k(`k${i}`))));
    assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i % 2 === 0));
    now += 700; // next generation: still remembered
    assert.equal(await sut.has(k('k0')), true);
    now += 700; // two generations on: forgotten
    assert.equal(await sut.has(k('k0')), false);
  });

  it('adds a turn of more keys than one HSET takes (the script adds in chunks)', async () => {
    const sut = new RedisSafeSet(redis, 60_000, 'tacit:safe:many');
    for (let i = 0; i < 1300; i++) sut.add(k(`m${i}`));
    const seen = await Promise.all([0, 499, 500, 501, 1299, 1300].map((i) => sut.has(k(`m${i}`))));
    assert.deepEqual(seen, [true, true, true, true, true, false]);
  });

  it('keeps keys with any byte apart (one char per byte), and refuses keys of another length', async () => {
    const sut = new RedisSafeSet(redis, 60_000, 'tacit:safe:bytes');
    const a = String.fromCharCode(...Array.from({ length: 32 }, (_, i) => 255 - i));
    const b = String.fromCharCode(...Array.from({ length: 32 }, (_, i) => (i === 31 ? 0 : 255 - i)));
    sut.add(a);
    assert.deepEqual(await Promise.all([sut.has(a), sut.has(b)]), [true, false]);
    assert.throws(() => sut.add('short'), RangeError);
  });

  it('answers "not seen" while Redis is down (deliver again; the SDK drops duplicates)', async () => {
    const down = new Redis(server.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    down.on('error', () => undefined);
    assert.equal(await new RedisSafeSet(down).has(k('anything')), false);
    down.disconnect();
  });
});
