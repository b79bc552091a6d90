// Fuzz target: fromBinary of every protobuf message that crosses NATS (tacit.queue.v1 and
// tacit.gateway.v1), on arbitrary bytes; the first byte picks the message. Checks: a malformed
// message raises protobuf-es's Error or RangeError, or the TypeError of invalid UTF-8 in a string
// (nothing else, and it returns);
// what decodes encodes again to bytes that decode to an equal message and encode the same way.
import { create, equals, fromBinary, toBinary, type DescMessage } from '@bufbuild/protobuf';
import * as gatewayV1 from '../gen/tacit/gateway/v1/gateway_pb.js';
import * as queueV1 from '../gen/tacit/queue/v1/queue_pb.js';
import { expect, sameBytes } from './_fuzz.js';

/** Every message schema of the bus: requests, replies and the gateways' own. */
export const SCHEMAS: readonly DescMessage[] = ([...Object.values(queueV1), ...Object.values(gatewayV1)] as unknown[]).filter(
  (v): v is DescMessage => typeof v === 'object' && v !== null && (v as DescMessage).kind === 'message',
);

// protobuf-es reports malformed input with Error and RangeError (wire/binary-encoding.js,
// from-binary.js), and a proto3 string that is not UTF-8 with the TypeError of Node's fatal
// TextDecoder.
function isDecodeError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.constructor === Error || err.constructor === RangeError) return true;
  return err instanceof TypeError && (err as { code?: unknown }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA';
}

export function fuzz(data: Uint8Array): void {
  if (data.length === 0) return;
  const schema = SCHEMAS[data[0]! % SCHEMAS.length]!;
  let msg;
  try {
    msg = fromBinary(schema, data.subarray(1));
  } catch (err) {
    if (isDecodeError(err)) return;
    throw err;
  }
  const bytes = toBinary(schema, msg);
  const again = fromBinary(schema, bytes);
  expect(equals(schema, msg, again), `${schema.typeName}: decode(encode(m)) differs from m`);
  expect(sameBytes(toBinary(schema, again), bytes), `${schema.typeName}: encoding is not stable`);
}

/** One filled-in message of each schema, after its selector byte. */
export function seeds(): Uint8Array[] {
  const id = (b: number) => new Uint8Array(16).fill(b);
  const packet = new Uint8Array(330).fill(7);
  const samples: Record<string, Record<string, unknown>> = {
    'tacit.queue.v1.QueuedPacket': { mailboxId: id(1), packetId: id(2), packet, ttlSeconds: 3600 },
    'tacit.queue.v1.EnqueueRequest': { packets: [{ mailboxId: id(1), packetId: id(2), packet, ttlSeconds: 60 }] },
    'tacit.queue.v1.EnqueueResult': { status: 1 },
    'tacit.queue.v1.EnqueueReply': { results: [{ status: 1 }, { status: 3 }] },
    'tacit.queue.v1.DrainRequest': { mailboxIds: [id(1), id(3)], afterSeq: 12n, limit: 100, packed: true },
    'tacit.queue.v1.StoredPacket': { seq: 2n ** 40n, mailboxId: id(1), packetId: id(2), packet, expiryDay: 20_000 },
    'tacit.queue.v1.DrainReply': { packets: [{ seq: 1n, mailboxId: id(1), packetId: id(2), packet, expiryDay: 1 }], more: true, packed: new Uint8Array(60) },
    'tacit.queue.v1.AckRef': { mailboxId: id(1), packetId: id(2), expiryDay: 20_001 },
    'tacit.queue.v1.AckRequest': { refs: [{ mailboxId: id(1), packetId: id(2) }], packedRefs: new Uint8Array(72), packedSeqs: new Uint8Array(16) },
    'tacit.queue.v1.AckReply': { deleted: 3 },
    'tacit.gateway.v1.DeliverBatch': { packets: [packet, packet] },
    'tacit.gateway.v1.MailboxEvent': { event: { case: 'deliverBatch', value: { packets: [packet, packet] } } },
    'tacit.gateway.v1.MailboxEventReply': { status: 1, statuses: [1, 2], replica: 'r-1' },
    'tacit.gateway.v1.ReplicaBatch': { firstTicket: 7, statusSubject: 'tacit.gws.abc', packets: [packet] },
    'tacit.gateway.v1.ReplicaBatchReply': { notHere: [0, 2] },
    'tacit.gateway.v1.ReplicaStatuses': { acked: [1, 2], busy: [3] },
  };
  return SCHEMAS.map((schema, i) => {
    const body = toBinary(schema, create(schema, samples[schema.typeName] ?? {}));
    const out = new Uint8Array(1 + body.length);
    out[0] = i;
    out.set(body, 1);
    return out;
  });
}
