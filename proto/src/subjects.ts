// Every bus subject of every service, defined once: the service that serves it and every caller
// import it from here, so the two cannot drift apart.
import { busRoute } from './routes.js';
import * as directoryV1 from './gen/tacit/directory/v1/directory_pb.js';
import * as pushV1 from './gen/tacit/push/v1/push_pb.js';
import * as prekeyV1 from './gen/tacit/prekey/v1/prekey_pb.js';
import * as queueV1 from './gen/tacit/queue/v1/queue_pb.js';

/** Bus subjects of the queue's request/reply API (each carries the request of the same name). */
export const QUEUE_SUBJECTS = Object.freeze({
  enqueue: 'tacit.queue.v1.enqueue',
  drain: 'tacit.queue.v1.drain',
  ack: 'tacit.queue.v1.ack',
} as const);

/** Queue group the queue's replicas serve in: each request reaches one replica. */
export const QUEUE_GROUP = 'queue';

/** The queue's API: subject, queue group and messages of each request. */
export const QUEUE_ROUTES = Object.freeze({
  enqueue: busRoute(QUEUE_SUBJECTS.enqueue, queueV1.EnqueueRequestSchema, queueV1.EnqueueReplySchema, QUEUE_GROUP),
  drain: busRoute(QUEUE_SUBJECTS.drain, queueV1.DrainRequestSchema, queueV1.DrainReplySchema, QUEUE_GROUP),
  ack: busRoute(QUEUE_SUBJECTS.ack, queueV1.AckRequestSchema, queueV1.AckReplySchema, QUEUE_GROUP),
});

/**
 * What one queue request may carry: the queue refuses more with InvalidArgumentError, and its
 * client splits larger work into requests within them.
 */
export const QUEUE_LIMITS = Object.freeze({
  /** Packets in one EnqueueRequest. */
  maxEnqueuePackets: 1000,
  /** DrainRequest.limit at most. */
  maxDrainLimit: 1000,
  /** Mailboxes in one DrainRequest (ids rotate hourly: a device back after days drains many). */
  maxDrainMailboxes: 4096,
  /** Packet bytes in one DrainReply, so it fits a NATS message (default max 1 MiB). */
  maxDrainBytes: 786_432,
  /** Refs in one AckRequest. */
  maxAckRefs: 1000,
});

/**
 * Subjects between gateway replicas (tacit.gateway.v1): each is a prefix completed by an id.
 * - `mailbox + <hex mailbox id>`: served by each replica holding a connection that claims the
 *   mailbox (presence is NATS interest): MailboxEvent → MailboxEventReply.
 * - `replica + <replica id>`: packets for many mailboxes claimed on one replica: ReplicaBatch →
 *   ReplicaBatchReply.
 * - `replicaStatus + <replica id>`: ReplicaStatuses published back to the replica that sent them.
 */
export const GATEWAY_SUBJECTS = Object.freeze({
  mailbox: 'tacit.mbx.',
  replica: 'tacit.gw.',
  replicaStatus: 'tacit.gws.',
} as const);

/** Bus subjects of the prekey service's request/reply API. */
export const PREKEY_SUBJECTS = Object.freeze({
  challenge: 'tacit.prekey.v1.challenge',
  upload: 'tacit.prekey.v1.upload',
  fetch: 'tacit.prekey.v1.fetch',
} as const);

/** Queue group the prekey service's replicas serve in. */
export const PREKEY_GROUP = 'prekey';

/** The prekey service's API: subject, queue group and messages of each request. */
export const PREKEY_ROUTES = Object.freeze({
  challenge: busRoute(PREKEY_SUBJECTS.challenge, prekeyV1.ChallengeRequestSchema, prekeyV1.ChallengeReplySchema, PREKEY_GROUP),
  upload: busRoute(PREKEY_SUBJECTS.upload, prekeyV1.UploadRequestSchema, prekeyV1.UploadReplySchema, PREKEY_GROUP),
  fetch: busRoute(PREKEY_SUBJECTS.fetch, prekeyV1.FetchRequestSchema, prekeyV1.FetchReplySchema, PREKEY_GROUP),
});

