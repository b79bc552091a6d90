/**
 * The queue service's settings, read once at boot (see {@link queueConfigSchema}), and how they
 * map onto {@link QueueService} options.
 * @module
 */
import { bytes, defineConfig, int, string, url, type Config } from '@tacit/kit';
import { MAX_TTL_SECONDS } from '@tacit/protocol';
import type { QueueServiceOptions } from './queue.service.js';

/** The queue's own settings (QUEUE_*), and where its store lives: in every process that runs it. */
export const queueConfigSchema = defineConfig({
  DATABASE_URL: url({ optional: true, protocols: ['postgres:', 'postgresql:'], description: 'PostgreSQL holding the queue; unset (the node only): PGlite in DATA_DIR' }),
  DATA_DIR: string({ default: '.tacit/data', description: 'folder of the embedded database (PGlite in DATA_DIR/pglite, shared by the services of one process) when DATABASE_URL is unset' }),
  QUEUE_TTL_SECONDS: int({ default: MAX_TTL_SECONDS, min: 60, max: MAX_TTL_SECONDS, description: 'default and longest packet TTL (30 days)' }),
  QUEUE_MAILBOX_CAP: int({ default: 10_000, min: 1, max: 10_000_000, description: 'live packets one mailbox may hold; new packets get MAILBOX_FULL past a cap drawn per attempt from its top eighth (no exact count is revealed)' }),
  QUEUE_MAX_PACKET_BYTES: bytes({ default: 131_072, min: 1024, max: 1_048_576, description: 'largest packet accepted (the protocol allows 65 610 bytes)' }),
  QUEUE_GROUP_COMMIT_MAX_PACKETS: int({ default: 2000, min: 1, max: 100_000, description: 'packets per enqueue transaction, at most' }),
  QUEUE_GROUP_COMMIT_DELAY_MS: int({ default: 2, min: 0, max: 1000, description: 'wait for more enqueues before committing, when idle' }),
  QUEUE_STORAGE_LIMIT: bytes({ default: 10 * 2 ** 30, min: 0, max: 2 ** 50, description: 'storage watermark: past this many bytes of packets on disk, new packets are refused (STORAGE_FULL) and readiness fails; 0: none' }),
  QUEUE_MAX_WAITING_PACKETS: int({ default: 20_000, min: 1, max: 10_000_000, description: 'packets waiting for a group commit, at most; past it enqueues are refused (UNAVAILABLE) until the database catches up' }),
  QUEUE_DB_POOL_SIZE: int({ default: 10, min: 2, max: 200, description: 'PostgreSQL connections per replica' }),
});

/** The queue as the cluster runs it: PostgreSQL and NATS are required. */
export const queueServiceConfigSchema = defineConfig({
  ...queueConfigSchema,
  DATABASE_URL: url({ protocols: ['postgres:', 'postgresql:'], description: 'PostgreSQL holding the queue' }),
  NATS_URL: url({ protocols: ['nats:', 'tls:'], description: 'NATS server the queue serves tacit.queue.v1.* on' }),
});

/** The validated settings. */
export type QueueConfig = Config<typeof queueConfigSchema>;

/** The {@link QueueService} options these settings ask for (all but the repository). */
export function queueServiceOptions(config: QueueConfig): Omit<QueueServiceOptions, 'repository'> {
  return {
    limits: {
      ttlSeconds: config.QUEUE_TTL_SECONDS,
      mailboxCap: config.QUEUE_MAILBOX_CAP,
      maxPacketBytes: config.QUEUE_MAX_PACKET_BYTES,
    },
    groupCommit: { maxItems: config.QUEUE_GROUP_COMMIT_MAX_PACKETS, maxDelayMs: config.QUEUE_GROUP_COMMIT_DELAY_MS, maxWaiting: config.QUEUE_MAX_WAITING_PACKETS },
    storageLimitBytes: config.QUEUE_STORAGE_LIMIT,
  };
}
