// `node services/queue/dist/migrate.js`: applies the queue's pending SQL migrations to DATABASE_URL
// and exits (libs/platform's migrate job: settings, retries and exit codes are its). The image's
// `tacit migrate` (services/node/dist/migrate.js) runs every service's; this one is the queue's
// alone. The queue still migrates at start under the same advisory lock, so running this beside
// booting replicas is safe.
import { runMigrateJob } from '@tacit/platform';
import { queueMigrationTarget } from './pg-repository.js';

process.exit(await runMigrateJob('queue-migrate', [queueMigrationTarget], process.env));
