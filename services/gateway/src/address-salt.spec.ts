// The keys client addresses are counted under: one per IPv4 address or IPv6 /64, the same on every
// replica sharing a Redis (so a limit "across replicas" is one limit), never the address itself.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AddressSalt, requesterOf } from './address-salt.js';
import { redisForSuite } from './redis-suite.js';

describe(AddressSalt.name, () => {
  it('counts an IPv6 /64 as one requester, and an IPv4 address (mapped or not) as itself', () => {
    assert.equal(requesterOf('203.0.113.9'), '203.0.113.9');
    assert.equal(requesterOf('::ffff:203.0.113.9'), '203.0.113.9');
    assert.equal(requesterOf('2001:db8:0:1:aaaa::1'), '2001:db8:0:1::/64');
    assert.equal(requesterOf('2001:0db8:0000:0001:ffff:ffff:ffff:ffff'), '2001:db8:0:1::/64');
    assert.equal(requesterOf('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(requesterOf('::1'), '0:0:0:0::/64');
    const sut = new AddressSalt();
    assert.equal(sut.key('2001:db8:0:1::5'), sut.key('2001:db8:0:1::6'), 'one key for one /64');
    assert.notEqual(sut.key('2001:db8:0:1::5'), sut.key('2001:db8:0:2::5'));
    assert.equal(sut.key('::ffff:203.0.113.9'), sut.key('203.0.113.9'));
  });

  it('without Redis, salts per process: two gateways key one address differently, and no key shows the address', () => {
    const [a, b] = [new AddressSalt(), new AddressSalt()];
    assert.notEqual(a.key('192.0.2.1'), b.key('192.0.2.1'));
    assert.match(a.key('192.0.2.1'), /^[A-Za-z0-9_-]{16}$/);
  });

  describe('with Redis', () => {
    const redisSuite = redisForSuite();
    const { connect } = redisSuite;

    it('gives every replica one key per address (the salt the first replica set), and keeps no address in Redis', async () => {
      const replicas = [new AddressSalt({ redis: connect() }), new AddressSalt({ redis: connect() }), new AddressSalt({ redis: connect() })];
      await Promise.all(replicas.map((r) => r.start()));
      for (const r of replicas) r.close();
      const keys = replicas.map((r) => r.key('198.51.100.7'));
      assert.deepEqual(new Set(keys).size, 1);
      assert.notEqual(replicas[0]!.key('198.51.100.7'), replicas[0]!.key('198.51.100.8'));
      const stored = await connect().keys('*');
      assert.deepEqual(stored, ['tacit:addr:salt']);
      assert.ok(!(await connect().get('tacit:addr:salt'))!.includes('198.51.100.7'));
    });

    it('starts on a salt of its own while Redis is down (and says so), then joins the shared one when Redis is back', async () => {
      const other = new AddressSalt({ redis: connect() });
      await other.start();
      other.close();
      await redisSuite.server.kill();
      let errors = 0;
      const sut = new AddressSalt({ redis: connect(), onError: () => void errors++, retryMs: 200 });
      try {
        const started = Date.now();
        await sut.start();
        assert.ok(Date.now() - started < 5_000, 'start-up does not hang on a Redis that is down');
        assert.ok(errors >= 1);
        assert.notEqual(sut.key('198.51.100.9'), other.key('198.51.100.9'), 'its own salt meanwhile');
        assert.equal(sut.generation, 0);
      } finally {
        await redisSuite.server.start();
      }
      // Redis is back (with the old salt or none): within a few retries this replica and one started
      // now hash an address alike.
      const deadline = Date.now() + 10_000;
      let late: AddressSalt;
      for (;;) {
        late = new AddressSalt({ redis: connect() });
        await late.start();
        late.close();
        if (late.key('198.51.100.9') === sut.key('198.51.100.9') || Date.now() > deadline) break;
        await sleep(100);
      }
      sut.close();
      assert.equal(late.key('198.51.100.9'), sut.key('198.51.100.9'), 'a replica started later learns the same salt');
    });
  });
});
