import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { packPackets } from '@tacit/proto';
import { encodePacket, ServerFrameType } from '@tacit/protocol';
import { deliverPage, DRAIN_SLICE, Drainer } from './drainer.js';
import { keyOf } from './keys.js';
import { ackFrame, openConnection, Owner, replica, until, type Replica } from './spec-fixtures.js';

describe(Drainer.name, () => {
  let sut: Replica;
  afterEach(async () => sut?.close());

  /** `n` packets queued for `owner`, in seq order. */
  const queue = (r: Replica, owner: Owner, n: number) => {
    const packets = Array.from({ length: n }, () => owner.packet());
    for (const p of packets) r.queue.stored.push({ seq: BigInt(r.queue.stored.length + 1), expiryDay: 20_000, mailboxId: owner.mailbox, packetId: p.packetId, packet: encodePacket(p) });
    return packets;
  };

  it('drains a claimed mailbox in seq order: a small first page, then pages that fill the window, each after the last seq', async () => {
    sut = replica({ config: { GATEWAY_DELIVERY_WINDOW: '2000' } });
    const bob = new Owner();
    const packets = queue(sut, bob, 700);
    const { ws, conn } = await sut.claimed(bob);
    await until(() => ws.written.length === 700, 5000, 'every queued packet');
    const ids = ws.frames().map((f) => (f.type === 'deliver' ? Buffer.from(f.packet.packetId) : undefined));
    assert.deepEqual(ids, packets.map((p) => Buffer.from(p.packetId)), 'in order, each once');
    assert.deepEqual(sut.queue.drains.map((d) => [d.afterSeq, d.limit]), [[0n, 64], [64n, 512], [576n, 512]]);
    assert.equal(conn.drainSeq, 700n);
    assert.equal(conn.draining, false);
  });

  /** 299 dests of `owner` other than its current one, then its current one (whose mailbox holds what `queue` puts). */
  const many = (owner: Owner) => [...Array.from({ length: 299 }, (_, i) => new Uint8Array(32).fill(9).fill(i & 0xff, 0, 1).fill(i >> 8, 1, 2)), owner.dest];

  it('drains many mailboxes slice by slice (DRAIN_SLICE a query), each from the cursor: every packet found, the cursor at the furthest', async () => {
    sut = replica();
    const bob = new Owner();
    const packets = queue(sut, bob, 3);
    const { ws, conn } = await sut.claimed(bob, many(bob));
    await until(() => ws.written.length === 3 && !conn.draining, 3000, 'the packets of the last slice');
    assert.deepEqual(sut.queue.drains.map((d) => [d.mailboxIds.length, d.afterSeq]), [[DRAIN_SLICE, 0n], [DRAIN_SLICE, 0n], [300 - 2 * DRAIN_SLICE, 0n]]);
    assert.equal(new Set(sut.queue.drains.flatMap((d) => d.mailboxIds.map(keyOf))).size, 300, 'every claimed mailbox read once');
    assert.deepEqual(ws.frames().map((f) => (f.type === 'deliver' ? Buffer.from(f.packet.packetId) : undefined)), packets.map((p) => Buffer.from(p.packetId)));
    assert.equal(conn.drainSeq, 3n);
  });

  it('charges the mailboxes a drain reads to the address (GATEWAY_IP_DRAIN_RATE): past it the drain waits for the next second, the claim is answered at once', async () => {
    sut = replica({ config: { GATEWAY_IP_DRAIN_RATE: '150' } });
    const bob = new Owner();
    queue(sut, bob, 1);
    const { ws, count } = await sut.claimed(bob, many(bob));
    assert.equal(count, 300, 'CLAIMED, not refused');
    await new Promise((r) => setTimeout(r, 100));
    // 128 read; 128 more do not fit this second's 150.
    assert.equal(sut.queue.drains.length, 1);
    sut.clock.advance(1000);
    await until(() => sut.queue.drains.length === 2, 3000, 'the second slice the next second');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sut.queue.drains.length, 2, 'the third waits again (128 + 44 > 150)');
    assert.equal(ws.written.length, 0, 'the packet is in the last slice');
    sut.clock.advance(1000);
    await until(() => ws.written.length === 1, 3000, 'the packet the second after');
  });

  it('stops while half the delivery window is unacked, and goes on as acks free it', async () => {
    sut = replica({ config: { GATEWAY_DELIVERY_WINDOW: '100' } });
    const bob = new Owner();
    queue(sut, bob, 300);
    const { ws, conn } = await sut.claimed(bob);
    await until(() => ws.written.length >= 64, 3000);
    await new Promise((r) => setTimeout(r, 50));
    // The first page (64) fills more than half the window (100): no second page until acks.
    assert.equal(ws.written.length, 64);
    assert.equal(conn.draining, true);
    let delivered = 0;
    while (delivered < 300) {
      const ids = ws.frames().flatMap((f) => (f.type === 'deliver' ? [f.packet.packetId] : []));
      delivered += ids.length;
      for (let i = 0; i < ids.length; i += 256) sut.receive(conn, ackFrame(ids.slice(i, i + 256)));
      await until(() => ws.written.length > 0 || delivered >= 300, 3000, `more deliveries after ${delivered}`);
    }
    assert.equal(delivered, 300);
    await until(() => sut.queue.acks.flat().length === 300, 3000, 'the acks at the queue');
    assert.ok(sut.queue.drains.every((d) => d.limit <= 100), 'no page larger than the window');
  });

  it('a client that never acks some packets holds its window at most GATEWAY_DELIVERY_ACK_TIMEOUT_MS: the drain goes on past them', async () => {
    sut = replica({ config: { GATEWAY_DELIVERY_WINDOW: '100', GATEWAY_DELIVERY_ACK_TIMEOUT_MS: '200' } });
    const bob = new Owner();
    const junk = queue(sut, bob, 150);
    const real = queue(sut, bob, 1)[0]!;
    const { ws, conn } = await sut.claimed(bob);
    // The client acks nothing (junk it cannot read): 64, then the rest after the window expires.
    await until(() => ws.frames(false).some((f) => f.type === 'deliver' && Buffer.from(f.packet.packetId).equals(Buffer.from(real.packetId))), 5000, 'the real packet behind 150 unacked');
    assert.ok(conn.expired >= 64, `${conn.expired} deliveries expired from the window`);
    assert.equal(sut.queue.stored.length, junk.length + 1, 'nothing deleted: unacked packets stay queued');
  });

  it('a drain asked for while one runs runs again after it, from the start: a packet committed behind the page in flight is found', async () => {
    sut = replica();
    const bob = new Owner();
    const { ws, conn } = await sut.claimed(bob);
    await until(() => !conn.draining);
    const [early, late] = queue(sut, bob, 2);
    // The queue committed seq 2 first: the page in flight holds it, not seq 1.
    const behind = sut.queue.stored.shift()!;
    sut.drainer.redrain(conn);
    sut.queue.stored.unshift(behind); // seq 1 commits while that page is in flight, and pokes
    sut.drainer.redrain(conn);
    sut.drainer.redrain(conn);
    await until(() => ws.written.length === 2 && !conn.draining, 3000, 'both packets');
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    const ids = ws.frames().map((f) => (f.type === 'deliver' ? hex(f.packet.packetId) : ''));
    assert.deepEqual(ids.sort(), [hex(early!.packetId), hex(late!.packetId)].sort(), 'each packet once, however many drains were asked for');
    assert.deepEqual(sut.queue.drains.slice(-2).map((d) => d.afterSeq), [0n, 0n], 'the run after the poke started from the start');
  });

  it('a failing queue ends the drain (logged, flags reset); the next poke drains again', async () => {
    sut = replica();
    const bob = new Owner();
    const { ws, conn } = await sut.claimed(bob);
    await until(() => !conn.draining);
    queue(sut, bob, 2);
    sut.queue.failWith = new Error('down');
    sut.drainer.redrain(conn);
    await until(() => !conn.draining);
    assert.equal(ws.written.length, 0);
    sut.queue.failWith = undefined;
    sut.drainer.redrain(conn);
    await until(() => ws.written.length === 2, 3000);
  });

  it('retries a failed drain by itself, 250 ms doubling while it fails, and starts again at 250 ms after a success', async () => {
    sut = replica();
    const bob = new Owner();
    const { ws, conn } = await sut.claimed(bob);
    await until(() => !conn.draining);
    queue(sut, bob, 2);
    sut.queue.failWith = new Error('down');
    const calls = sut.queue.drainCalls;
    const t0 = performance.now();
    sut.drainer.redrain(conn);
    // The first try, then retries at ~250 and ~750 ms: three drains failed, no poke between.
    await until(() => sut.queue.drainCalls >= calls + 3, 3000, 'two retries');
    const waited = performance.now() - t0;
    assert.ok(waited >= 700, `the second retry came ${waited.toFixed(0)} ms after the first try (250 + 500 expected)`);
    sut.queue.failWith = undefined;
    await until(() => ws.written.length === 2, 3000, 'the packets, by the next retry');
    // A success forgets the backoff: the next failure waits 250 ms again, not 2 s.
    sut.queue.failWith = new Error('down');
    const before = sut.queue.drainCalls;
    const t1 = performance.now();
    sut.drainer.redrain(conn);
    await until(() => sut.queue.drainCalls >= before + 2, 3000, 'a retry');
    const again = performance.now() - t1;
    assert.ok(again < 1000, `retried after ${again.toFixed(0)} ms`);
    sut.queue.failWith = undefined;
  });

  it('asks the queue nothing for a connection that claimed nothing or closed', async () => {
    sut = replica();
    const { conn } = sut.connect();
    conn.state = 'open';
    await sut.drainer.drain(conn);
    conn.state = 'closing';
    conn.claimed.set('x'.repeat(16));
    await sut.drainer.drain(conn);
    assert.equal(sut.queue.drains.length, 0);
  });
});

