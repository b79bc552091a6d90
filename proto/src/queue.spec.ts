import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { create, fromBinary, toBinary, queueV1 } from './index.js';

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

  it('pins the wire numbers of EnqueueStatus', () => {
    assert.equal(queueV1.EnqueueStatus.STORED, 1);
    assert.equal(queueV1.EnqueueStatus.DUPLICATE, 2);
    assert.equal(queueV1.EnqueueStatus.MAILBOX_FULL, 3);
  });
});
