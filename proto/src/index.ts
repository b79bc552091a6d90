// Generated protobuf modules of everything that crosses NATS, one namespace per package so names
// like AckRequest never collide across services, plus the runtime calls needed to use them.
export * as queueV1 from './gen/tacit/queue/v1/queue_pb.js';
export * as gatewayV1 from './gen/tacit/gateway/v1/gateway_pb.js';
export * as prekeyV1 from './gen/tacit/prekey/v1/prekey_pb.js';
export * as directoryV1 from './gen/tacit/directory/v1/directory_pb.js';
export * as pushV1 from './gen/tacit/push/v1/push_pb.js';
/** Bus subjects of every service, shared by the services and their callers. */
export {
  DIRECTORY_GROUP,
  DIRECTORY_LIMITS,
  DIRECTORY_ROUTES,
  DIRECTORY_SUBJECTS,
  GATEWAY_SUBJECTS,
  PREKEY_GROUP,
  PREKEY_LIMITS,
  PREKEY_ROUTES,
  PREKEY_SUBJECTS,
  PUSH_GROUP,
  PUSH_LIMITS,
  PUSH_ROUTES,
  PUSH_SUBJECTS,
  QUEUE_GROUP,
  QUEUE_LIMITS,
  QUEUE_ROUTES,
  QUEUE_SUBJECTS,
} from './subjects.js';
/** A request/reply API on the bus: subject, queue group and messages. */
export { busRoute, type BusRoute } from './routes.js';
export { encodeMessage } from './fast-codec.js';
export { varintSize, writeVarint } from './hand-wire.js';
/** The packed forms of tacit.queue.v1 (DrainReply.packed, AckRequest.packed_refs and packed_seqs). */
export {
  packAckRefs,
  packAckSeqs,
  packPackets,
  unpackPackets,
  QUEUE_PACKED_DAY_AT,
  QUEUE_PACKED_HEAD,
  QUEUE_PACKED_LENGTH_AT,
  QUEUE_PACKED_MAILBOX_AT,
  QUEUE_PACKED_PACKET_ID_AT,
  QUEUE_PACKED_REF_BYTES,
  QUEUE_PACKED_SEQ_BYTES,
  type PackedAckRef,
  type PackedPacket,
} from './queue-packed.js';
/** Build, encode and decode messages (re-exported so services need no direct runtime dependency). */
export { create, toBinary, fromBinary, type MessageShape, type MessageInitShape } from '@bufbuild/protobuf';
