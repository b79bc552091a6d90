import type { ServiceDefinition } from '@tacit/platform';
import { queueServiceConfigSchema } from './config.js';
import { QueueModule } from './queue.module.js';

/** The queue as the cluster runs it, one per process (its `main`, and specs that start it in process). */
export const queueService: ServiceDefinition<typeof queueServiceConfigSchema> = {
  name: 'queue',
  module: QueueModule,
  config: queueServiceConfigSchema,
  prefixes: ['QUEUE_'],
};
