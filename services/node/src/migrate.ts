// `tacit migrate` (node services/node/dist/migrate.js): applies every service's pending SQL
// migrations to DATABASE_URL — the queue's, then the prekey service's, the directory's and the push service's, each with its own tables,
// versions table and advisory lock — and exits. The Helm chart's migrations Job runs it before any
// replica of a new version starts; each service still migrates at start under the same locks.
// Settings, retries and exit codes: libs/platform's migrate job (0 done, 78 bad setting, 1 failed).
import { directoryMigrationTarget } from '@tacit/directory';
import { runMigrateJob } from '@tacit/platform';
import { prekeyMigrationTarget } from '@tacit/prekey';
import { pushMigrationTarget } from '@tacit/push';
import { queueMigrationTarget } from '@tacit/queue';

process.exit(await runMigrateJob('migrate', [queueMigrationTarget, prekeyMigrationTarget, directoryMigrationTarget, pushMigrationTarget], process.env));
