// The queue alone, as the cluster runs it: PostgreSQL for storage, NATS for requests, an ops
// port for probes and metrics. (The single node wires the same service in-process.)
import { createLogger, HealthRegistry, loadConfigOrExit, Metrics, NatsBus, startOpsServer } from '@tacit/kit';
import { queueConfigSchema, queueServiceOptions } from './config.js';
import { registerQueueHandlers } from './handlers.js';
import { bindQueueMetrics } from './metrics.js';
import { PgQueueRepository } from './pg-repository.js';
import { QueueService } from './queue.service.js';

const config = loadConfigOrExit(queueConfigSchema, { service: 'queue' });
const log = createLogger({ service: 'queue', level: config.LOG_LEVEL });
const metrics = new Metrics({ service: 'queue' });
const health = new HealthRegistry({ onFailure: (name) => log.warn('readiness_check_failed', { check: name }) });

const repository = new PgQueueRepository({
  url: config.DATABASE_URL,
  maxConnections: config.QUEUE_DB_POOL_SIZE,
  onError: () => log.warn('postgres_connection_lost'),
});
// Every replica runs this; the advisory lock lets exactly one apply each migration.
const applied = await repository.migrate();
log.info('migrations_applied', { versions: applied });
health.addReadiness('database', () => repository.check());

const queue = new QueueService({
  repository,
  ...queueServiceOptions(config),
  onExpireError: (err) => log.warn('expiry_failed', { error: err instanceof Error ? err.name : 'unknown' }),
});
await queue.start();

const bus = await NatsBus.connect({
  url: config.NATS_URL,
  name: 'tacit-queue',
  waitOnFirstConnect: true,
  onError: (err, subject) => log.warn('bus_error', { subject, error: err instanceof Error ? err.name : 'unknown' }),
});
health.addReadiness('nats', () => bus.check());
const subs = registerQueueHandlers(bus, queue);
await bus.check();

const sync = bindQueueMetrics(metrics, queue);
const ops = await startOpsServer({
  host: config.OPS_HOST,
  port: config.OPS_PORT,
  health,
  metrics: {
    get contentType() {
      return metrics.contentType;
    },
    text: () => {
      sync();
      return metrics.text();
    },
  },
});
log.info('queue_serving', { ops: ops.url, ttlSeconds: config.QUEUE_TTL_SECONDS, packetCap: config.QUEUE_MAILBOX_CAP });

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info('queue_stopping', { signal });
    health.setShuttingDown();
    // Stop taking requests, commit what was accepted, then let go of NATS and PostgreSQL.
    for (const s of subs) s.unsubscribe();
    void queue
      .stop()
      .then(() => bus.close())
      .then(() => repository.close())
      .then(() => ops.close())
      .catch((err: unknown) => log.warn('stop_failed', { error: err instanceof Error ? err.name : 'unknown' }))
      .finally(() => process.exit(0));
  });
}
