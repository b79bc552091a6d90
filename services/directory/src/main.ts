// The directory service alone, as the cluster runs it: PostgreSQL for entries, NATS for requests,
// the ops listener for probes and metrics. (Not yet composed into the node: docs/directory.md.)
import { runService } from '@tacit/platform';
import { directoryService } from './service.js';

await runService(directoryService, {
  onStarted: (p) => p.logger.info('directory_serving', { ops: p.opsUrl, lookupsPerMinute: p.settings.DIRECTORY_LOOKUPS_PER_MINUTE, writesPerHour: p.settings.DIRECTORY_WRITES_PER_HOUR }),
});