/**
 * What one prekey request may carry (the service refuses more; the gateway refuses it before it
 * reaches the bus). The bodies' own limits are @tacit/protocol's (MAX_PREKEY_UPLOAD_BYTES, …).
 */
export const PREKEY_LIMITS = Object.freeze({
  /** UploadRequest.upload bytes: MAX_PREKEY_UPLOAD_BYTES of protocol.md §13.3 (100 + 100 one-time keys). */
  maxUploadBytes: 169_317,
  /** FetchRequest.address bytes. */
  addressBytes: 32,
});

/** Bus subjects of the directory service's request/reply API. */
export const DIRECTORY_SUBJECTS = Object.freeze({
  challenge: 'tacit.directory.v1.challenge',
  register: 'tacit.directory.v1.register',
  lookup: 'tacit.directory.v1.lookup',
  transfer: 'tacit.directory.v1.transfer',
  release: 'tacit.directory.v1.release',
} as const);

/** Queue group the directory service's replicas serve in. */
export const DIRECTORY_GROUP = 'directory';

/** The directory service's API: subject, queue group and messages of each request. */
export const DIRECTORY_ROUTES = Object.freeze({
  challenge: busRoute(DIRECTORY_SUBJECTS.challenge, directoryV1.ChallengeRequestSchema, directoryV1.ChallengeReplySchema, DIRECTORY_GROUP),
  register: busRoute(DIRECTORY_SUBJECTS.register, directoryV1.RegisterRequestSchema, directoryV1.WriteReplySchema, DIRECTORY_GROUP),
  lookup: busRoute(DIRECTORY_SUBJECTS.lookup, directoryV1.LookupRequestSchema, directoryV1.LookupReplySchema, DIRECTORY_GROUP),
  transfer: busRoute(DIRECTORY_SUBJECTS.transfer, directoryV1.TransferRequestSchema, directoryV1.WriteReplySchema, DIRECTORY_GROUP),
  release: busRoute(DIRECTORY_SUBJECTS.release, directoryV1.ReleaseRequestSchema, directoryV1.WriteReplySchema, DIRECTORY_GROUP),
});

/** What one directory request may carry (the service refuses more with MALFORMED). */
export const DIRECTORY_LIMITS = Object.freeze({
  /** Lookup keys and control keys, bytes. */
  keyBytes: 32,
  /** Record ciphertexts, bytes: directory-core's MAX_RECORD_LENGTH. */
  maxRecordBytes: 1565,
  /** Requester names, UTF-16 units. */
  maxRequesterLength: 128,
});

/** Bus subjects of the push service: its request/reply API and the event gateways publish. */
export const PUSH_SUBJECTS = Object.freeze({
  register: 'tacit.push.v1.register',
  unregister: 'tacit.push.v1.unregister',
  /** QueuedEvent, published without a reply after a packet was queued for a mailbox nobody held. */
  queued: 'tacit.push.v1.queued',
} as const);

/** Queue group the push service's replicas serve in. */
export const PUSH_GROUP = 'push';

/** The push service's request/reply API: subject, queue group and messages of each request. */
export const PUSH_ROUTES = Object.freeze({
  register: busRoute(PUSH_SUBJECTS.register, pushV1.RegisterRequestSchema, pushV1.RegisterReplySchema, PUSH_GROUP),
  unregister: busRoute(PUSH_SUBJECTS.unregister, pushV1.UnregisterRequestSchema, pushV1.UnregisterReplySchema, PUSH_GROUP),
});

/** What one push request may carry (the service refuses more with MALFORMED). */
export const PUSH_LIMITS = Object.freeze({
  /** Peer keys and dests, bytes. */
  keyBytes: 32,
  /** Dests in one registration: a CLAIM's most (MAX_CLAIM), i.e. 42 days of hourly epochs. */
  maxDests: 1024,
  /** Provider tokens and Web Push endpoints, UTF-16 units. */
  maxTargetLength: 2048,
  /** Requester names, UTF-16 units. */
  maxRequesterLength: 128,
});
