/**
 * The queue service's settings, read once at boot (see {@link queueConfigSchema}), and how they
 * map onto {@link QueueService} options.
 * @module
 */
import { bytes, defineConfig, int, loadConfig, oneOf, port, string, url, type Config } from '@tacit/kit';
import type { QueueServiceOptions } from './queue.service.js';

/** Everything `main.ts` reads from the environment. */
export const queueConfigSchema = defineConfig({
  DATABASE_URL: url({ protocols: ['postgres:', 'postgresql:'], description: 'PostgreSQL holding the queue' }),
  NATS_URL: url({ protocols: ['nats:', 'tls:'], description: 'NATS server the queue serves tacit.queue.v1.* on' }),
  QUEUE_TTL_SECONDS: int({ default: 2_592_000, min: 60, max: 2_592_000, description: 'default and longest packet TTL (30 days)' }),
  QUEUE_MAILBOX_CAP: int({ default: 10_000, min: 1, max: 10_000_000, description: 'packets one mailbox may hold; beyond it new packets get MAILBOX_FULL' }),
  QUEUE_MAX_PACKET_BYTES: bytes({ default: 131_072, min: 1024, max: 1_048_576, description: 'largest packet accepted (the protocol allows 65 610 bytes)' }),
  QUEUE_GROUP_COMMIT_MAX_PACKETS: int({ default: 2000, min: 1, max: 100_000, description: 'packets per enqueue transaction, at most' }),
  QUEUE_GROUP_COMMIT_DELAY_MS: int({ default: 2, min: 0, max: 1000, description: 'wait for more enqueues before committing, when idle' }),
  QUEUE_DB_POOL_SIZE: int({ default: 10, min: 2, max: 200, description: 'PostgreSQL connections per replica' }),
  OPS_HOST: string({ default: '0.0.0.0', description: 'address of /healthz, /readyz and /metrics' }),
  OPS_PORT: port({ default: 9090, description: 'port of /healthz, /readyz and /metrics' }),
  LOG_LEVEL: oneOf(['debug', 'info', 'warn', 'error'] as const, { default: 'info', description: 'log level' }),
});

/** The validated settings. */
export type QueueConfig = Config<typeof queueConfigSchema>;

/** Settings from `env` (tests and embedding); throws ConfigError listing every bad key. */
export function queueConfig(env: Record<string, string | undefined>): QueueConfig {
  return loadConfig(queueConfigSchema, env);
}

/** The {@link QueueService} options these settings ask for (all but the repository). */
export function queueServiceOptions(config: QueueConfig): Omit<QueueServiceOptions, 'repository'> {
  return {
    limits: {
      ttlSeconds: config.QUEUE_TTL_SECONDS,
      mailboxCap: config.QUEUE_MAILBOX_CAP,
      maxPacketBytes: config.QUEUE_MAX_PACKET_BYTES,
    },
    groupCommit: { maxItems: config.QUEUE_GROUP_COMMIT_MAX_PACKETS, maxDelayMs: config.QUEUE_GROUP_COMMIT_DELAY_MS },
  };
}
