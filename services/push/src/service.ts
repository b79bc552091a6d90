import type { ServiceDefinition } from '@tacit/platform';
import { pushServiceConfigSchema, pushSettingsIssues } from './config.js';
import { PushModule } from './push.module.js';

/** The push service as the cluster runs it, one per process (its `main`, and specs that start it in process). */
export const pushService: ServiceDefinition<typeof pushServiceConfigSchema> = {
  name: 'push',
  module: PushModule,
  config: pushServiceConfigSchema,
  prefixes: ['PUSH_'],
  checks: [pushSettingsIssues],
};
