// `tacit migrate` (services/node/dist/migrate.js), as the chart's migrations Job runs it: every
// service's migrations on one PostgreSQL, each in its own versions table; then the services find
// nothing left to apply. The job's retry and settings paths are the platform's (queue/migrate.spec).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { freePort, startPostgres, type PostgresServer } from '@tacit/testing';

const script = fileURLToPath(new URL('./migrate.js', import.meta.url));
const files = (service: string) => readdirSync(fileURLToPath(new URL(`../../${service}/migrations/`, import.meta.url))).filter((f) => f.endsWith('.sql')).length;

/** Runs the job; its exit code and the JSON lines it printed. */
async function migrate(env: Record<string, string>): Promise<{ code: number | null; lines: Record<string, unknown>[] }> {
  const child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => void (out += b.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, lines: out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const applied = (lines: Record<string, unknown>[]) =>
  Object.fromEntries(lines.filter((l) => l.event === 'migrations_applied').map((l) => [l.target, l.versions]));

describe('tacit migrate: every service\'s migrations (the chart\'s migrations Job)', { timeout: 120_000 }, () => {
  let postgres: PostgresServer;
  before(async () => {
    postgres = await startPostgres();
  });
  after(async () => {
    await postgres?.stop();
  });

  it('applies the queue\'s, the prekey service\'s, the directory\'s and the push service\'s migrations once each, in their own tables, then finds nothing to do', async () => {
    const first = await migrate({ DATABASE_URL: postgres.url });
    assert.equal(first.code, 0, JSON.stringify(first.lines));
    const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    assert.deepEqual(applied(first.lines), { queue: range(files('queue')), prekey: range(files('prekey')), directory: range(files('directory')), push: range(files('push')) });
    const c = new pg.Client({ connectionString: postgres.url });
    await c.connect();
    try {
      const count = async (table: string) => Number((await c.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`)).rows[0]!.n);
      assert.equal(await count('queue_schema_migrations'), files('queue'));
      assert.equal(await count('prekey_schema_migrations'), files('prekey'));
      // The prekey service's tables are there, empty: the service starts on them.
      assert.equal(await count('prekey_identities'), 0);
      assert.equal(await count('directory_schema_migrations'), files('directory'));
      assert.equal(await count('directory_entries'), 0);
      assert.equal(await count('push_schema_migrations'), files('push'));
      assert.equal(await count('push_registrations'), 0);
    } finally {
      await c.end();
    }
    const again = await migrate({ DATABASE_URL: postgres.url });
    assert.equal(again.code, 0);
    assert.deepEqual(applied(again.lines), { queue: [], prekey: [], directory: [], push: [] });
  });

  it('a prekey migration changed after it was applied fails the job (exit 1) naming the prekey target, at once', async () => {
    const c = new pg.Client({ connectionString: postgres.url });
    await c.connect();
    try {
      await c.query("UPDATE prekey_schema_migrations SET checksum = 'edited' WHERE version = 1");
      const t0 = Date.now();
      const res = await migrate({ DATABASE_URL: postgres.url, MIGRATE_WAIT_SECONDS: '60' });
      assert.equal(res.code, 1);
      assert.ok(Date.now() - t0 < 30_000, 'not retried as if the database were away');
      assert.deepEqual(applied(res.lines), { queue: [] }, 'the queue ran first and had nothing to do');
      const failed = res.lines.at(-1)!;
      assert.equal(failed.event, 'migrations_failed');
      assert.equal(failed.target, 'prekey');
      assert.match(String(failed.message), /migration 1_prekeys changed after it was applied/);
    } finally {
      await c.query('DROP TABLE prekey_schema_migrations').catch(() => undefined);
      await c.end();
    }
  });

  it('a database that stays unreachable: exit 1 after MIGRATE_WAIT_SECONDS, saying it waited', async () => {
    const res = await migrate({ DATABASE_URL: `postgres://tacit@127.0.0.1:${await freePort()}/tacit`, MIGRATE_WAIT_SECONDS: '1' });
    assert.equal(res.code, 1);
    assert.ok(res.lines.some((l) => l.event === 'database_unavailable' && l.target === 'queue'));
    assert.equal(res.lines.at(-1)?.event, 'migrations_failed');
  });
});
