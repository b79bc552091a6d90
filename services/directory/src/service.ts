import type { ServiceDefinition } from '@tacit/platform';
import { directoryServiceConfigSchema } from './config.js';
import { DirectoryModule } from './directory.module.js';

/** The directory service as the cluster runs it, one per process (its `main`, and specs that start it in process). */
export const directoryService: ServiceDefinition<typeof directoryServiceConfigSchema> = {
  name: 'directory',
  module: DirectoryModule,
  config: directoryServiceConfigSchema,
  prefixes: ['DIRECTORY_'],
};
