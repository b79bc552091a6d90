import type { ServiceDefinition } from '@tacit/platform';
import { prekeyServiceConfigSchema } from './config.js';
import { PrekeyModule } from './prekey.module.js';

/** The prekey service as the cluster runs it, one per process (its `main`, and specs that start it in process). */
export const prekeyService: ServiceDefinition<typeof prekeyServiceConfigSchema> = {
  name: 'prekey',
  module: PrekeyModule,
  config: prekeyServiceConfigSchema,
  prefixes: ['PREKEY_'],
};
