import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { _isAlive, killAll } from './server.js';
import { startRedisSentinel } from './redis-sentinel.js';
import { _redisPing } from './redis.js';

describe(startRedisSentinel.name, () => {
  after(() => killAll({ signal: 'SIGKILL' }));

  it('runs a Sentinel that names the master it started, and a client finds the master through it', async () => {
    const sut = await startRedisSentinel({ masterName: 'm1', password: 's3cret' });
    const sentinel = new Redis({ host: '127.0.0.1', port: sut.sentinel.port, password: 's3cret', lazyConnect: true, maxRetriesPerRequest: 1 });
    const client = new Redis({
      sentinels: [{ host: '127.0.0.1', port: sut.sentinel.port }],
      name: 'm1',
      password: 's3cret',
      sentinelPassword: 's3cret',
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });
    try {
      assert.equal(sut.sentinels, `127.0.0.1:${sut.sentinel.port}`);
      assert.notEqual(sut.sentinel.port, sut.master.port);
      await sentinel.connect();
      assert.deepEqual(await sentinel.call('SENTINEL', 'get-master-addr-by-name', 'm1'), ['127.0.0.1', String(sut.master.port)]);
      await client.connect();
      await client.set('through-sentinel', 'yes');
      // Read back on a direct connection to the master: the key went there, not elsewhere.
      const direct = new Redis(sut.master.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await direct.connect();
      assert.equal(await direct.get('through-sentinel'), 'yes');
      direct.disconnect();
    } finally {
      sentinel.disconnect();
      client.disconnect();
      await sut.stop();
    }
  });

  it('refuses a client without the password, and stop() ends both processes and removes their folders', async () => {
    const sut = await startRedisSentinel({ password: 'pw' });
    // PING over a bare connection: -NOAUTH without the password, +PONG after AUTH.
    assert.equal(await _redisPing(sut.sentinel.port), false);
    assert.equal(await _redisPing(sut.sentinel.port, 2_000, 'pw'), true);
    assert.equal(await _redisPing(sut.master.port), false);
    const pids = [sut.sentinel.pid, sut.master.pid];
    const dirs = [sut.sentinel.dir, sut.master.dir];
    assert.ok(pids.every(_isAlive));
    await sut.stop();
    assert.deepEqual(pids.map(_isAlive), [false, false]);
    assert.deepEqual(dirs.map(existsSync), [false, false]);
  });
});
