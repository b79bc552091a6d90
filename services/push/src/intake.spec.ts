// Queued events into the push service: through the in-process bus (bounded queue) and through a
// JetStream stream on a real nats-server, whose durable consumer loses nothing across a restart of
// the push service — events published while it was down are in the stream when it comes back, and
// an event is acknowledged only after its wake state is recorded.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InProcessBus, NatsBus } from '@tacit/kit';
import { create, PUSH_SUBJECTS, pushV1, toBinary } from '@tacit/proto';
import { startNats, type NatsServer } from '@tacit/testing';
import { BusIntake, JetStreamIntake, type BusIntakeOptions, type QueuedPageHandler } from './intake.js';
import { PglitePushRepository } from './pglite-repository.js';
import { PushService } from './push.service.js';
import { FakeClock, RecordingSender, TARGETS, TestDevice } from './spec-fixtures.js';

const event = (mailboxId: Uint8Array): Uint8Array => toBinary(pushV1.QueuedEventSchema, create(pushV1.QueuedEventSchema, { mailboxId }));

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A BusIntake on an in-process bus whose handler waits for `release()`, then calls `take` (its return: the malformed count). */
function gatedIntake(take: (ids: Uint8Array[]) => number, opts: BusIntakeOptions): { bus: InProcessBus; sut: BusIntake; release: () => void } {
  const bus = new InProcessBus();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const sut = new BusIntake(
    bus,
    async (ids) => {
      await gate;
      return { malformed: take(ids) };
    },
    opts,
  );
  return { bus, sut, release };
}

describe(BusIntake.name, () => {
  it('hands each event to the service, drops undecodable ones, and bounds its queue', async () => {
    const seen: Uint8Array[] = [];
    const { bus, sut, release } = gatedIntake((ids) => (seen.push(...ids), 0), { maxQueued: 3, parallel: 1 });
    await sut.start();
    for (let i = 0; i < 6; i++) bus.publish(PUSH_SUBJECTS.queued, event(Uint8Array.of(i, ...new Uint8Array(15))));
    bus.publish(PUSH_SUBJECTS.queued, Uint8Array.of(0xff, 0xff));
    bus.publish(PUSH_SUBJECTS.queued, event(new Uint8Array(0)));
    await until('events taken in', () => sut.stats().dropped + sut.queued >= 5);
    // One in the worker's hands, three queued, two dropped; two malformed.
    assert.equal(sut.queued, 3);
    assert.equal(sut.stats().dropped, 2);
    assert.equal(sut.stats().malformed, 2);
    release();
    await sut.stop();
    assert.deepEqual(seen.map((id) => id[0]), [0, 1, 2, 3]);
    assert.equal(sut.stats().taken, 4);
    await bus.close();
  });

  it('records what queued meanwhile as pages of at most `page` events, and counts the ids the handler found malformed', async () => {
    const pages: number[] = [];
    const { bus, sut, release } = gatedIntake((ids) => (pages.push(ids.length), ids.filter((id) => id.length !== 16).length), { parallel: 1, page: 4 });
    await sut.start();
    for (let i = 0; i < 10; i++) bus.publish(PUSH_SUBJECTS.queued, event(new Uint8Array(i === 9 ? 3 : 16).fill(i)));
    await until('nine events waiting behind the first', () => sut.queued === 9);
    release();
    await until('every event recorded', () => sut.stats().taken + sut.stats().malformed === 10);
    // The first event starts the worker alone; the nine behind it go four, four and one at a time.
    assert.deepEqual(pages, [1, 4, 4, 1]);
    assert.deepEqual(sut.stats(), { taken: 9, malformed: 1, failed: 0, dropped: 0 });
    await sut.stop();
    await bus.close();
  });
});

