/**
 * The prekey service's settings, read once at boot (see {@link prekeyConfigSchema}), and how they
 * map onto {@link PrekeyService} limits.
 * @module
 */
import { defineConfig, int, string, url, type Config } from '@tacit/kit';
import type { PrekeyLimits } from './prekey.service.js';

/** The prekey service's own settings (PREKEY_*), and where its store lives: in every process that runs it. */
export const prekeyConfigSchema = defineConfig({
  DATABASE_URL: url({ optional: true, protocols: ['postgres:', 'postgresql:'], description: 'PostgreSQL holding the bundles; unset (the node only): PGlite in DATA_DIR' }),
  DATA_DIR: string({ default: '.tacit/data', description: 'folder of the embedded database (PGlite in DATA_DIR/pglite, shared by the services of one process) when DATABASE_URL is unset' }),
  PREKEY_MAX_PREKEYS: int({ default: 200, min: 1, max: 10_000, description: 'one-time prekeys of each kind one identity may hold; an upload past it is refused (TOO_MANY_PREKEYS)' }),
  PREKEY_ONE_TIME_PER_HOUR: int({ default: 60, min: 0, max: 1_000_000, description: 'fetches per identity per hour that hand out one-time prekeys; past it they get the last-resort key (bounds harvesting)' }),
  PREKEY_CHALLENGE_TTL_MS: int({ default: 120_000, min: 1000, max: 3_600_000, description: 'how long an upload challenge stays good' }),
  PREKEY_BUNDLE_TTL_DAYS: int({ default: 90, min: 1, max: 3650, description: 'a bundle whose owner has not uploaded (or asked its counts) for this long is deleted' }),
  PREKEY_DB_POOL_SIZE: int({ default: 10, min: 2, max: 200, description: 'PostgreSQL connections per replica' }),
});

/** The prekey service as the cluster runs it: PostgreSQL and NATS are required. */
export const prekeyServiceConfigSchema = defineConfig({
  ...prekeyConfigSchema,
  DATABASE_URL: url({ protocols: ['postgres:', 'postgresql:'], description: 'PostgreSQL holding the bundles' }),
  NATS_URL: url({ protocols: ['nats:', 'tls:'], description: 'NATS server the prekey service serves tacit.prekey.v1.* on' }),
});

/** The validated settings. */
export type PrekeyConfig = Config<typeof prekeyConfigSchema>;

/** The {@link PrekeyService} limits these settings ask for. */
export function prekeyLimits(config: PrekeyConfig): PrekeyLimits {
  return {
    maxPreKeys: config.PREKEY_MAX_PREKEYS,
    oneTimePerHour: config.PREKEY_ONE_TIME_PER_HOUR,
    challengeTtlMs: config.PREKEY_CHALLENGE_TTL_MS,
    bundleTtlMs: config.PREKEY_BUNDLE_TTL_DAYS * 86_400_000,
  };
}
