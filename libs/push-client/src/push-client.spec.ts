// The push client over the in-process bus, against a stand-in for the push service serving
// PUSH_ROUTES: requests arrive whole, every refusal status comes back as its typed PushError, a
// missing service as NoRespondersError, and the queued event is the QueuedEvent the service decodes.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { InProcessBus, NoRespondersError } from '@tacit/kit';
import { BusClientProxy } from '@tacit/platform';
import { create, fromBinary, PUSH_GROUP, PUSH_ROUTES, PUSH_SUBJECTS, pushV1, toBinary } from '@tacit/proto';
import { PushError } from '@tacit/protocol';
import { BusPushClient, encodeQueuedEvent } from './push-client.js';

describe(BusPushClient.name, () => {
  let bus: InProcessBus;
  let sut: BusPushClient;
  beforeEach(() => {
    bus = new InProcessBus();
    sut = new BusPushClient(new BusClientProxy(bus, { timeoutMs: 1000 }));
  });
  afterEach(() => bus.close());

  const request = () =>
    create(pushV1.RegisterRequestSchema, {
      peerKey: new Uint8Array(32).fill(1),
      dests: [new Uint8Array(32).fill(2), new Uint8Array(32).fill(3)],
      target: { provider: pushV1.PushProvider.WEB_PUSH, endpoint: 'https://push.example/abc', p256dh: 'k', auth: 'a' },
      issuedAtMs: 1_800_000_000_000n,
      signature: new Uint8Array(64).fill(4),
      requester: 'addr-key',
    });

  it('sends register and unregister to the push service and hands back its OK replies', async () => {
    const seen: pushV1.RegisterRequest[] = [];
    bus.serve(PUSH_ROUTES.register.subject, (data) => {
      seen.push(fromBinary(pushV1.RegisterRequestSchema, data));
      return toBinary(pushV1.RegisterReplySchema, create(pushV1.RegisterReplySchema, { status: pushV1.PushStatus.OK, mailboxes: 2, expiresAtMs: 9n }));
    }, { queue: PUSH_GROUP });
    bus.serve(PUSH_ROUTES.unregister.subject, () => toBinary(pushV1.UnregisterReplySchema, create(pushV1.UnregisterReplySchema, { status: pushV1.PushStatus.OK })), { queue: PUSH_GROUP });
    const reply = await sut.register(request());
    assert.deepEqual([reply.mailboxes, reply.expiresAtMs], [2, 9n]);
    assert.deepEqual(seen, [request()]);
    const off = await sut.unregister(create(pushV1.UnregisterRequestSchema, { peerKey: new Uint8Array(32), issuedAtMs: 1n, signature: new Uint8Array(64), requester: 'r' }));
    assert.equal(off.status, pushV1.PushStatus.OK);
  });

  it('hands each refusal back as a PushError named after its status, field and message kept', async () => {
    let status = pushV1.PushStatus.UNSPECIFIED;
    bus.serve(PUSH_ROUTES.register.subject, () => toBinary(pushV1.RegisterReplySchema, create(pushV1.RegisterReplySchema, { status, field: 'dests[1]', message: 'why' })));
    bus.serve(PUSH_ROUTES.unregister.subject, () => toBinary(pushV1.UnregisterReplySchema, create(pushV1.UnregisterReplySchema, { status, field: 'peerKey', message: 'none' })));
    const cases: Array<[pushV1.PushStatus, string, number]> = [
      [pushV1.PushStatus.MALFORMED, 'MALFORMED', 400],
      [pushV1.PushStatus.BAD_PROOF, 'BAD_PROOF', 401],
      [pushV1.PushStatus.STALE, 'STALE', 409],
      [pushV1.PushStatus.RATE_LIMITED, 'RATE_LIMITED', 429],
      [pushV1.PushStatus.NOT_FOUND, 'NOT_FOUND', 404],
      [pushV1.PushStatus.UNSUPPORTED, 'UNSUPPORTED', 422],
    ];
    for (const [s, code, http] of cases) {
      status = s;
      await assert.rejects(sut.register(request()), (e: unknown) => e instanceof PushError && e.code === code && e.field === 'dests[1]' && e.message === 'why' && e.status === http, code);
      await assert.rejects(sut.unregister(create(pushV1.UnregisterRequestSchema, {})), (e: unknown) => e instanceof PushError && e.code === code && e.field === 'peerKey', code);
    }
    // No status, or one from a newer service: a typed INTERNAL, not an OK.
    for (const s of [pushV1.PushStatus.UNSPECIFIED, 99 as pushV1.PushStatus]) {
      status = s;
      await assert.rejects(sut.register(request()), (e: unknown) => e instanceof PushError && e.code === 'INTERNAL' && e.field === 'status');
    }
  });

  it('with no push service on the bus, rejects with NoRespondersError (the gateway answers 503)', async () => {
    await assert.rejects(sut.register(request()), NoRespondersError);
  });

  it('publishes QueuedEvent{mailbox_id} on tacit.push.v1.queued without waiting, and nothing for a wrong-length id', async () => {
    const got: Uint8Array[] = [];
    bus.subscribe(PUSH_SUBJECTS.queued, (data) => got.push(data));
    const id = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    assert.equal(sut.publishQueued(id), undefined);
    await new Promise((r) => setImmediate(r));
    assert.equal(got.length, 1);
    assert.deepEqual(fromBinary(pushV1.QueuedEventSchema, got[0]!).mailboxId, id);
    assert.deepEqual(encodeQueuedEvent(id), toBinary(pushV1.QueuedEventSchema, create(pushV1.QueuedEventSchema, { mailboxId: id })));
    assert.throws(() => sut.publishQueued(new Uint8Array(15)), RangeError);
    assert.throws(() => encodeQueuedEvent(new Uint8Array(32)), /"mailboxId" expected 16 bytes, got 32/);
  });
});