describe(JetStreamIntake.name, () => {
  let nats: NatsServer;
  let store: PglitePushRepository;
  const clock = new FakeClock();
  const secret = crypto.getRandomValues(new Uint8Array(32));
  before(async () => {
    nats = await startNats({ jetstream: true, syncAlways: true });
    store = await PglitePushRepository.open(undefined);
  });
  after(async () => {
    await store?.close();
    await nats?.stop();
  });

  /** A push service with its JetStream intake, as one replica runs them. */
  const replica = async (sender: RecordingSender, handlerWrap?: (h: QueuedPageHandler) => QueuedPageHandler) => {
    const bus = await NatsBus.connect({ url: nats.url, name: 'push' });
    const service = new PushService({ repository: store, senders: [sender], now: clock.now, dispatchEveryMs: 0, expireEveryMs: 0, secret });
    await service.start();
    const handler: QueuedPageHandler = (ids) => service.onQueuedMany(ids);
    const intake = new JetStreamIntake(bus.jetstream(), await bus.jetstreamManager(), handlerWrap ? handlerWrap(handler) : handler, { retryDelayMs: 50 });
    await intake.start();
    return {
      bus,
      service,
      intake,
      async stop() {
        await intake.stop();
        await service.stop();
        await bus.close();
      },
    };
  };

  it('keeps events published while the push service is down, and wakes once for them when it is back', async () => {
    const gateway = await NatsBus.connect({ url: nats.url, name: 'gateway' });
    const jsm = await gateway.jetstreamManager();
    const first = await replica(new RecordingSender('apns'));
    const bob = new TestDevice(clock);
    const dests = bob.dests(2);
    await first.service.register(bob.registration(TARGETS.apns, dests));
    const info = await jsm.streams.info('TACIT_PUSH');
    assert.equal(info.config.retention, 'workqueue');
    assert.deepEqual(info.config.subjects, [PUSH_SUBJECTS.queued]);
    assert.equal(info.config.discard, 'old');
    assert.equal(info.config.max_age, 3_600_000 * 1_000_000);
    await first.stop();

    // The gateway's plain publish, fire and forget, while no push service runs.
    for (let i = 0; i < 5; i++) gateway.publish(PUSH_SUBJECTS.queued, event(bob.mailbox(dests[i % 2]!)));
    await gateway.settled();
    await until('events stored', async () => (await jsm.streams.info('TACIT_PUSH')).state.messages === 5);

    const sender = new RecordingSender('apns');
    const second = await replica(sender);
    await until('events taken', () => second.intake.stats().taken === 5);
    await until('stream emptied (acknowledged)', async () => (await jsm.streams.info('TACIT_PUSH')).state.messages === 0);
    await second.service.dispatch();
    await second.service.idle();
    assert.equal(sender.wakes.length, 1, 'five events, one wake');
    await second.stop();
    await gateway.close();
  });

  it('does not acknowledge an event whose record failed: it comes again and is recorded', async () => {
    const gateway = await NatsBus.connect({ url: nats.url, name: 'gateway' });
    const jsm = await gateway.jetstreamManager();
    let failures = 1;
    const sender = new RecordingSender('apns');
    const r = await replica(sender, (h) => async (ids) => {
      if (failures-- > 0) throw new Error('database unavailable');
      return h(ids);
    });
    const carol = new TestDevice(clock);
    const dests = carol.dests(1);
    await r.service.register(carol.registration({ provider: 'apns', token: 'c0'.repeat(32) }, dests));
    gateway.publish(PUSH_SUBJECTS.queued, event(carol.mailbox(dests[0]!)));
    await until('recorded after a redelivery', () => r.intake.stats().taken === 1);
    assert.equal(r.intake.stats().failed, 1);
    await until('acknowledged', async () => (await jsm.streams.info('TACIT_PUSH')).state.messages === 0);
    await r.service.dispatch();
    await r.service.idle();
    assert.equal(sender.wakes.length, 1);
    // A malformed event is dropped for good, not redelivered.
    gateway.publish(PUSH_SUBJECTS.queued, Uint8Array.of(0xff, 0xff));
    gateway.publish(PUSH_SUBJECTS.queued, event(new Uint8Array(5)));
    await until('malformed dropped', () => r.intake.stats().malformed === 2);
    await until('nothing left', async () => (await jsm.streams.info('TACIT_PUSH')).state.messages === 0);
    await r.stop();
    await gateway.close();
  });

  it('records a burst in pages, one statement each, and acknowledges each page only once it is recorded', async () => {
    const gateway = await NatsBus.connect({ url: nats.url, name: 'gateway' });
    const jsm = await gateway.jetstreamManager();
    const pages: number[] = [];
    let release!: () => void;
    let gate: Promise<void> | undefined = new Promise<void>((r) => (release = r));
    const sender = new RecordingSender('apns');
    const r = await replica(sender, (h) => async (ids) => {
      pages.push(ids.length);
      await gate;
      return h(ids);
    });
    const dave = new TestDevice(clock);
    const dests = dave.dests(2);
    await r.service.register(dave.registration({ provider: 'apns', token: 'd0'.repeat(32) }, dests));
    for (let i = 0; i < 600; i++) gateway.publish(PUSH_SUBJECTS.queued, event(dave.mailbox(dests[i % 2]!)));
    await gateway.settled();
    try {
      await until('the first pages held', () => pages.length >= 1);
      // Held before the record: nothing acknowledged, every event in the stream (once it has stored them all).
      await until('all 600 in the stream', async () => (await jsm.streams.info('TACIT_PUSH')).state.messages === 600);
      assert.equal(r.intake.stats().taken, 0);
    } finally {
      // A failure above must not leave the intake's workers waiting (stop() waits for them).
      release();
      gate = undefined;
    }
    await until('all taken', () => r.intake.stats().taken === 600);
    await until('stream emptied', async () => (await jsm.streams.info('TACIT_PUSH')).state.messages === 0);
    assert.equal(pages.reduce((a, b) => a + b, 0), 600, 'every event in exactly one page');
    assert.ok(pages.length < 600 / 4, `${pages.length} pages for 600 events (${pages.join(',')})`);
    assert.ok(Math.max(...pages) <= 256, 'no page over PUSH_INTAKE_PAGE');
    assert.equal(r.service.stats().eventsMatched, 600);
    await r.service.dispatch();
    await r.service.idle();
    assert.equal(sender.wakes.length, 1, 'a burst: one wake');
    await r.stop();
    await gateway.close();
  });
});
