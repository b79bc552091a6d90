import type { ServiceDefinition } from '@tacit/platform';
import { gatewayServiceConfigSchema, gatewayServiceSettingsIssues } from './config.js';
import { GatewayModule } from './gateway.module.js';

/** A gateway replica as the cluster runs it, one per process. */
export const gatewayService: ServiceDefinition<typeof gatewayServiceConfigSchema> = {
  name: 'gateway',
  module: GatewayModule,
  config: gatewayServiceConfigSchema,
  prefixes: ['GATEWAY_'],
  checks: [gatewayServiceSettingsIssues],
  logClientIps: (settings) => settings.GATEWAY_LOG_CLIENT_IPS,
};
