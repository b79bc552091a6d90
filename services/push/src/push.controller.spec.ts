// The push service's bus API: on the in-process bus and on a real nats-server, registrations and
// unregistrations answer OK or a typed refusal (status and field), bytes that are not a request are
// the caller's bug (InvalidArgumentError).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InProcessBus, InvalidArgumentError, NatsBus, type Bus } from '@tacit/kit';
import { BusClientProxy, serveOnBus } from '@tacit/platform';
import { PUSH_ROUTES, PUSH_SUBJECTS, pushV1 } from '@tacit/proto';
import type { PushTargetFields } from '@tacit/protocol';
import { startNats, type NatsServer } from '@tacit/testing';
import { PglitePushRepository } from './pglite-repository.js';
import { PushController } from './push.controller.js';
import { PushService } from './push.service.js';
import { FakeClock, RecordingSender, TARGETS, TestDevice } from './spec-fixtures.js';

async function serve(bus: Bus, sut: PushService): Promise<{ close(): Promise<void> }> {
  class PushOnBus {}
  return serveOnBus(bus, { module: PushOnBus, controllers: [PushController], providers: [{ provide: PushService, useValue: sut }] });
}

const _WIRE: Record<PushTargetFields['provider'], pushV1.PushProvider> = { apns: pushV1.PushProvider.APNS, fcm: pushV1.PushProvider.FCM, webpush: pushV1.PushProvider.WEB_PUSH };

function wireTarget(t: PushTargetFields): pushV1.PushTarget {
  return { $typeName: 'tacit.push.v1.PushTarget', provider: _WIRE[t.provider], token: t.token ?? '', endpoint: t.endpoint ?? '', p256dh: t.p256dh ?? '', auth: t.auth ?? '' };
}

async function roundTrip(serverBus: Bus, clientBus: Bus, sut: PushService, clock: FakeClock): Promise<void> {
  const served = await serve(serverBus, sut);
  const proxy = new BusClientProxy(clientBus);
  try {
    const bob = new TestDevice(clock);
    const reg = bob.registration(TARGETS.webpush, bob.dests(5));
    const request = (over: Partial<pushV1.RegisterRequest> = {}) =>
      proxy.call(PUSH_ROUTES.register, {
        peerKey: reg.peerKey,
        dests: [...reg.dests],
        target: wireTarget(reg.target),
        issuedAtMs: BigInt(reg.issuedAtMs),
        signature: reg.signature,
        requester: 'h:client',
        ...over,
      });
    const ok = await request();
    assert.equal(ok.status, pushV1.PushStatus.OK);
    assert.equal(ok.mailboxes, 5);
    assert.equal(ok.expiresAtMs, BigInt(reg.issuedAtMs + sut.limits.horizonCapMs));
    const refusal = async (r: Promise<{ status: pushV1.PushStatus; field: string }>, status: pushV1.PushStatus, field: string) => {
      const got = await r;
      assert.deepEqual([pushV1.PushStatus[got.status], got.field], [pushV1.PushStatus[status], field]);
    };
    await refusal(request(), pushV1.PushStatus.STALE, 'issued_at_ms');
    await refusal(request({ signature: new Uint8Array(64) }), pushV1.PushStatus.BAD_PROOF, 'signature');
    await refusal(request({ target: wireTarget({ ...TARGETS.webpush, provider: 'fcm' }) }), pushV1.PushStatus.UNSUPPORTED, 'target.provider');
    await refusal(request({ target: { ...wireTarget(TARGETS.webpush), provider: pushV1.PushProvider.UNSPECIFIED } }), pushV1.PushStatus.MALFORMED, 'target.provider');
    await refusal(request({ target: undefined }), pushV1.PushStatus.MALFORMED, 'target.provider');
    await refusal(request({ dests: [] }), pushV1.PushStatus.MALFORMED, 'dests');
    await refusal(request({ issuedAtMs: 2n ** 63n }), pushV1.PushStatus.STALE, 'issued_at_ms');

    clock.advance(1);
    const off = bob.unregistration();
    const unregister = (over: Partial<pushV1.UnregisterRequest> = {}) =>
      proxy.call(PUSH_ROUTES.unregister, { peerKey: off.peerKey, issuedAtMs: BigInt(off.issuedAtMs), signature: off.signature, requester: 'h:client', ...over });
    await refusal(unregister({ signature: new Uint8Array(64) }), pushV1.PushStatus.BAD_PROOF, 'signature');
    assert.equal((await unregister()).status, pushV1.PushStatus.OK);
    clock.advance(1);
    const again = new TestDevice(clock).unregistration();
    await refusal(unregister({ peerKey: again.peerKey, issuedAtMs: BigInt(again.issuedAtMs), signature: again.signature }), pushV1.PushStatus.NOT_FOUND, 'peer_key');
    // Not a protobuf message at all: the caller's bug, typed as such.
    await assert.rejects(clientBus.request(PUSH_SUBJECTS.register, Uint8Array.of(0xff, 0xff, 0xff)), InvalidArgumentError);
  } finally {
    await served.close();
  }
}

describe(PushController.name, () => {
  let store: PglitePushRepository;
  let sut: PushService;
  const clock = new FakeClock();
  before(async () => {
    store = await PglitePushRepository.open(undefined);
    sut = new PushService({ repository: store, senders: [new RecordingSender('webpush')], now: clock.now, dispatchEveryMs: 0, expireEveryMs: 0 });
    await sut.start();
  });
  after(async () => {
    await sut.stop();
    await store.close();
  });

  it('answers over an InProcessBus, refusals typed', async () => {
    const bus = new InProcessBus();
    await roundTrip(bus, bus, sut, clock);
    await bus.close();
  });

  describe('over a real nats-server', () => {
    let nats: NatsServer;
    before(async () => {
      nats = await startNats({ jetstream: false });
    });
    after(async () => {
      await nats.stop();
    });

    it('answers across two connections, refusals typed', async () => {
      const [server, client] = [await NatsBus.connect({ url: nats.url, name: 'push' }), await NatsBus.connect({ url: nats.url, name: 'gateway' })];
      try {
        await roundTrip(server, client, sut, clock);
      } finally {
        await client.close();
        await server.close();
      }
    });
  });
});
