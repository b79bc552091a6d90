import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessBus, TimeoutError, UnavailableError } from '@tacit/kit';
import { GATEWAY_SUBJECTS } from '@tacit/proto';
import { ErrorCode } from '@tacit/protocol';
import { keyOf } from './keys.js';
import { hexId } from './presence.js';
import { Router } from './router.js';
import { ackFrame, FakeQueue, Owner, replica, sendFrame, until, type Replica } from './spec-fixtures.js';

/** The cells the router counts, read as the scrape reads them. */
async function accepted(r: Replica): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await r.meters.m.accepted.get()).values) out[String(v.labels.path)] = v.value;
  return out;
}

/** Sends `packet` from a sender connection on `from` and resolves to the frame that answered it. */
async function send(from: Replica, frame: Uint8Array, sender = from.open()) {
  from.receive(sender.conn, frame);
  await until(() => sender.ws.written.length > 0, 5000, 'the answer to the send');
  return { answer: sender.ws.frames()[0]!, sender };
}

/** The recipient acks every DELIVER that reaches `ws` (as the SDK does). */
function autoAck(r: Replica, c: Awaited<ReturnType<Replica['claimed']>>): () => void {
  let stop = false;
  void (async () => {
    while (!stop) {
      const delivered = c.ws.frames().flatMap((f) => (f.type === 'deliver' ? [f.packet.packetId] : []));
      if (delivered.length > 0) r.receive(c.conn, ackFrame(delivered));
      await new Promise((res) => setTimeout(res, 1));
    }
  })();
  return () => void (stop = true);
}

