import { Inject, Injectable } from '@nestjs/common';
import { ClientAddressResolver, SETTINGS } from '@tacit/platform';
import type { GatewayConfig } from './config.js';

// The parsing lives in @tacit/platform (the media service reads client addresses the same way).
export { parseProxyV2 } from '@tacit/platform';

/** The gateway's {@link ClientAddressResolver}: GATEWAY_CLIENT_ADDRESS_FROM and GATEWAY_TRUSTED_PROXIES. */
@Injectable()
export class ClientAddresses extends ClientAddressResolver {
  constructor(@Inject(SETTINGS) config: GatewayConfig) {
    super({ from: config.GATEWAY_CLIENT_ADDRESS_FROM, trustedProxies: config.GATEWAY_TRUSTED_PROXIES, setting: 'GATEWAY_TRUSTED_PROXIES' });
  }
}
