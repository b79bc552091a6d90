// What the SDK sends is what the service accepts: requests made by @tacit/sdk's registerPush and
// unregisterPush, handed to the push service's controller as the gateway would (body = the binary
// request, requester filled), bind the SDK's own mailbox ids and wake for them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ed25519 } from '@tacit/crypto';
import { fromBinary, pushV1, toBinary } from '@tacit/proto';
import { encodePushErrorBody, mailboxId, PushError } from '@tacit/protocol';
import { pushDests, registerPush, unregisterPush, type FetchLike } from '@tacit/sdk';
import { PglitePushRepository } from './pglite-repository.js';
import { PushController } from './push.controller.js';
import { PushService } from './push.service.js';
import { FakeClock, RecordingSender, TARGETS } from './spec-fixtures.js';

/** A stand-in for the gateway's endpoints: decodes the body, calls the controller, answers the reply or the JSON refusal. */
function gateway(controller: PushController): FetchLike {
  return async (url, init) => {
    const path = new URL(url).pathname;
    let bytes: Uint8Array;
    let status = 200;
    if (path === '/v1/push/register') {
      const reply = await controller.register({ ...fromBinary(pushV1.RegisterRequestSchema, init.body!), requester: 'h:sdk' });
      bytes = toBinary(pushV1.RegisterReplySchema, reply);
      if (reply.status !== pushV1.PushStatus.OK) {
        const e = new PushError(pushV1.PushStatus[reply.status] as 'STALE', reply.field, reply.message);
        [status, bytes] = [e.status, new TextEncoder().encode(encodePushErrorBody(e))];
      }
    } else {
      const reply = await controller.unregister({ ...fromBinary(pushV1.UnregisterRequestSchema, init.body!), requester: 'h:sdk' });
      bytes = toBinary(pushV1.UnregisterReplySchema, reply);
      if (reply.status !== pushV1.PushStatus.OK) {
        const e = new PushError(pushV1.PushStatus[reply.status] as 'NOT_FOUND', reply.field, reply.message);
        [status, bytes] = [e.status, new TextEncoder().encode(encodePushErrorBody(e))];
      }
    }
    return { status, arrayBuffer: async () => bytes.slice().buffer, text: async () => new TextDecoder().decode(bytes) };
  };
}

describe('the SDK against the push service', () => {
  let store: PglitePushRepository;
  let sut: PushService;
  const clock = new FakeClock();
  const sender = new RecordingSender('apns');
  before(async () => {
    store = await PglitePushRepository.open(undefined);
    sut = new PushService({ repository: store, senders: [sender], now: clock.now, dispatchEveryMs: 0, expireEveryMs: 0 });
    await sut.start();
  });
  after(async () => {
    await sut.stop();
    await store.close();
  });

  it("registers the SDK's mailboxes for a week of epochs, wakes for them, then unregisters", async () => {
    const identity = ed25519.keygen();
    const namespaceId = crypto.getRandomValues(new Uint8Array(32));
    const o = { relay: 'ws://relay.test/v1', identity, now: clock.now, fetch: gateway(new PushController(sut)) };
    const r = await registerPush({ ...o, namespaceId, target: TARGETS.apns });
    assert.equal(r.mailboxes, 170);
    assert.equal(r.expiresAt, clock.t + sut.limits.horizonCapMs);
    // A packet for the mailbox of three days ahead wakes the device.
    const dests = pushDests(namespaceId, identity.publicKey, clock.t);
    assert.equal(await sut.onQueued(mailboxId(dests[73]!, identity.publicKey)), true);
    await sut.dispatch();
    await sut.idle();
    assert.deepEqual(sender.wakes, [{ provider: 'apns', token: TARGETS.apns.token }]);
    // The same request again is a replay.
    await assert.rejects(registerPush({ ...o, namespaceId, target: TARGETS.apns }), { name: 'PushError', code: 'STALE' });
    clock.advance(1);
    await unregisterPush(o);
    assert.equal(await sut.onQueued(mailboxId(dests[73]!, identity.publicKey)), false);
    clock.advance(1);
    await assert.rejects(unregisterPush(o), { name: 'PushError', code: 'NOT_FOUND' });
    await assert.rejects(registerPush({ ...o, namespaceId, target: TARGETS.fcm }), { name: 'PushError', code: 'UNSUPPORTED', field: 'target.provider' });
  });
});
