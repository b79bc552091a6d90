// @tacit/queue-client: how the gateway (and any later caller) talks to the queue service.
export {
  BusQueueClient,
  type BusQueueClientOptions,
  type DrainedPage,
  type EnqueueOutcome,
  type QueueAckRef,
  type QueueClient,
  type QueueItem,
} from './queue-client.js';
export { QUEUE_CLIENT, QueueClientModule, type QueueClientModuleOptions } from './queue-client.module.js';
