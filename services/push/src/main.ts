// The push service alone, as the cluster runs it: PostgreSQL for registrations and wake state, NATS
// for requests and (JetStream) queued events, the ops listener for probes and metrics. (The node
// composes the same PushModule in one process.)
import { runService } from '@tacit/platform';
import { PushService } from './push.service.js';
import { pushService } from './service.js';

await runService(pushService, {
  onStarted: (p) => p.logger.info('push_serving', { ops: p.opsUrl, providers: p.get(PushService).providers, windowMs: p.settings.PUSH_COALESCE_WINDOW }),
});
