/**
 * The directory service's settings, read once at boot (see {@link directoryConfigSchema}), and how
 * they map onto {@link DirectoryService} limits.
 * @module
 */
import { defineConfig, int, string, url, type Config } from '@tacit/kit';
import type { DirectoryLimits } from './directory.service.js';

/** The directory's own settings (DIRECTORY_*), and where its store lives: in every process that runs it. */
export const directoryConfigSchema = defineConfig({
  DATABASE_URL: url({ optional: true, protocols: ['postgres:', 'postgresql:'], description: 'PostgreSQL holding the entries; unset (the node only): PGlite in DATA_DIR' }),
  DATA_DIR: string({ default: '.tacit/data', description: 'folder of the embedded database (PGlite in DATA_DIR/pglite, shared by the services of one process) when DATABASE_URL is unset' }),
  DIRECTORY_LOOKUPS_PER_MINUTE: int({ default: 60, min: 1, max: 1_000_000, description: 'lookups per requester per minute, across replicas; past it RATE_LIMITED (bounds enumeration)' }),
  DIRECTORY_WRITES_PER_HOUR: int({ default: 30, min: 1, max: 1_000_000, description: 'registrations, transfers and releases per requester per hour, across replicas; past it RATE_LIMITED (bounds squatting)' }),
  DIRECTORY_CHALLENGE_TTL_MS: int({ default: 120_000, min: 1000, max: 3_600_000, description: 'how long a registration challenge stays good' }),
  DIRECTORY_DB_POOL_SIZE: int({ default: 10, min: 2, max: 200, description: 'PostgreSQL connections per replica' }),
});

/** The directory service as the cluster runs it: PostgreSQL and NATS are required. */
export const directoryServiceConfigSchema = defineConfig({
  ...directoryConfigSchema,
  DATABASE_URL: url({ protocols: ['postgres:', 'postgresql:'], description: 'PostgreSQL holding the entries' }),
  NATS_URL: url({ protocols: ['nats:', 'tls:'], description: 'NATS server the directory serves tacit.directory.v1.* on' }),
});

/** The validated settings. */
export type DirectoryConfig = Config<typeof directoryConfigSchema>;

/** The {@link DirectoryService} limits these settings ask for. */
export function directoryLimits(config: DirectoryConfig): DirectoryLimits {
  return {
    lookupsPerMinute: config.DIRECTORY_LOOKUPS_PER_MINUTE,
    writesPerHour: config.DIRECTORY_WRITES_PER_HOUR,
    challengeTtlMs: config.DIRECTORY_CHALLENGE_TTL_MS,
  };
}
