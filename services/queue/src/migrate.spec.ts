import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { freePort, startPostgres, type PostgresServer } from '@tacit/testing';

const script = fileURLToPath(new URL('./migrate.js', import.meta.url));

/** Runs the migrate entry point as the chart's Job does; its exit code and the JSON lines it printed. */
async function migrate(env: Record<string, string>): Promise<{ code: number | null; lines: Record<string, unknown>[] }> {
  const child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => void (out += b.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, lines: out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('queue migrate entry point (the chart\'s migration Job)', { timeout: 60_000 }, () => {
  let postgres: PostgresServer;
  before(async () => {
    postgres = await startPostgres();
  });
  after(async () => {
    await postgres?.stop();
  });

  it('applies every migration once, then finds nothing to do', async () => {
    const first = await migrate({ DATABASE_URL: postgres.url });
    assert.equal(first.code, 0);
    const applied = first.lines.find((l) => l.event === 'migrations_applied');
    assert.ok(applied, JSON.stringify(first.lines));
    assert.ok(Array.isArray(applied.versions) && applied.versions.length >= 4, 'all versions applied');
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const rows = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM queue_schema_migrations');
      assert.equal(Number(rows.rows[0]!.n), (applied.versions as number[]).length);
    } finally {
      await client.end();
    }
    const again = await migrate({ DATABASE_URL: postgres.url });
    assert.equal(again.code, 0);
    assert.deepEqual(again.lines.find((l) => l.event === 'migrations_applied')?.versions, []);
  });

  it('a bad setting exits 78 with one line naming each bad variable', async () => {
    const res = await migrate({ DATABASE_URL: 'mysql://x/y', MIGRATE_WAIT_SECOND: '5' });
    assert.equal(res.code, 78);
    assert.equal(res.lines.length, 1);
    const issues = res.lines[0]!.issues as { variable: string }[];
    assert.deepEqual(issues.map((i) => i.variable).sort(), ['DATABASE_URL', 'MIGRATE_WAIT_SECOND']);
  });

  it('a database that stays unreachable fails with exit 1 once MIGRATE_WAIT_SECONDS has passed', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const res = await migrate({ DATABASE_URL: `postgres://tacit@127.0.0.1:${port}/tacit`, MIGRATE_WAIT_SECONDS: '2' });
    assert.equal(res.code, 1);
    assert.ok(Date.now() - t0 >= 2000, 'it retried until the deadline');
    assert.ok(res.lines.some((l) => l.event === 'database_unavailable'), 'it said it was waiting');
    assert.equal(res.lines.at(-1)?.event, 'migrations_failed');
  });
});
