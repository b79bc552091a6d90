// The hand-written encoders against protobuf-es: the same bytes for every shape they take, the
// same decoded message, and protobuf-es's own output for every shape they do not take.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { create, encodeMessage, fromBinary, gatewayV1, queueV1, toBinary } from './index.js';

// Lengths around each varint width (1, 2 and 3 bytes), a drain page's and nothing.
const LENGTHS = [0, 1, 127, 128, 16_383, 16_384, 150_000];
const bytes = (n: number) => new Uint8Array(randomBytes(n));

describe('encodeMessage', () => {
  it('encodes DrainReply as protobuf-es does, byte for byte, and it decodes to the same message', () => {
    for (const n of LENGTHS) {
      for (const more of [false, true]) {
        const m = create(queueV1.DrainReplySchema, { more, packed: bytes(n) });
        const got = encodeMessage(queueV1.DrainReplySchema, m);
        assert.deepEqual(Buffer.from(got), Buffer.from(toBinary(queueV1.DrainReplySchema, m)), `packed ${n}, more ${more}`);
        assert.deepEqual(fromBinary(queueV1.DrainReplySchema, got), m);
      }
    }
  });

  it('encodes AckRequest with packed refs and seqs as protobuf-es does', () => {
    for (const refs of LENGTHS) {
      for (const seqs of [0, 8, 200, 8_000]) {
        const m = create(queueV1.AckRequestSchema, { packedRefs: bytes(refs), packedSeqs: bytes(seqs) });
        const got = encodeMessage(queueV1.AckRequestSchema, m);
        assert.deepEqual(Buffer.from(got), Buffer.from(toBinary(queueV1.AckRequestSchema, m)), `refs ${refs}, seqs ${seqs}`);
        assert.deepEqual(fromBinary(queueV1.AckRequestSchema, got), m);
      }
    }
  });

  it('leaves to protobuf-es what it does not write by hand: messages per packet or per ref, unknown fields, other messages', () => {
    const packets = create(queueV1.DrainReplySchema, { more: true, packets: [{ seq: 5n, packet: bytes(40), mailboxId: bytes(16), packetId: bytes(16) }] });
    const refs = create(queueV1.AckRequestSchema, { refs: [{ mailboxId: bytes(16), packetId: bytes(16) }], packedSeqs: bytes(8) });
    // A field this build does not know (a newer peer's), kept in $unknown and written back.
    const unknown = fromBinary(queueV1.DrainReplySchema, Uint8Array.of(0x10, 0x01, 0x98, 0x06, 0x07));
    assert.ok((unknown.$unknown?.length ?? 0) > 0);
    const other = create(gatewayV1.ReplicaStatusesSchema, { acked: [1, 2, 3], busy: [9] });
    for (const [schema, m] of [
      [queueV1.DrainReplySchema, packets],
      [queueV1.AckRequestSchema, refs],
      [queueV1.DrainReplySchema, unknown],
      [gatewayV1.ReplicaStatusesSchema, other],
    ] as const) {
      assert.deepEqual(Buffer.from(encodeMessage(schema, m as never)), Buffer.from(toBinary(schema, m as never)), schema.typeName);
    }
  });
});
