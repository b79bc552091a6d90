// `node services/queue/dist/migrate.js`: applies the queue's pending SQL migrations to DATABASE_URL
// and exits, for a deploy step that runs before the replicas (the Helm chart's pre-install and
// pre-upgrade Job). The queue still migrates at start; both take the same advisory lock, so running
// this beside booting replicas is safe.
//
// Exit 0: migrated (one line lists the versions applied, [] when there were none). Exit 78: a bad
// setting (one line names each). Exit 1: the database stayed unreachable for MIGRATE_WAIT_SECONDS,
// or a migration failed (one line says which error).
import { writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, createLogger, defineConfig, EXIT_CONFIG, int, oneOf, url, type Config } from '@tacit/kit';
import { loadSettings } from '@tacit/platform';
import { isUnavailable, PgQueueRepository } from './pg-repository.js';

const schema = defineConfig({
  DATABASE_URL: url({ protocols: ['postgres:', 'postgresql:'], description: 'PostgreSQL holding the queue' }),
  MIGRATE_WAIT_SECONDS: int({ default: 120, min: 0, max: 3600, description: 'how long to retry while the database is unreachable (it may be starting beside us)' }),
  LOG_LEVEL: oneOf(['debug', 'info', 'warn', 'error'] as const, { default: 'info', description: 'lowest log level written' }),
});

let settings: Config<typeof schema>;
try {
  settings = loadSettings(schema, process.env, ['MIGRATE_']);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  const line = { level: 'error', ts: new Date().toISOString(), service: 'queue-migrate', event: 'config_invalid', issues: err.issues.map((i) => ({ variable: i.key, problem: i.problem })) };
  writeSync(1, `${JSON.stringify(line)}\n`);
  process.exit(EXIT_CONFIG);
}

const log = createLogger({ service: 'queue-migrate', level: settings.LOG_LEVEL });
const deadline = Date.now() + settings.MIGRATE_WAIT_SECONDS * 1000;
for (let attempt = 1; ; attempt++) {
  const repo = new PgQueueRepository({ url: settings.DATABASE_URL, maxConnections: 1, onError: () => undefined });
  try {
    const versions = await repo.migrate();
    log.info('migrations_applied', { versions });
    await repo.close();
    process.exit(0);
  } catch (err) {
    await repo.close().catch(() => undefined);
    const retry = isUnavailable(err) || (err instanceof Error && isUnavailable(err.cause));
    if (!retry || Date.now() >= deadline) {
      log.warn('migrations_failed', { error: err instanceof Error ? err.name : 'unknown', message: err instanceof Error ? err.message : String(err), attempts: attempt });
      process.exit(1);
    }
    log.info('database_unavailable', { attempt });
    await sleep(Math.min(2000, 250 * attempt));
  }
}
