// The store-backed service's wiring as a service sees it: its PGlite store opened in DATA_DIR/pglite
// with its migrations, readiness and metrics registered, the service started after the store and
// stopped before the store closes; with DATABASE_URL, a PostgreSQL store migrated first.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { createLogger, defineConfig, string, type Metrics } from '@tacit/kit';
import { startPostgres, type PostgresServer } from '@tacit/testing';
import { PgliteStore, PgStore, type StoreMigrations } from './pg-store.js';
import { startService } from './service.js';
import { openServiceStore, serviceLifecycleProvider, serviceStoreProvider, type OpenStoreOptions } from './store-service.js';

const events: string[] = [];
const STORE = Symbol('demo.store');
const SERVICE = Symbol('demo.service');

/** A demo repository over the platform's stores, recording what the lifecycle does with it. */
class DemoStore {
  constructor(readonly sql: PgliteStore | PgStore) {}
  async check(): Promise<void> {
    if (events.includes('unready')) throw new Error('down');
    await this.sql.query('SELECT 1');
  }
  async migrate(): Promise<number[]> {
    return this.sql instanceof PgStore ? this.sql.migrate() : [];
  }
  async close(): Promise<void> {
    events.push('store:close');
    await this.sql.close();
  }
}

let migrations: StoreMigrations;
const options: OpenStoreOptions<DemoStore> = {
  name: 'demo',
  postgres: (url, onError) => new DemoStore(new PgStore('demo', migrations, { url, maxConnections: 2, onError })),
  pglite: async (folder) => new DemoStore(await PgliteStore.open(folder, migrations)),
};

@Module({
  providers: [
    serviceStoreProvider(STORE, options),
    {
      provide: SERVICE,
      useValue: {
        start: () => void events.push('service:start'),
        stop: () => void events.push('service:stop'),
      },
    },
    serviceLifecycleProvider({
      name: 'demo',
      readiness: 'demo_database',
      service: SERVICE,
      store: STORE,
      metrics: (m: Metrics) => {
        const g = m.gauge({ name: 'things', help: 'things' });
        return () => g.set(3);
      },
    }),
  ],
})
class DemoModule {}

const config = defineConfig({ DATA_DIR: string({ default: '.tacit/data' }), DATABASE_URL: string({ default: '' }) });
const quiet = createLogger({ service: 'test', write: () => {} });

describe('store-backed services (openServiceStore, serviceLifecycleProvider)', { timeout: 90_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tacit-store-service-'));
    await writeFile(join(dir, '0001_init.sql'), 'CREATE TABLE demo (id int4 PRIMARY KEY);');
    migrations = { dir, table: 'demo_schema_migrations', lockKey: 98 };
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('opens PGlite in DATA_DIR/pglite, registers readiness and metrics, starts after the store, stops before it closes', async () => {
    events.length = 0;
    const data = join(dir, 'data');
    const sut = await startService({ name: 'demo', module: DemoModule, config, prefixes: [] }, { env: { DATA_DIR: data, OPS_HOST: '127.0.0.1', OPS_PORT: '0' }, logger: quiet });
    try {
      assert.ok(existsSync(join(data, 'pglite', 'PG_VERSION')), 'the store is in DATA_DIR/pglite');
      assert.ok(!existsSync(join(data, 'demo')), 'no folder of its own');
      assert.deepEqual(events, ['service:start']);
      assert.equal((await fetch(`${sut.opsUrl}/readyz`)).status, 200);
      assert.match(await (await fetch(`${sut.opsUrl}/metrics`)).text(), /^tacit_demo_things(\{[^}]*\})? 3$/m);
      events.push('unready');
      const res = await fetch(`${sut.opsUrl}/readyz`);
      assert.equal(res.status, 503);
      assert.deepEqual(Object.keys(((await res.json()) as { error: object }).error), ['demo_database']);
      events.pop();
    } finally {
      await sut.close();
    }
    assert.deepEqual(events, ['service:start', 'service:stop', 'store:close']);
  });

  describe('on PostgreSQL', () => {
    let pg: PostgresServer;
    before(async () => {
      pg = await startPostgres();
    });
    after(async () => pg?.stop());

    it('migrates before the store is handed out, and logs the versions applied', async () => {
      const lines: string[] = [];
      const log = createLogger({ service: 'test', write: (l) => void lines.push(l) });
      const store = await openServiceStore({ DATABASE_URL: pg.url, DATA_DIR: join(dir, 'unused') }, log, options);
      try {
        assert.deepEqual(await store.sql.query('SELECT version FROM demo_schema_migrations'), [{ version: 1 }]);
        assert.ok(lines.some((l) => l.includes('"migrations_applied"') && l.includes('"versions":[1]')), lines.join('\n'));
        assert.ok(!existsSync(join(dir, 'unused')), 'no PGlite folder with DATABASE_URL');
      } finally {
        await store.close();
      }
    });
  });
});
