// Per-requester windows for the HTTP endpoint families: one limit across replicas in a real Redis,
// one key per IPv6 /64, each family under its own prefix (the prekey endpoints' unchanged), the count
// kept locally when Redis is gone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressSalt } from './address-salt.js';
import { EndpointLimiter, ENDPOINT_LIMIT_PREFIX } from './endpoint-limiter.js';
import { redisForSuite } from './redis-suite.js';
import { midMinute } from './spec-fixtures.js';

const oks = async (l: EndpointLimiter, kind: string, ip: string, limit: number, n: number): Promise<boolean[]> => {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) out.push((await l.take(kind, ip, limit)).ok);
  return out;
};

describe(EndpointLimiter.name, () => {
  it('allows `limit` requests per window per requester and kind, then says when to retry', async () => {
    let now = 120_000;
    const sut = new EndpointLimiter({ now: () => now });
    assert.deepEqual(await oks(sut, 'fetch', '198.51.100.1', 2, 3), [true, true, false]);
    assert.deepEqual(await oks(sut, 'upload', '198.51.100.1', 2, 1), [true], 'another kind, another count');
    assert.deepEqual(await oks(sut, 'fetch', '198.51.100.2', 2, 1), [true], 'another address, another count');
    assert.deepEqual(await oks(sut, 'fetch', '2001:db8:0:1::5', 1, 1), [true]);
    assert.deepEqual(await oks(sut, 'fetch', '2001:db8:0:1::6', 1, 1), [false], 'the same /64');
    now += 45_000;
    assert.equal((await sut.take('fetch', '198.51.100.1', 2)).retryAfterS, 15);
    now += 15_000;
    assert.deepEqual(await oks(sut, 'fetch', '198.51.100.1', 2, 1), [true], 'a new window');
  });

  describe('with Redis', () => {
    const redisSuite = redisForSuite();
    const { connect } = redisSuite;
    // A CI run once saw [true, true, true] for a limit of 2: the wall clock crossed a minute while
    // Redis was down (each request waits out a reconnect), so the local count began again.
    const now = midMinute;

    it('holds one limit across replicas: the count and the address salt are shared', async () => {
      const replica = async (): Promise<EndpointLimiter> => {
        const redis = connect();
        const salt = new AddressSalt({ redis });
        await salt.start();
        salt.close();
        return new EndpointLimiter({ redis, salt, now });
      };
      const [a, b] = [await replica(), await replica()];
      const ip = '192.0.2.44';
      const got = [...(await oks(a, 'fetch', ip, 5, 3)), ...(await oks(b, 'fetch', ip, 5, 3)), ...(await oks(a, 'fetch', ip, 5, 1))];
      assert.deepEqual(got, [true, true, true, true, true, false, false]);
      const keys = await connect().keys('tacit:*');
      assert.ok(keys.includes('tacit:addr:salt'));
      assert.ok(!keys.some((k) => k.includes(ip)), 'no address in Redis');
    });

    it('keeps each family apart under its own prefix, and the prekey windows where they were (tacit:pk)', async () => {
      const redis = connect();
      const salt = new AddressSalt({ redis });
      await salt.start();
      salt.close();
      const family = (prefix?: string) => new EndpointLimiter({ redis, salt, now, ...(prefix ? { prefix } : {}) });
      const [prekey, directory, push] = [family(ENDPOINT_LIMIT_PREFIX.prekey), family(ENDPOINT_LIMIT_PREFIX.directory), family(ENDPOINT_LIMIT_PREFIX.push)];
      const ip = '192.0.2.77';
      // One kind name in three families: three windows.
      assert.deepEqual([...(await oks(prekey, 'write', ip, 1, 2)), ...(await oks(directory, 'write', ip, 1, 2)), ...(await oks(push, 'write', ip, 1, 2))], [true, false, true, false, true, false]);
      const keys = (await connect().keys('tacit:*')).filter((k) => k.endsWith(`:write:${salt.key(ip)}`));
      assert.deepEqual(keys.map((k) => k.split(':').slice(0, 2).join(':')).sort(), ['tacit:dir', 'tacit:pk', 'tacit:push']);
      // What a replica of the last release counted (tacit:pk:<window>:<kind>:<key>) is the window a new one counts in.
      const window = Math.floor(now() / 60_000);
      await connect().set(`tacit:pk:${window}:fetch:${salt.key('192.0.2.78')}`, '5');
      assert.deepEqual(await oks(family(), 'fetch', '192.0.2.78', 6, 2), [true, false], 'the default prefix is the prekey one');
    });

    it('counts locally while Redis is down, and says so', async () => {
      let errors = 0;
      const sut = new EndpointLimiter({ redis: connect(), now, onError: () => void errors++ });
      assert.deepEqual(await oks(sut, 'fetch', '192.0.2.99', 2, 1), [true]);
      await redisSuite.server.kill();
      try {
        assert.deepEqual(await oks(sut, 'fetch', '192.0.2.99', 2, 3), [true, true, false]);
        assert.ok(errors >= 3);
      } finally {
        await redisSuite.server.start();
      }
    });
  });
});
