import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { MissingServerError } from './errors.js';
import { _descendants, _isAlive, killAll } from './server.js';
import { startPostgres } from './postgres.js';

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe(startPostgres.name, () => {
  after(() => killAll({ signal: 'SIGKILL' }));

  it('answers select 1 on its url', async () => {
    const sut = await startPostgres();
    try {
      assert.match(sut.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      const rows = await query<{ one: number }>(sut.url, 'select 1 as one');
      assert.deepEqual(rows, [{ one: 1 }]);
      const [setting] = await query<{ max_connections: string }>(sut.url, 'show max_connections');
      assert.equal(setting?.max_connections, '100');
    } finally {
      await sut.stop();
    }
  });

  it('keeps committed rows across a graceful restart and a SIGKILL restart', async () => {
    const sut = await startPostgres();
    try {
      await query(sut.url, 'create table kept (v text)');
      await query(sut.url, "insert into kept values ('before graceful')");
      await sut.restart();
      await query(sut.url, "insert into kept values ('before kill')");

      // A client left connected: SIGKILL must take the backends down too, or postgres won't restart.
      const idle = new pg.Client({ connectionString: sut.url });
      idle.on('error', () => {});
      await idle.connect();
      const port = sut.port;
      await sut.restart({ signal: 'SIGKILL' });
      assert.equal(sut.port, port);

      const rows = await query<{ v: string }>(sut.url, 'select v from kept order by v');
      assert.deepEqual(rows.map((r) => r.v), ['before graceful', 'before kill']);
      await idle.end().catch(() => {});
    } finally {
      await sut.stop();
    }
  });

  it('stop() ends the server and its backends and removes its folder', async () => {
    const sut = await startPostgres();
    const { pid, dir } = sut;
    const children = _descendants(pid);
    assert.ok(children.length > 0);
    await sut.stop();
    assert.equal(_isAlive(pid), false);
    assert.deepEqual(children.filter(_isAlive), []);
    assert.equal(existsSync(dir), false);
  });

  it('throws MissingServerError naming postgres when no server is found', async () => {
    const bogus = join(tmpdir(), 'tacit-no-such-bin-dir');
    await assert.rejects(startPostgres({ binDirs: [bogus] }), (err: unknown) => {
      assert.ok(err instanceof MissingServerError);
      assert.equal(err.binary, 'postgres');
      assert.match(err.message, /bash scripts\/setup\.sh/);
      return true;
    });
  });
});
