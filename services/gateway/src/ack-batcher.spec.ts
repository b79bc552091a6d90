import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodePacket, ErrorCode } from '@tacit/protocol';
import { AckBatcher } from './ack-batcher.js';
import { ackFrame, Owner, replica, sendFrame, until, type Replica } from './spec-fixtures.js';

describe(AckBatcher.name, () => {
  let sut: Replica;
  afterEach(async () => sut?.close());

  /** Two recipients each with `n` queued packets delivered by their drains. */
  async function delivered(n: number) {
    sut = replica();
    const owners = [new Owner(), new Owner()];
    for (const o of owners) {
      for (let i = 0; i < n; i++) {
        const p = o.packet();
        sut.queue.stored.push({ seq: BigInt(sut.queue.stored.length + 1), expiryDay: 20_100 + i, mailboxId: o.mailbox, packetId: p.packetId, packet: encodePacket(p) });
      }
    }
    const conns = await Promise.all(owners.map((o) => sut.claimed(o)));
    await until(() => conns.every((c) => c.ws.written.length === n), 3000, 'the drained packets');
    return conns.map((c) => ({ ...c, ids: c.ws.frames().flatMap((f) => (f.type === 'deliver' ? [f.packet.packetId] : [])) }));
  }

  it('sends the acks of all connections in one tick to the queue together, each naming the day and seq its drain reported', async () => {
    const [a, b] = await delivered(3);
    sut.receive(a!.conn, ackFrame(a!.ids));
    sut.receive(b!.conn, ackFrame(b!.ids.slice(0, 2)));
    await until(() => sut.queue.acks.length > 0);
    await new Promise((r) => setImmediate(r));
    assert.equal(sut.queue.acks.length, 1, 'one request for the tick');
    const refs = sut.queue.acks[0]!;
    assert.equal(refs.length, 5);
    assert.deepEqual(refs.map((r) => r.expiryDay), [20_100, 20_101, 20_102, 20_100, 20_101]);
    assert.deepEqual(refs.map((r) => r.seq), [1, 2, 3, 4, 5]);
    assert.equal(sut.queue.stored.length, 1, 'the unacked one stays queued');
    assert.equal(b!.conn.pending.size, 1);
  });

  it('answers an ACK naming a packet not delivered on this connection with UNKNOWN_PACKET (its id echoed) and keeps the connection', async () => {
    const [a, b] = await delivered(1);
    sut.receive(a!.conn, ackFrame([b!.ids[0]!, a!.ids[0]!]));
    await until(() => a!.ws.written.length > 0);
    const [err] = a!.ws.frames();
    assert.ok(err?.type === 'error');
    assert.equal(err.code, ErrorCode.UNKNOWN_PACKET);
    assert.deepEqual(Buffer.from(err.ref), Buffer.from(b!.ids[0]!));
    await until(() => sut.queue.acks.length > 0);
    assert.equal(sut.queue.acks[0]!.length, 1, 'its own packet acked all the same');
    assert.equal(b!.conn.pending.size, 1, 'another connection\'s delivery untouched');
    assert.equal(a!.ws.closed, undefined);
  });

  it('a live delivery\'s ACK answers its sender and sends nothing to the queue', async () => {
    sut = replica();
    const bob = new Owner();
    const rx = await sut.claimed(bob);
    const sender = sut.open();
    sut.receive(sender.conn, sendFrame(bob.packet()));
    await until(() => rx.ws.written.length > 0);
    const [deliver] = rx.ws.frames();
    assert.ok(deliver?.type === 'deliver');
    sut.receive(rx.conn, ackFrame([deliver.packet.packetId]));
    await until(() => sender.ws.written.length > 0);
    assert.equal(sender.ws.frames()[0]?.type, 'accepted');
    await new Promise((r) => setImmediate(r));
    assert.equal(sut.queue.acks.length, 0);
  });

  it('a failing queue leaves the packets queued (delivered again later) and throws nothing; settle() waits at most its bound', async () => {
    const [a] = await delivered(2);
    sut.queue.failWith = new Error('down');
    sut.receive(a!.conn, ackFrame(a!.ids));
    await sut.acks.settle(1000);
    assert.equal(sut.queue.stored.length, 4);
    // An ack that never returns: settle gives up after its bound.
    const never = new AckBatcher({ ack: () => new Promise<number>(() => {}) } as never, sut.replies, { warn() {} } as never);
    never.add({ mailboxId: new Uint8Array(16), packetId: new Uint8Array(16) });
    const t0 = Date.now();
    await never.settle(100);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(never.inFlight, 1);
  });
});
