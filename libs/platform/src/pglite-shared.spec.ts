// The node's services share one embedded database: one PGlite per folder per process, closed with its
// last holder; each service's migrations run in one transaction nobody else's query lands in; a node
// upgraded from the one-folder-per-service layout keeps reading its folders.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { embeddedDbFolder, leasePglite, migratePglite } from './pglite-shared.js';

describe('shared embedded database (leasePglite, migratePglite, embeddedDbFolder)', { timeout: 120_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tacit-pglite-shared-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  function migrations(name: string, files: Record<string, string>): string {
    const d = join(dir, `migrations-${name}`);
    mkdirSync(d, { recursive: true });
    for (const [file, sql] of Object.entries(files)) writeFileSync(join(d, file), sql);
    return d;
  }

  it('holders of one folder share one database, which closes with the last release', async () => {
    const folder = join(dir, 'db1');
    const [a, b] = await Promise.all([leasePglite(folder), leasePglite(folder)]);
    assert.equal(a.db, b.db, 'one PGlite for both');
    await a.db.exec('CREATE TABLE a_t (x int); INSERT INTO a_t VALUES (1)');
    await a.release();
    await a.release();
    assert.equal(b.db.closed, false, 'still held by b');
    assert.deepEqual((await b.db.query('SELECT x FROM a_t')).rows, [{ x: 1 }]);
    await b.release();
    assert.equal(b.db.closed, true, 'closed with its last holder');
    const c = await leasePglite(folder);
    try {
      assert.notEqual(c.db, b.db, 'a later hold opens it again');
      assert.deepEqual((await c.db.query('SELECT x FROM a_t')).rows, [{ x: 1 }], 'from the same folder');
    } finally {
      await c.release();
    }
  });

  it('migrations of services opening at once run each alone; a failing one leaves nothing of its own and disturbs no other', async () => {
    const lease = await leasePglite(join(dir, 'db2'));
    try {
      const db = lease.db;
      const one = migrations('one', { '0001_a.sql': 'CREATE TABLE one_a (x int);', '0002_b.sql': 'CREATE TABLE one_b (x int);' });
      const two = migrations('two', { '0001_a.sql': 'CREATE TABLE two_a (x int);' });
      const bad = migrations('bad', { '0001_a.sql': 'CREATE TABLE bad_a (x int);', '0002_b.sql': 'CREATE TABLE bad_b (x nosuchtype);' });
      const results = await Promise.allSettled([
        migratePglite(db, one, { table: 'one_schema_migrations', lockKey: 91 }),
        migratePglite(db, bad, { table: 'bad_schema_migrations', lockKey: 93 }),
        // Another service's statements meanwhile: none of them may land inside the failing transaction.
        db.exec('CREATE TABLE other_t (x int); INSERT INTO other_t VALUES (7)'),
        migratePglite(db, two, { table: 'two_schema_migrations', lockKey: 92 }),
      ]);
      assert.deepEqual(results[0], { status: 'fulfilled', value: [1, 2] });
      assert.equal(results[1].status, 'rejected');
      assert.match(String((results[1] as PromiseRejectedResult).reason), /nosuchtype/);
      assert.equal(results[2].status, 'fulfilled');
      assert.deepEqual(results[3], { status: 'fulfilled', value: [1] });
      const tables = (await db.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.t);
      assert.deepEqual(tables, ['one_a', 'one_b', 'one_schema_migrations', 'other_t', 'two_a', 'two_schema_migrations']);
      assert.deepEqual((await db.query('SELECT x FROM other_t')).rows, [{ x: 7 }]);
      // Nothing left open: a plain statement after them commits on its own.
      assert.equal((await db.query<{ s: string }>('SELECT pg_current_xact_id_if_assigned() IS NULL AS s')).rows[0]?.s, true);
      assert.deepEqual(await migratePglite(db, one, { table: 'one_schema_migrations', lockKey: 91 }), [], 'applied once');
    } finally {
      await lease.release();
    }
  });

  it("a service's folder from an earlier release (one database per service) stays its own; an empty one does not", () => {
    const data = join(dir, 'data');
    mkdirSync(join(data, 'queue'), { recursive: true });
    writeFileSync(join(data, 'queue', 'PG_VERSION'), '17\n');
    // A first boot cut off before initdb wrote anything leaves an empty folder behind.
    mkdirSync(join(data, 'push'), { recursive: true });
    assert.equal(embeddedDbFolder(data, 'queue'), join(data, 'queue'));
    assert.equal(embeddedDbFolder(data, 'push'), join(data, 'pglite'));
    assert.equal(embeddedDbFolder(data, 'prekey'), join(data, 'pglite'));
  });
});
