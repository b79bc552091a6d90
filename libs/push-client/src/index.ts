// @tacit/push-client: how other services call the push service over the bus, and the event a gateway publishes.
export { BusPushClient, encodeQueuedEvent, type PushClient } from './push-client.js';
export { PUSH_CLIENT, PushClientModule, type PushClientModuleOptions } from './push-client.module.js';
