// @tacit/prekey-client: how other services call the prekey service over the bus.
export { BusPrekeyClient, type PrekeyClient } from './prekey-client.js';
export { PREKEY_CLIENT, PrekeyClientModule, type PrekeyClientModuleOptions } from './prekey-client.module.js';