describe('deliverPage: a drained page read where it lies', () => {
  const open = () => openConnection(64);
  /** The binary messages of a buffer of unmasked server frames. */
  const messages = (buf: Uint8Array): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let at = 0; at < buf.length; ) {
      assert.equal(buf[at], 0x82, 'final binary frame');
      let n = buf[at + 1]!;
      let head = 2;
      if (n === 126) [n, head] = [(buf[at + 2]! << 8) | buf[at + 3]!, 4];
      out.push(buf.subarray(at + head, at + head + n));
      at += head + n;
    }
    return out;
  };
  const mbxA = new Uint8Array(16).fill(0xa1);
  const mbxB = new Uint8Array(16).fill(0xb2);
  const pkt = (seq: bigint, mailboxId: Uint8Array, size: number) => ({
    seq,
    expiryDay: 20_600,
    mailboxId,
    packetId: new Uint8Array(randomBytes(16)),
    packet: new Uint8Array(randomBytes(size)),
  });

  it('sends every packet not already out as one buffer of DELIVER frames, takes each once, and moves the cursor to the last seq', () => {
    const { conn, sent } = open();
    const packets = [pkt(7n, mbxA, 40), pkt(9n, mbxA, 300), pkt(2n ** 40n + 3n, mbxB, 125), pkt(2n ** 40n + 5n, mbxA, 0)];
    // The second packet is already out live (its live wait timed out and the sender queued it).
    conn.offerLive(new Uint8Array(8), keyOf(packets[1]!.packetId), () => {});
    sent.length = 0;
    assert.equal(deliverPage(conn, packPackets(packets)), 4);
    assert.equal(sent.length, 1, 'one write for the page');
    const got = messages(sent[0]!);
    assert.deepEqual(
      got.map((m) => [m[0], Buffer.from(m.subarray(1))]),
      [packets[0]!, packets[2]!, packets[3]!].map((p) => [ServerFrameType.DELIVER, Buffer.from(p.packet)]),
    );
    assert.equal(conn.drainSeq, 2n ** 40n + 5n);
    assert.equal(conn.pending.size, 4);
    const refs = packets.map((p) => conn.settle(keyOf(p.packetId), true)!);
    assert.deepEqual(
      refs.map((r) => [Buffer.from(r.mailboxId), Buffer.from(r.packetId), r.expiryDay, r.seq]),
      packets.map((p) => [Buffer.from(p.mailboxId), Buffer.from(p.packetId), 20_600, Number(p.seq)]),
    );
    // Ids are copies (an unacked entry does not hold the page), one per run of a mailbox.
    assert.equal(refs[0]!.mailboxId, refs[1]!.mailboxId);
    assert.notEqual(refs[2]!.mailboxId, refs[3]!.mailboxId);
    assert.equal(refs[0]!.mailboxId.buffer.byteLength, 16);
    // The same page again: nothing new goes out while its packets are unacked.
    const again = open();
    deliverPage(again.conn, packPackets(packets));
    again.sent.length = 0;
    assert.equal(deliverPage(again.conn, packPackets(packets)), 4);
    assert.equal(again.sent.length, 0);
  });

  it('an empty page takes nothing and leaves the cursor; a truncated one throws RangeError before taking anything', () => {
    const { conn, sent } = open();
    conn.drainSeq = 5n;
    assert.equal(deliverPage(conn, new Uint8Array(0)), 0);
    const page = packPackets([pkt(10n, mbxA, 50), pkt(11n, mbxA, 50)]);
    for (const cut of [1, 47, 48, page.length - 50, page.length - 1]) {
      assert.throws(() => deliverPage(conn, page.subarray(0, cut)), RangeError, `cut at ${cut}`);
    }
    assert.deepEqual([sent.length, conn.pending.size, conn.drainSeq], [0, 0, 5n]);
  });
});
