// The queued events a gateway publishes for the push service (router.ts, `wake`), watched from
// another connection to a real nats-server as the push service would watch them: one QueuedEvent
// naming the mailbox per send queued while nobody held it, and one per mailbox for the sends one
// turn of the event loop committed (a group commit's burst), none for a live delivery, a
// send queued while its recipient was online, or a duplicate; none with GATEWAY_PUSH_EVENTS=false;
// and a publish that fails is counted while the send is still ACCEPTED. What a publish costs the
// send path is measured here too.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { InProcessBus, NatsBus, UnavailableError, type Bus } from '@tacit/kit';
import { fromBinary, PUSH_SUBJECTS, pushV1 } from '@tacit/proto';
import { BusPushClient, encodeQueuedEvent, type PushClient } from '@tacit/push-client';
import { BusClientProxy } from '@tacit/platform';
import { startNats, type NatsServer } from '@tacit/testing';
import { ackFrame, Owner, replica, sendFrame, until, type Replica } from './spec-fixtures.js';

/** Sends `frame` from a fresh connection on `r` and resolves to the frame that answered it. */
async function send(r: Replica, frame: Uint8Array, sender = r.open()) {
  r.receive(sender.conn, frame);
  await until(() => sender.ws.written.length > 0, 5000, 'the answer to the send');
  return sender.ws.frames()[0]!;
}

/** The recipient acks every DELIVER that reaches it (as the SDK does). */
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

/** The cells of push_events_total, by outcome. */
async function pushEvents(r: Replica): Promise<Record<string, number>> {
  return Object.fromEntries((await r.meters.m.pushEvents.get()).values.map((v) => [String(v.labels.outcome), v.value]));
}

const SENTINEL = new Uint8Array(16).fill(0xee);

