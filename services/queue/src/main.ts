// The queue alone, as the cluster runs it: PostgreSQL for storage, NATS for requests, the ops
// listener for probes and metrics. (The node composes the same QueueModule in one process.)
import { runService } from '@tacit/platform';
import { queueService } from './service.js';

await runService(queueService, {
  onStarted: (q) => q.logger.info('queue_serving', { ops: q.opsUrl, ttlSeconds: q.settings.QUEUE_TTL_SECONDS, packetCap: q.settings.QUEUE_MAILBOX_CAP }),
});
