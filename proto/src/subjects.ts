// Where the messages of tacit.queue.v1 travel on the bus: one definition for the queue that serves
// them and the gateways that call it, so the two cannot drift apart.

/** Bus subjects of the queue's request/reply API (each carries the request of the same name). */
export const QUEUE_SUBJECTS = Object.freeze({
  enqueue: 'tacit.queue.v1.enqueue',
  drain: 'tacit.queue.v1.drain',
  ack: 'tacit.queue.v1.ack',
} as const);

/** Queue group the queue's replicas serve in: each request reaches one replica. */
export const QUEUE_GROUP = 'queue';