describe(Router.name, () => {
  const open: Replica[] = [];
  const stops: Array<() => void> = [];
  afterEach(async () => {
    for (const s of stops.splice(0)) s();
    await Promise.all(open.splice(0).map((r) => r.close()));
  });
  /** Replicas on one in-process bus, sharing one queue (as the cluster shares the queue service). */
  const cluster = (n: number, config: Record<string, string> = {}): Replica[] => {
    const bus = new InProcessBus();
    const queue = new FakeQueue();
    const rs = Array.from({ length: n }, () => replica({ bus, queue, config }));
    open.push(...rs);
    return rs;
  };

  it('live, this replica: delivered to the claiming connection, ACCEPTED once it acks; nothing queued', async () => {
    const [a] = cluster(1);
    const bob = new Owner();
    const rx = await a!.claimed(bob);
    stops.push(autoAck(a!, rx));
    const p = bob.packet();
    const { answer } = await send(a!, sendFrame(p));
    assert.ok(answer.type === 'accepted');
    assert.deepEqual(answer.packetIds.map((x) => Buffer.from(x)), [Buffer.from(p.packetId)]);
    assert.equal(a!.queue.enqueued.length, 0);
    assert.equal((await accepted(a!)).live_local, 1);
  });

  it('live, another replica: handed over the bus, ACCEPTED once acked there; the mailbox\'s replica is learned, and the next packet goes by replica', async () => {
    const [a, b] = cluster(2);
    const bob = new Owner();
    const rx = await b!.claimed(bob);
    stops.push(autoAck(b!, rx));
    const sender = a!.open();
    const first = await send(a!, sendFrame(bob.packet()), sender);
    assert.equal(first.answer.type, 'accepted');
    assert.equal(a!.link.routes.get(keyOf(bob.mailbox)), b!.identity.id, 'the reply named the replica');
    const second = await send(a!, sendFrame(bob.packet()), sender);
    assert.equal(second.answer.type, 'accepted');
    assert.equal((await accepted(a!)).live_remote, 2);
    assert.equal((await a!.meters.m.remoteRequests.get()).values.find((v) => v.labels.route === 'replica')?.value, 1, 'by replica, once');
    assert.equal(a!.queue.enqueued.length, 0);
  });

  it('nobody online: queued at once (no responders; the poke after the commit is an event, no reply awaited), ACCEPTED', async () => {
    const [a] = cluster(1);
    const bob = new Owner();
    const { answer } = await send(a!, sendFrame(bob.packet()));
    assert.equal(answer.type, 'accepted');
    assert.equal(a!.queue.enqueued.length, 1);
    assert.equal((await accepted(a!)).queued, 1);
  });

  it('nobody online when asked, but the recipient claims (on another replica) before the commit: the commit pokes it, and it drains the packet', async () => {
    const [a, b] = cluster(2);
    const bob = new Owner();
    let commit!: () => void;
    a!.queue.gate = new Promise((r) => (commit = r));
    const sender = a!.open();
    const p = bob.packet();
    a!.receive(sender.conn, sendFrame(p));
    await until(() => a!.queue.enqueued.length === 1, 3000, 'the enqueue, after nobody answered');
    const drains = a!.queue.drains.length;
    const rx = await b!.claimed(bob);
    await until(() => a!.queue.drains.length > drains, 3000, 'the claim\'s drain');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(rx.ws.frames(false).filter((f) => f.type === 'deliver').length, 0, 'the claim\'s drain ran before the commit: nothing to deliver yet');
    commit();
    await until(() => rx.ws.frames(false).some((f) => f.type === 'deliver'), 3000, 'the packet, delivered by the drain the commit\'s poke started');
    const delivered = rx.ws.frames().flatMap((f) => (f.type === 'deliver' ? [Buffer.from(f.packet.packetId)] : []));
    assert.deepEqual(delivered, [Buffer.from(p.packetId)]);
    await until(() => sender.ws.frames(false).some((f) => f.type === 'accepted'), 3000, 'ACCEPTED for the queued packet');
  });

  it('busy: a recipient that does not ack within the live-ack timeout gets it again by its drain; the sender hears ACCEPTED once it is queued', async () => {
    const [a, b] = cluster(2, { GATEWAY_LIVE_ACK_TIMEOUT_MS: '50' });
    const bob = new Owner();
    const rx = await b!.claimed(bob);
    const p = bob.packet();
    const { answer } = await send(a!, sendFrame(p));
    assert.equal(answer.type, 'accepted');
    assert.equal(a!.queue.enqueued.length, 1, 'queued after the timeout');
    // Poked: b drains again and delivers the queued copy (the live one lapsed unacked); the SDK
    // drops the duplicate by its packet id.
    await until(() => rx.ws.written.length >= 2, 3000, 'the queued copy, delivered by the poke\'s drain');
    const delivered = rx.ws.frames().flatMap((f) => (f.type === 'deliver' ? [Buffer.from(f.packet.packetId)] : []));
    assert.deepEqual(delivered, [Buffer.from(p.packetId), Buffer.from(p.packetId)]);
  });

  it('failed: a replica that never answers is given up after the timeout; the packet is queued and the mailbox poked', async () => {
    const [a] = cluster(1, { GATEWAY_LIVE_ACK_TIMEOUT_MS: '50' });
    const bob = new Owner();
    // A listener on the mailbox subject that never replies: the request waits out its timeout.
    const pokes: number[] = [];
    const sub = a!.bus.subscribe(GATEWAY_SUBJECTS.mailbox + hexId(bob.mailbox), () => void pokes.push(1));
    try {
      const { answer } = await send(a!, sendFrame(bob.packet()));
      assert.equal(answer.type, 'accepted');
      assert.equal(a!.queue.enqueued.length, 1);
      await until(() => pokes.length >= 2, 3000, 'the poke after the failed delivery');
    } finally {
      sub.unsubscribe();
    }
  });

  it('moved: a packet sent by replica to one that no longer holds the mailbox goes again by mailbox, to where it is now', async () => {
    const [a, b, c] = cluster(3);
    const bob = new Owner();
    const onB = await b!.claimed(bob);
    stops.push(autoAck(b!, onB));
    const sender = a!.open();
    await send(a!, sendFrame(bob.packet()), sender);
    assert.equal(a!.link.routes.get(keyOf(bob.mailbox)), b!.identity.id);
    // Bob moves to c.
    b!.connections.detach(onB.conn);
    const onC = await c!.claimed(bob);
    stops.push(autoAck(c!, onC));
    const { answer } = await send(a!, sendFrame(bob.packet()), sender);
    assert.equal(answer.type, 'accepted');
    assert.equal((await a!.meters.m.rerouted.get()).values[0]?.value, 1);
    assert.equal(a!.link.routes.get(keyOf(bob.mailbox)), c!.identity.id, 'the new replica learned');
    assert.equal(a!.queue.enqueued.length, 0);
  });

  it('a replica gone (nobody serves its id): its packets go by mailbox and its routes are forgotten', async () => {
    const [a, b] = cluster(2);
    const bob = new Owner();
    const onB = await b!.claimed(bob);
    const sender = a!.open();
    stops.push(autoAck(b!, onB));
    await send(a!, sendFrame(bob.packet()), sender);
    b!.link.close();
    b!.connections.detach(onB.conn);
    const { answer } = await send(a!, sendFrame(bob.packet()), sender);
    assert.equal(answer.type, 'accepted');
    assert.equal(a!.link.routes.get(keyOf(bob.mailbox)), undefined);
    assert.equal(a!.queue.enqueued.length, 1, 'nobody holds it now: queued');
  });

  it('a RESEND of a packet already made safe is ACCEPTED without a second delivery; a first SEND is never looked up', async () => {
    const [a] = cluster(1);
    const bob = new Owner();
    const p = bob.packet();
    const sender = a!.open();
    assert.equal((await send(a!, sendFrame(p), sender)).answer.type, 'accepted');
    assert.equal((await send(a!, sendFrame(p, true), sender)).answer.type, 'accepted');
    assert.equal(a!.queue.enqueued.length, 1);
    assert.equal((await accepted(a!)).duplicate, 1);
  });

  it('a full mailbox answers MAILBOX_FULL, a relay out of storage or a failing queue UNAVAILABLE, each naming the packet; the connection stays open', async () => {
    const [a] = cluster(1);
    const bob = new Owner();
    const sender = a!.open();
    a!.queue.outcome = 'mailbox_full';
    const full = bob.packet();
    const first = await send(a!, sendFrame(full), sender);
    assert.ok(first.answer.type === 'error');
    assert.equal(first.answer.code, ErrorCode.MAILBOX_FULL);
    assert.deepEqual(Buffer.from(first.answer.ref), Buffer.from(full.packetId));
    a!.queue.outcome = 'storage_full';
    const refused = await send(a!, sendFrame(bob.packet()), sender);
    assert.ok(refused.answer.type === 'error');
    assert.equal(refused.answer.code, ErrorCode.UNAVAILABLE, 'the relay out of storage: v1 carries it as UNAVAILABLE');
    assert.match(refused.answer.message, /STORAGE_FULL/);
    a!.queue.outcome = undefined;
    for (const err of [new UnavailableError('queue down'), new TimeoutError('slow')]) {
      a!.queue.failWith = err;
      const p = bob.packet();
      const { answer } = await send(a!, sendFrame(p), sender);
      assert.ok(answer.type === 'error');
      assert.equal(answer.code, ErrorCode.UNAVAILABLE);
      assert.deepEqual(Buffer.from(answer.ref), Buffer.from(p.packetId));
    }
    assert.equal(sender.ws.closed, undefined);
    assert.equal(sender.conn.inflight, 0, 'every send answered');
  });

  it('charges what an address makes the relay store against its hourly quota: past it, RATE_LIMITED and nothing queued; live deliveries are not charged', async () => {
    const [a] = cluster(1, { GATEWAY_IP_QUEUE_BYTES_PER_HOUR: '64KiB' });
    const bob = new Owner();
    const sender = a!.open();
    const big = (n: number) => bob.packet({ payload: new Uint8Array(16_384), packetId: new Uint8Array(16).fill(n) });
    const answers = [];
    for (let i = 1; i <= 5; i++) answers.push((await send(a!, sendFrame(big(i)), sender)).answer);
    // 16 KiB payloads (~16.5 KB packets): three fit in 64 KiB, the fourth does not.
    assert.deepEqual(answers.map((f) => (f.type === 'error' ? f.code : f.type)), ['accepted', 'accepted', 'accepted', ErrorCode.RATE_LIMITED, ErrorCode.RATE_LIMITED]);
    assert.equal(a!.queue.enqueued.length, 3);
    // The recipient online: live, not stored, not charged.
    const rx = await a!.claimed(bob);
    stops.push(autoAck(a!, rx));
    assert.equal((await send(a!, sendFrame(big(9)), sender)).answer.type, 'accepted');
    // The next hour: a new share.
    a!.clock.advance(3_600_000);
    a!.connections.detach(rx.conn);
    assert.equal((await send(a!, sendFrame(big(10)), sender)).answer.type, 'accepted');
  });

  it('charges what an address makes the relay write per second (GATEWAY_IP_QUEUE_BYTE_RATE): past it, RATE_LIMITED and nothing queued, until the next second', async () => {
    const [a] = cluster(1, { GATEWAY_IP_QUEUE_BYTE_RATE: '64KiB' });
    const bob = new Owner();
    const sender = a!.open();
    const big = (n: number) => bob.packet({ payload: new Uint8Array(16_384), packetId: new Uint8Array(16).fill(n) });
    const answers = [];
    for (let i = 1; i <= 5; i++) answers.push((await send(a!, sendFrame(big(i)), sender)).answer);
    // ~16.5 KB packets against 65,611 bytes a second (the largest frame: the floor): three fit.
    assert.deepEqual(answers.map((f) => (f.type === 'error' ? f.code : f.type)), ['accepted', 'accepted', 'accepted', ErrorCode.RATE_LIMITED, ErrorCode.RATE_LIMITED]);
    const refused = answers[3]!;
    assert.ok(refused.type === 'error' && /per second|this second/.test(refused.message), refused.type === 'error' ? refused.message : '');
    assert.equal(a!.queue.enqueued.length, 3);
    // Past it the sender's connection is not read until the next second (TCP pushes back on it).
    assert.ok(sender.ws.pauses.length > 0 && sender.ws.pauses.every((ms) => ms > 0 && ms <= 1000), JSON.stringify(sender.ws.pauses));
    // Another connection of the same address shares the budget.
    assert.equal((await send(a!, sendFrame(big(6)), a!.open())).answer.type, 'error');
    a!.clock.advance(1000);
    assert.equal((await send(a!, sendFrame(big(7)), sender)).answer.type, 'accepted');
    assert.equal(a!.queue.enqueued.length, 4);
  });

  it('caps a packet\'s queue TTL at GATEWAY_QUEUE_TTL_SECONDS', async () => {
    const [a] = cluster(1, { GATEWAY_QUEUE_TTL_SECONDS: '600' });
    await send(a!, sendFrame(new Owner().packet({ ttlSeconds: 86_400 })));
    assert.equal(a!.queue.enqueued[0]?.ttlSeconds, 600);
  });
});
