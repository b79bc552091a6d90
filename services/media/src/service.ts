import type { ServiceDefinition } from '@tacit/platform';
import { mediaServiceConfigSchema, mediaSettingsIssues } from './config.js';
import { MediaModule } from './media.module.js';

/** The media service as the cluster runs it, one per process (its `main`, and specs that start it in process). */
export const mediaService: ServiceDefinition<typeof mediaServiceConfigSchema> = {
  name: 'media',
  module: MediaModule,
  config: mediaServiceConfigSchema,
  prefixes: ['MEDIA_', 'S3_'],
  checks: [mediaSettingsIssues],
};
