import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UnavailableError } from '@tacit/kit';
import { freePort } from '@tacit/testing';
import { isPgUnavailable, PgliteStore, PgStore, pgMigrationTarget, type StoreMigrations } from './pg-store.js';

describe(PgliteStore.name, { timeout: 60_000 }, () => {
  let dir: string;
  let migrations: StoreMigrations;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tacit-pg-store-'));
    await writeFile(join(dir, '0001_init.sql'), 'CREATE TABLE demo (id int4 PRIMARY KEY, b bytea NOT NULL);');
    migrations = { dir, table: 'demo_schema_migrations', lockKey: 99 };
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('opens in memory with the migrations applied, and runs statements', async () => {
    const sut = await PgliteStore.open(undefined, migrations);
    try {
      await sut.query('INSERT INTO demo (id, b) VALUES ($1, $2)', [1, new Uint8Array([7, 8])]);
      const rows = await sut.query<{ id: number; b: Uint8Array }>('SELECT id, b FROM demo');
      assert.deepEqual(rows.map((r) => [r.id, [...r.b]]), [[1, [7, 8]]]);
      const applied = await sut.query<{ version: number }>('SELECT version FROM demo_schema_migrations');
      assert.deepEqual(applied.map((r) => r.version), [1]);
    } finally {
      await sut.close();
    }
  });

  it('keeps its data in a folder across reopening, and applies each migration once', async () => {
    const data = join(dir, 'data');
    const first = await PgliteStore.open(data, migrations);
    await first.query('INSERT INTO demo (id, b) VALUES (2, $1)', [new Uint8Array([1])]);
    await first.close();
    await first.close(); // again: a no-op
    const sut = await PgliteStore.open(data, migrations);
    try {
      assert.deepEqual(await sut.query('SELECT id FROM demo'), [{ id: 2 }]);
      assert.equal((await sut.query('SELECT version FROM demo_schema_migrations')).length, 1);
    } finally {
      await sut.close();
    }
  });

  it('a failing migration rejects the open', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'tacit-pg-store-bad-'));
    try {
      await writeFile(join(bad, '0001_bad.sql'), 'CREATE TABLE;');
      await assert.rejects(PgliteStore.open(undefined, { ...migrations, dir: bad }), /syntax error/);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});

describe(PgStore.name, { timeout: 30_000 }, () => {
  // Nothing listens on the port: the database is away, which the store reports as UnavailableError.
  let url: string;
  before(async () => {
    url = `postgres://tacit@127.0.0.1:${await freePort()}/tacit`;
  });

  it('an unreachable database is UnavailableError naming the service, for statements and migrations', async () => {
    const sut = new PgStore('demo', { dir: '/nonexistent', table: 'demo_schema_migrations', lockKey: 99 }, { url, maxConnections: 1 });
    try {
      for (const attempt of [() => sut.query('SELECT 1'), () => sut.migrate()]) {
        await assert.rejects(attempt(), (err: unknown) => {
          assert.ok(err instanceof UnavailableError, String(err));
          assert.equal(err.message, 'demo database unavailable');
          assert.ok(isPgUnavailable(err.cause));
          return true;
        });
      }
    } finally {
      await sut.close();
    }
  });

  it('passes bytes to node-postgres as a Buffer over the same memory', () => {
    const sut = new PgStore('demo', { dir: '/nonexistent', table: 't', lockKey: 1 }, { url });
    const backing = new Uint8Array([0, 1, 2, 3]);
    const b = sut.bytes(backing.subarray(1, 3)) as Buffer;
    assert.ok(Buffer.isBuffer(b));
    assert.deepEqual([...b], [1, 2]);
    b[0] = 9;
    assert.equal(backing[1], 9);
    return sut.close();
  });
});

describe(pgMigrationTarget.name, { timeout: 30_000 }, () => {
  it('opens one connection, migrates, closes, and calls an away database unavailable', async () => {
    const url = `postgres://tacit@127.0.0.1:${await freePort()}/tacit`;
    const seen: { url: string; maxConnections?: number }[] = [];
    const sut = pgMigrationTarget('demo', (opts) => {
      seen.push({ url: opts.url, maxConnections: opts.maxConnections });
      return new PgStore('demo', { dir: '/nonexistent', table: 't', lockKey: 1 }, opts);
    });
    assert.equal(sut.service, 'demo');
    const err = await sut.migrate(url).then(
      () => assert.fail('migrated with no database'),
      (e: unknown) => e,
    );
    assert.ok(sut.isUnavailable(err));
    assert.deepEqual(seen, [{ url, maxConnections: 1 }]);
    assert.equal(sut.isUnavailable(new Error('migration 2_x changed after it was applied')), false);
  });
});
