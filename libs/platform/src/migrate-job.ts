/**
 * A migrate job: applies the pending migrations of one or more services to DATABASE_URL and says
 * how it went by its exit code, for a deploy step that runs before the replicas (the Helm chart's
 * pre-install and pre-upgrade Job, `tacit migrate`). Each service still migrates at start under the
 * same advisory lock, so a job beside booting replicas is safe.
 *
 * Exit 0: migrated (one `migrations_applied` line per target, `versions` [] when there was nothing
 * to do). 78: a bad setting (one line names each). 1: the database stayed unreachable for
 * MIGRATE_WAIT_SECONDS, or a migration failed (one line says which target and error).
 * @module
 */
import { writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, createLogger, defineConfig, EXIT_CONFIG, int, oneOf, url, type Config } from '@tacit/kit';
import { loadSettings } from './settings.js';

/** One service's schema, as a migrate job applies it. */
export interface MigrationTarget {
  /** The service whose tables these are (named in the job's log lines). */
  readonly service: string;
  /** Applies the service's pending migrations to the database at `url`, then lets go of it; resolves to the versions applied now. */
  migrate(url: string): Promise<number[]>;
  /** True when `err` says the database is unreachable or starting (worth retrying), not that a migration is wrong. */
  isUnavailable(err: unknown): boolean;
}

/** The settings a migrate job reads. */
export const migrateJobConfigSchema = defineConfig({
  DATABASE_URL: url({ protocols: ['postgres:', 'postgresql:'], description: 'PostgreSQL to migrate (a direct URL, not through a transaction-pooling PgBouncer: the lock is per session)' }),
  MIGRATE_WAIT_SECONDS: int({ default: 120, min: 0, max: 3600, description: 'how long to retry while the database is unreachable (it may be starting beside us)' }),
  LOG_LEVEL: oneOf(['debug', 'info', 'warn', 'error'] as const, { default: 'info', description: 'lowest log level written' }),
});

/**
 * Runs `targets` in order against DATABASE_URL, retrying the whole run while the database is
 * unreachable (a target already done finds nothing left to apply); resolves to the exit code.
 * `job` names the process in its log lines.
 */
export async function runMigrateJob(job: string, targets: readonly MigrationTarget[], env: Record<string, string | undefined>): Promise<number> {
  if (targets.length === 0) throw new RangeError('"targets" expected at least one migration target, got 0');
  let settings: Config<typeof migrateJobConfigSchema>;
  try {
    settings = loadSettings(migrateJobConfigSchema, env, ['MIGRATE_']);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const line = { level: 'error', ts: new Date().toISOString(), service: job, event: 'config_invalid', issues: err.issues.map((i) => ({ variable: i.key, problem: i.problem })) };
    writeSync(1, `${JSON.stringify(line)}\n`);
    return EXIT_CONFIG;
  }
  const log = createLogger({ service: job, level: settings.LOG_LEVEL });
  const deadline = Date.now() + settings.MIGRATE_WAIT_SECONDS * 1000;
  for (let attempt = 1; ; attempt++) {
    let current: MigrationTarget | undefined;
    try {
      for (const target of targets) {
        current = target;
        log.info('migrations_applied', { target: target.service, versions: await target.migrate(settings.DATABASE_URL) });
      }
      return 0;
    } catch (err) {
      if (!current!.isUnavailable(err) || Date.now() >= deadline) {
        log.warn('migrations_failed', {
          target: current!.service,
          error: err instanceof Error ? err.name : 'unknown',
          message: err instanceof Error ? err.message : String(err),
          attempts: attempt,
        });
        return 1;
      }
      log.info('database_unavailable', { target: current!.service, attempt });
      await sleep(Math.min(2000, 250 * attempt));
    }
  }
}
