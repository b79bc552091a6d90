import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { MissingServerError } from './errors.js';
import { _isAlive, killAll } from './server.js';
import { startRedis } from './redis.js';

function client(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
}

describe(startRedis.name, () => {
  after(() => killAll({ signal: 'SIGKILL' }));

  it('answers PING, SET and GET on its url', async () => {
    const sut = await startRedis();
    const redis = client(sut.url);
    try {
      assert.match(sut.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
      await redis.connect();
      assert.equal(await redis.ping(), 'PONG');
      assert.equal(await redis.set('k', 'v'), 'OK');
      assert.equal(await redis.get('k'), 'v');
      assert.deepEqual(await redis.config('GET', 'appendonly'), ['appendonly', 'yes']);
    } finally {
      redis.disconnect();
      await sut.stop();
    }
  });

  it('keeps keys from the append-only file across a graceful restart and a SIGKILL restart', async () => {
    const sut = await startRedis();
    try {
      let redis = client(sut.url);
      await redis.connect();
      await redis.set('graceful', '1');
      redis.disconnect();
      await sut.restart();

      redis = client(sut.url);
      await redis.connect();
      assert.equal(await redis.get('graceful'), '1');
      await redis.set('killed', '2');
      redis.disconnect();
      const port = sut.port;
      // The AOF is written on every command (fsynced each second): a process kill loses nothing.
      await sut.restart({ signal: 'SIGKILL' });
      assert.equal(sut.port, port);

      redis = client(sut.url);
      await redis.connect();
      assert.deepEqual(await redis.mget('graceful', 'killed'), ['1', '2']);
      redis.disconnect();
    } finally {
      await sut.stop();
    }
  });

  it('stop() ends the process and removes its folder', async () => {
    const sut = await startRedis();
    const { pid, dir } = sut;
    assert.ok(_isAlive(pid));
    await sut.stop();
    assert.equal(_isAlive(pid), false);
    assert.equal(existsSync(dir), false);
  });

  it('throws MissingServerError naming redis-server when the binary is not found', async () => {
    const bogus = join(tmpdir(), 'tacit-no-such-bin-dir');
    await assert.rejects(startRedis({ binDirs: [bogus] }), (err: unknown) => {
      assert.ok(err instanceof MissingServerError);
      assert.equal(err.binary, 'redis-server');
      return true;
    });
  });
});
