import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { runGateway, gatewayConfigSchema, type RunningGateway } from '@tacit/gateway';
import {
  createLogger,
  defineConfig,
  HealthRegistry,
  InProcessBus,
  int,
  loadConfig,
  Metrics,
  NatsBus,
  string,
  url,
  type Bus,
  type Config,
  type Logger,
} from '@tacit/kit';
import { PgliteQueueRepository, PgQueueRepository, QueueService, registerQueueHandlers, type QueueRepository } from '@tacit/queue';

/** The node's settings: the gateway's, plus where state lives. Unset URLs mean embedded defaults. */
export const nodeConfigSchema = defineConfig({
  ...gatewayConfigSchema,
  DATA_DIR: string({ default: '.tacit/data', description: 'folder for the embedded database (PGlite)' }),
  DATABASE_URL: url({ optional: true, protocols: ['postgres:', 'postgresql:'], description: 'PostgreSQL; unset: PGlite in DATA_DIR' }),
  QUEUE_MAILBOX_CAP: int({ default: 10_000, min: 1, max: 10_000_000, description: 'packets one mailbox may hold' }),
});

export type NodeConfig = Config<typeof nodeConfigSchema>;

/** A running node: the gateway's URLs and one call to stop everything. */
export interface RunningNode {
  url: string;
  httpUrl: string;
  gateway: RunningGateway;
  queue: QueueService;
  bus: Bus;
  /** Which part runs embedded and which on a real server. */
  shape: { bus: 'in-process' | 'nats'; database: 'pglite' | 'postgres'; limits: 'memory' | 'redis' };
  stop(graceMs?: number): Promise<void>;
}

/**
 * Every service in one process. Embedded defaults — PGlite in DATA_DIR, an in-process bus, in-memory
 * limits — and each switches to the real server when its URL is set. The services run the same code
 * as in the cluster; only this wiring differs.
 */
export async function startNode(env: Record<string, string | undefined>, log?: Logger): Promise<RunningNode> {
  const config = loadConfig(nodeConfigSchema, env);
  log ??= createLogger({ service: 'node', level: config.LOG_LEVEL, logClientIps: config.GATEWAY_LOG_CLIENT_IPS });
  const metrics = new Metrics({ service: 'node' });
  const health = new HealthRegistry();

  const bus: Bus = config.NATS_URL
    ? await NatsBus.connect({ url: config.NATS_URL, name: 'tacit-node', waitOnFirstConnect: true })
    : new InProcessBus();
  if (bus instanceof NatsBus) health.addReadiness('nats', () => bus.check());

  let repository: QueueRepository & { check(): Promise<void>; close(): Promise<void> };
  if (config.DATABASE_URL) {
    const pg = new PgQueueRepository({ url: config.DATABASE_URL, onError: () => log.warn('postgres_connection_lost') });
    await pg.migrate();
    repository = pg;
  } else {
    const dir = path.resolve(config.DATA_DIR);
    mkdirSync(dir, { recursive: true });
    repository = await PgliteQueueRepository.open(path.join(dir, 'queue'));
  }
  health.addReadiness('database', () => repository.check());
  const queue = new QueueService({
    repository,
    limits: { mailboxCap: config.QUEUE_MAILBOX_CAP },
    onExpireError: () => log.warn('queue_expiry_failed'),
  });
  await queue.start();
  const queueSubs = registerQueueHandlers(bus, queue);

  const gateway = await runGateway({ config, bus, log, metrics: metrics.forService('gateway'), health });
  log.info('node_listening', {
    url: gateway.url,
    bus: config.NATS_URL ? 'nats' : 'in-process',
    database: config.DATABASE_URL ? 'postgres' : 'pglite',
    limits: config.REDIS_URL ? 'redis' : 'memory',
  });
  let stopping: Promise<void> | undefined;
  return {
    url: gateway.url,
    httpUrl: gateway.httpUrl,
    gateway,
    queue,
    bus,
    shape: {
      bus: config.NATS_URL ? 'nats' : 'in-process',
      database: config.DATABASE_URL ? 'postgres' : 'pglite',
      limits: config.REDIS_URL ? 'redis' : 'memory',
    },
    stop(graceMs?: number) {
      stopping ??= (async () => {
        await gateway.stop(graceMs);
        for (const s of queueSubs) s.unsubscribe();
        await queue.stop();
        await bus.close();
        await repository.close();
      })();
      return stopping;
    },
  };
}
