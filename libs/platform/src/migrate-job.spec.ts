import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runMigrateJob, type MigrationTarget } from './migrate-job.js';

const URL_OK = 'postgres://tacit@127.0.0.1:5432/tacit';
const unavailable = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

/** A target that fails with each of `failures` in turn, then applies `versions`; records the URLs it was given. */
function target(service: string, failures: unknown[], versions: number[] = [1]): MigrationTarget & { calls: string[] } {
  const calls: string[] = [];
  return {
    service,
    calls,
    async migrate(url) {
      calls.push(url);
      const f = failures.shift();
      if (f) throw f;
      return versions;
    },
    isUnavailable: (err) => err === unavailable,
  };
}

// LOG_LEVEL=error: the job's info lines stay out of the test output (the specs of the mains read them).
const env = (extra: Record<string, string> = {}) => ({ DATABASE_URL: URL_OK, LOG_LEVEL: 'error', ...extra });

describe(runMigrateJob.name, { timeout: 30_000 }, () => {
  it('runs every target in order against DATABASE_URL and exits 0', async () => {
    const [a, b] = [target('queue', []), target('prekey', [])];
    assert.equal(await runMigrateJob('migrate', [a, b], env()), 0);
    assert.deepEqual([a.calls, b.calls], [[URL_OK], [URL_OK]]);
  });

  it('retries the run while the database is unavailable, then exits 0', async () => {
    const [a, b] = [target('queue', []), target('prekey', [unavailable])];
    assert.equal(await runMigrateJob('migrate', [a, b], env({ MIGRATE_WAIT_SECONDS: '20' })), 0);
    assert.equal(a.calls.length, 2, 'the whole run again (the first target finds nothing left)');
    assert.equal(b.calls.length, 2);
  });

  it('a failure that is not the database being away exits 1 at once, and later targets do not run', async () => {
    const [a, b] = [target('queue', [new Error('migration 2_x changed after it was applied')]), target('prekey', [])];
    assert.equal(await runMigrateJob('migrate', [a, b], env({ MIGRATE_WAIT_SECONDS: '20' })), 1);
    assert.deepEqual([a.calls.length, b.calls.length], [1, 0]);
  });

  it('an unavailable database past MIGRATE_WAIT_SECONDS exits 1', async () => {
    const a = target('queue', Array.from({ length: 100 }, () => unavailable));
    const t0 = Date.now();
    assert.equal(await runMigrateJob('migrate', [a], env({ MIGRATE_WAIT_SECONDS: '1' })), 1);
    assert.ok(Date.now() - t0 >= 1000 && a.calls.length >= 2, `retried for the second (${a.calls.length} attempts)`);
  });

  it('a bad setting exits 78 without touching any target', async () => {
    const a = target('queue', []);
    assert.equal(await runMigrateJob('migrate', [a], { DATABASE_URL: 'mysql://x/y', MIGRATE_NOPE: '1', LOG_LEVEL: 'error' }), 78);
    assert.deepEqual(a.calls, []);
  });

  it('no targets is a caller bug: RangeError', async () => {
    await assert.rejects(runMigrateJob('migrate', [], env()), { name: 'RangeError', message: '"targets" expected at least one migration target, got 0' });
  });
});
