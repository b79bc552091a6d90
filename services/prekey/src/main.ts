// The prekey service alone, as the cluster runs it: PostgreSQL for bundles, NATS for requests, the
// ops listener for probes and metrics. (The node composes the same PrekeyModule in one process.)
import { runService } from '@tacit/platform';
import { prekeyService } from './service.js';

await runService(prekeyService, {
  onStarted: (p) => p.logger.info('prekey_serving', { ops: p.opsUrl, maxPreKeys: p.settings.PREKEY_MAX_PREKEYS, oneTimePerHour: p.settings.PREKEY_ONE_TIME_PER_HOUR }),
});