describe('queued events for the push service (Router)', () => {
  let nats: NatsServer;
  const buses: Bus[] = [];
  const open: Replica[] = [];
  const stops: Array<() => void> = [];
  before(async () => {
    nats = await startNats({ jetstream: false });
  });
  after(async () => {
    await nats.stop();
  });
  afterEach(async () => {
    for (const s of stops.splice(0)) s();
    await Promise.all(open.splice(0).map((r) => r.close()));
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });

  /** A gateway replica on its own NATS connection, and what a second connection (the push service's) hears on tacit.push.v1.queued. */
  const gateway = async (config: Record<string, string> = {}) => {
    const [gw, watcher] = [await NatsBus.connect({ url: nats.url, name: 'gateway' }), await NatsBus.connect({ url: nats.url, name: 'push' })];
    buses.push(gw, watcher);
    const heard: Uint8Array[] = [];
    watcher.subscribe(PUSH_SUBJECTS.queued, (data) => heard.push(fromBinary(pushV1.QueuedEventSchema, data).mailboxId));
    await watcher.settled();
    const r = replica({ bus: gw, config });
    open.push(r);
    /**
     * Everything the replica published so far, once it has all arrived: a sentinel published after
     * it on the same connection arrives after it (NATS keeps one connection's order).
     */
    const published = async (): Promise<Uint8Array[]> => {
      gw.publish(PUSH_SUBJECTS.queued, encodeQueuedEvent(SENTINEL));
      await until(() => heard.some((id) => id.every((b) => b === 0xee)), 5000, 'the sentinel');
      const out = heard.filter((id) => !id.every((b) => b === 0xee));
      heard.length = 0;
      return out;
    };
    return { r, published };
  };

  it('publishes one QueuedEvent, naming the mailbox, per send queued while nobody held it, sends answered one by one', async () => {
    const { r, published } = await gateway();
    const [bob, carol] = [new Owner(), new Owner()];
    const sender = r.open();
    for (const to of [bob, bob, carol]) assert.equal((await send(r, sendFrame(to.packet()), sender)).type, 'accepted');
    assert.equal(r.queue.enqueued.length, 3);
    assert.deepEqual((await published()).map((id) => Buffer.from(id).toString('hex')), [bob.mailbox, bob.mailbox, carol.mailbox].map((m) => Buffer.from(m).toString('hex')));
    assert.deepEqual(await pushEvents(r), { published: 3, failed: 0 });
  });

  it('a burst committed in one turn publishes one QueuedEvent per mailbox, not one per packet', async () => {
    const { r, published } = await gateway();
    const [bob, carol] = [new Owner(), new Owner()];
    const sender = r.open();
    // The queue holds every commit until all five are in, then answers them together (one group commit).
    let commit!: () => void;
    r.queue.gate = new Promise((res) => (commit = res));
    for (const to of [bob, carol, bob, bob, carol]) r.receive(sender.conn, sendFrame(to.packet()));
    await until(() => r.queue.enqueued.length === 5, 5000, 'five enqueues');
    commit();
    await until(() => sender.ws.frames().flatMap((f) => (f.type === 'accepted' ? f.packetIds : [])).length === 5, 5000, 'five packets accepted');
    const hex = (m: Uint8Array): string => Buffer.from(m).toString('hex');
    assert.deepEqual((await published()).map(hex).sort(), [bob.mailbox, carol.mailbox].map(hex).sort());
    assert.deepEqual(await pushEvents(r), { published: 2, failed: 0 });
  });

  it('publishes nothing for a live delivery, a send queued while its recipient was online, or a duplicate', async () => {
    const { r, published } = await gateway({ GATEWAY_LIVE_ACK_TIMEOUT_MS: '50' });
    const bob = new Owner();
    const sender = r.open();
    // Live: bob holds the mailbox and acks.
    const rx = await r.claimed(bob);
    const stop = autoAck(r, rx);
    assert.equal((await send(r, sendFrame(bob.packet()), sender)).type, 'accepted');
    stop();
    assert.equal(r.queue.enqueued.length, 0);
    // Queued while online: bob holds it but does not ack within the live-ack timeout.
    const p = bob.packet();
    assert.equal((await send(r, sendFrame(p), sender)).type, 'accepted');
    assert.equal(r.queue.enqueued.length, 1, 'queued after the timeout');
    // A duplicate: the same packet again, already safe.
    assert.equal((await send(r, sendFrame(p, true), sender)).type, 'accepted');
    assert.equal(r.queue.enqueued.length, 1);
    assert.deepEqual(await published(), []);
    assert.deepEqual(await pushEvents(r), { published: 0, failed: 0 });
  });

  it('publishes nothing with GATEWAY_PUSH_EVENTS=false; the packet is queued as ever', async () => {
    const { r, published } = await gateway({ GATEWAY_PUSH_EVENTS: 'false' });
    assert.equal((await send(r, sendFrame(new Owner().packet()))).type, 'accepted');
    assert.equal(r.queue.enqueued.length, 1);
    assert.deepEqual(await published(), []);
  });

  it('a publish the bus refuses is counted, and the send is ACCEPTED all the same', async () => {
    const failing: PushClient = {
      register: () => Promise.reject(new Error('unused')),
      unregister: () => Promise.reject(new Error('unused')),
      publishQueued: () => {
        throw new UnavailableError('bus closed');
      },
    };
    const r = replica({ push: failing });
    open.push(r);
    assert.equal((await send(r, sendFrame(new Owner().packet()))).type, 'accepted');
    assert.equal(r.queue.enqueued.length, 1);
    assert.deepEqual(await pushEvents(r), { published: 0, failed: 1 });
  });

  it('costs a send a few microseconds: a publish is a write into the connection\'s buffer (measured, printed)', async (t) => {
    const bus = await NatsBus.connect({ url: nats.url, name: 'gateway' });
    buses.push(bus);
    const client = new BusPushClient(new BusClientProxy(bus));
    const id = new Uint8Array(16).fill(1);
    for (let i = 0; i < 2000; i++) client.publishQueued(id);
    const n = 20_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) client.publishQueued(id);
    const perPublishUs = Number(process.hrtime.bigint() - t0) / n / 1000;
    // And on the node's in-process bus, with nobody subscribed (the node without a push service).
    const local = new BusPushClient(new BusClientProxy(new InProcessBus()));
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) local.publishQueued(id);
    const perLocalUs = Number(process.hrtime.bigint() - t1) / n / 1000;
    t.diagnostic(`publishQueued: ${perPublishUs.toFixed(2)} µs on NATS, ${perLocalUs.toFixed(2)} µs in process, per send queued for a mailbox nobody held`);
    // Generous bounds for a shared 2-core machine: a queue commit takes milliseconds.
    assert.ok(perPublishUs < 50, `${perPublishUs} µs a publish`);
    assert.ok(perLocalUs < 50, `${perLocalUs} µs a publish`);
  });
});
