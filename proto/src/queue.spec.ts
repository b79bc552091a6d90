import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  create,
  fromBinary,
  packAckRefs,
  packAckSeqs,
  packPackets,
  toBinary,
  unpackPackets,
  queueV1,
  QUEUE_PACKED_REF_BYTES,
  QUEUE_PACKED_SEQ_BYTES,
  QUEUE_GROUP,
  QUEUE_SUBJECTS,
  QUEUE_PACKED_DAY_AT,
  QUEUE_PACKED_HEAD,
  QUEUE_PACKED_LENGTH_AT,
  QUEUE_PACKED_MAILBOX_AT,
  QUEUE_PACKED_PACKET_ID_AT,
} from './index.js';

describe('tacit.queue.v1', () => {
  it('round-trips an EnqueueRequest', () => {
    const id = new Uint8Array(16).fill(7);
    const msg = create(queueV1.EnqueueRequestSchema, {
      packets: [{ mailboxId: id, packetId: id, packet: new Uint8Array([1, 2, 3]), ttlSeconds: 60 }],
    });
    const back = fromBinary(queueV1.EnqueueRequestSchema, toBinary(queueV1.EnqueueRequestSchema, msg));
    assert.equal(back.packets.length, 1);
    assert.deepEqual(back.packets[0]?.packet, new Uint8Array([1, 2, 3]));
    assert.equal(back.packets[0]?.ttlSeconds, 60);
  });

  it('keeps the uint64 seq of a DrainReply exact above 2^53', () => {
    const seq = 2n ** 60n + 1n;
    const bytes = toBinary(queueV1.DrainReplySchema, create(queueV1.DrainReplySchema, { packets: [{ seq }], more: true }));
    const back = fromBinary(queueV1.DrainReplySchema, bytes);
    assert.equal(back.packets[0]?.seq, seq);
    assert.equal(back.more, true);
  });

  it('packs drained packets into DrainReply.packed and back, as views', () => {
    const id = (n: number): Uint8Array => new Uint8Array(16).fill(n);
    const packets = [
      { seq: 2n ** 60n + 1n, expiryDay: 20_000, mailboxId: id(1), packetId: id(2), packet: new Uint8Array([9, 8, 7]) },
      { seq: 5n, expiryDay: 0, mailboxId: id(3), packetId: id(4), packet: new Uint8Array(0) },
    ];
    const packed = packPackets(packets);
    assert.equal(packed.length, 2 * 48 + 3);
    const back = unpackPackets(packed);
    assert.deepEqual(back, packets);
    assert.equal(back[0]!.packet.buffer, packed.buffer);
    assert.throws(() => unpackPackets(packed.subarray(0, 50)), RangeError);
    assert.throws(() => packPackets([{ ...packets[0]!, mailboxId: new Uint8Array(15) }]), RangeError);
  });

  it('packs ack refs for AckRequest.packed_refs: ids, then the day big-endian', () => {
    const refs = packAckRefs([
      { mailboxId: new Uint8Array(16).fill(1), packetId: new Uint8Array(16).fill(2), expiryDay: 0x01020304 },
      { mailboxId: new Uint8Array(16).fill(3), packetId: new Uint8Array(16).fill(4) },
    ]);
    assert.equal(refs.length, 2 * QUEUE_PACKED_REF_BYTES);
    assert.deepEqual([...refs.subarray(30, 36)], [2, 2, 1, 2, 3, 4]);
    assert.deepEqual([...refs.subarray(68, 72)], [0, 0, 0, 0]);
  });

  it('packs ack seqs for AckRequest.packed_seqs: 8 bytes big-endian per ref, 0 where none, and they round-trip', () => {
    const refs = [
      { mailboxId: new Uint8Array(16), packetId: new Uint8Array(16), seq: 0x0102030405060708n },
      { mailboxId: new Uint8Array(16), packetId: new Uint8Array(16) },
      { mailboxId: new Uint8Array(16), packetId: new Uint8Array(16), seq: 2n ** 63n - 1n },
    ];
    const seqs = packAckSeqs(refs);
    assert.equal(seqs.length, 3 * QUEUE_PACKED_SEQ_BYTES);
    assert.deepEqual([...seqs.subarray(0, 8)], [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual([...seqs.subarray(8, 16)], [0, 0, 0, 0, 0, 0, 0, 0]);
    const req = fromBinary(
      queueV1.AckRequestSchema,
      toBinary(queueV1.AckRequestSchema, create(queueV1.AckRequestSchema, { packedRefs: packAckRefs(refs), packedSeqs: seqs })),
    );
    assert.deepEqual(req.packedSeqs, seqs);
    assert.equal(new DataView(req.packedSeqs.buffer, req.packedSeqs.byteOffset).getBigUint64(16), 2n ** 63n - 1n);
  });

  it('packs number seqs as the same 8 bytes as their bigints, and refuses one that is not a safe non-negative integer', () => {
    const ids = { mailboxId: new Uint8Array(16), packetId: new Uint8Array(16) };
    for (const seq of [0, 1, 255, 2 ** 31 - 1, 2 ** 32, 2 ** 32 + 7, 0x0102030405, Number.MAX_SAFE_INTEGER]) {
      assert.deepEqual(packAckSeqs([{ ...ids, seq }]), packAckSeqs([{ ...ids, seq: BigInt(seq) }]), String(seq));
    }
    for (const seq of [-1, 1.5, 2 ** 53, Number.NaN, Infinity]) assert.throws(() => packAckSeqs([{ ...ids, seq }]), RangeError, String(seq));
  });

  it('names the offsets of a packed record: seq, day, mailbox id, packet id, length, then the packet', () => {
    assert.deepEqual(
      [QUEUE_PACKED_DAY_AT, QUEUE_PACKED_MAILBOX_AT, QUEUE_PACKED_PACKET_ID_AT, QUEUE_PACKED_LENGTH_AT, QUEUE_PACKED_HEAD],
      [8, 12, 28, 44, 48],
    );
  });

  it('pins the bus subjects and queue group of tacit.queue.v1 (a wire contract between gateway and queue)', () => {
    assert.deepEqual({ ...QUEUE_SUBJECTS }, { enqueue: 'tacit.queue.v1.enqueue', drain: 'tacit.queue.v1.drain', ack: 'tacit.queue.v1.ack' });
    assert.equal(QUEUE_GROUP, 'queue');
    assert.ok(Object.isFrozen(QUEUE_SUBJECTS));
  });

  it('pins the wire numbers of EnqueueStatus', () => {
    assert.equal(queueV1.EnqueueStatus.STORED, 1);
    assert.equal(queueV1.EnqueueStatus.DUPLICATE, 2);
    assert.equal(queueV1.EnqueueStatus.MAILBOX_FULL, 3);
  });
});
