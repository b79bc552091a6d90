import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ed25519 } from '@tacit/crypto';
import { create, fromBinary, pushV1, toBinary } from '@tacit/proto';
import { currentEpoch, destHash, encodePushErrorBody, PushError, pushRegistrationMessage, pushUnregisterMessage } from '@tacit/protocol';
import type { FetchLike } from './messenger/prekey-http.js';
import { encodePushRegisterRequest, MAX_PUSH_HORIZON_HOURS, pushBaseUrl, pushDests, registerPush, unregisterPush } from './push.js';

const NS = new Uint8Array(32).fill(4);
const NOW = 1_764_720_000_000;
const identity = ed25519.keygen();
const TARGET = { provider: 'fcm', token: 'f'.repeat(40) } as const;

/** A fetch answering `status` and `body`, recording what it was asked. */
function answering(status: number, body: Uint8Array | string): { fetch: FetchLike; calls: Array<{ url: string; body: Uint8Array | undefined }> } {
  const calls: Array<{ url: string; body: Uint8Array | undefined }> = [];
  return {
    calls,
    fetch: async (url, init) => {
      calls.push({ url, body: init.body });
      const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
      return { status, arrayBuffer: async () => bytes.slice().buffer, text: async () => new TextDecoder().decode(bytes) };
    },
  };
}

describe(pushDests.name, () => {
  it('covers epochs now-1 .. now+horizon, in order, under the peer key', () => {
    const sut = pushDests(NS, identity.publicKey, NOW, 3);
    const e = currentEpoch(NOW);
    assert.deepEqual(sut, [e - 1, e, e + 1, e + 2, e + 3].map((x) => destHash(NS, identity.publicKey, x)));
    assert.equal(pushDests(NS, identity.publicKey, NOW).length, 170, 'a week by default');
    assert.equal(pushDests(NS, identity.publicKey, NOW, MAX_PUSH_HORIZON_HOURS).length, 1024);
    assert.throws(() => pushDests(NS, identity.publicKey, NOW, MAX_PUSH_HORIZON_HOURS + 1), RangeError);
    assert.throws(() => pushDests(NS, identity.publicKey, NOW, 1.5), RangeError);
  });
});

describe(encodePushRegisterRequest.name, () => {
  it('is a RegisterRequest signed by the peer key over pushRegistrationMessage, requester left to the gateway', () => {
    const req = fromBinary(pushV1.RegisterRequestSchema, encodePushRegisterRequest({ namespaceId: NS, identity, target: TARGET, horizonHours: 2, now: () => NOW }));
    assert.deepEqual(new Uint8Array(req.peerKey), identity.publicKey);
    assert.equal(req.issuedAtMs, BigInt(NOW));
    assert.equal(req.requester, '');
    assert.equal(req.target?.provider, pushV1.PushProvider.FCM);
    assert.equal(req.target?.token, TARGET.token);
    assert.equal(req.dests.length, 4);
    assert.ok(ed25519.verify(identity.publicKey, pushRegistrationMessage(NOW, TARGET, req.dests), req.signature));
  });
});

describe(registerPush.name, () => {
  it('POSTs the request to /v1/push/register of the relay and returns what the reply bound', async () => {
    const reply = toBinary(pushV1.RegisterReplySchema, create(pushV1.RegisterReplySchema, { status: pushV1.PushStatus.OK, mailboxes: 170, expiresAtMs: BigInt(NOW + 8 * 86_400_000) }));
    const f = answering(200, reply);
    assert.deepEqual(await registerPush({ relay: 'ws://127.0.0.1:9/v1', namespaceId: NS, identity, target: TARGET, now: () => NOW, fetch: f.fetch }), {
      mailboxes: 170,
      expiresAt: NOW + 8 * 86_400_000,
    });
    assert.equal(f.calls[0]!.url, 'http://127.0.0.1:9/v1/push/register');
    assert.equal(fromBinary(pushV1.RegisterRequestSchema, f.calls[0]!.body!).dests.length, 170);
    assert.equal(pushBaseUrl('wss://relay.example/v1'), 'https://relay.example/v1/push');
    assert.throws(() => pushBaseUrl('ftp://x'), TypeError);
  });

  it('throws the typed PushError of a JSON refusal, of a non-OK reply, of a foreign answer and of an unreachable relay', async () => {
    const o = { relay: 'http://127.0.0.1:9', namespaceId: NS, identity, target: TARGET, now: () => NOW };
    await assert.rejects(registerPush({ ...o, fetch: answering(422, encodePushErrorBody(new PushError('UNSUPPORTED', 'target.provider', 'no fcm here'))).fetch }), {
      name: 'PushError',
      code: 'UNSUPPORTED',
      field: 'target.provider',
    });
    await assert.rejects(registerPush({ ...o, fetch: answering(429, 'busy').fetch }), { name: 'PushError', code: 'RATE_LIMITED' });
    const stale = toBinary(pushV1.RegisterReplySchema, create(pushV1.RegisterReplySchema, { status: pushV1.PushStatus.STALE, field: 'issued_at_ms' }));
    await assert.rejects(registerPush({ ...o, fetch: answering(200, stale).fetch }), { name: 'PushError', code: 'STALE', field: 'issued_at_ms' });
    await assert.rejects(registerPush({ ...o, fetch: answering(200, Uint8Array.of(0xff, 0xff)).fetch }), { name: 'PushError', code: 'MALFORMED', field: 'response' });
    const down: FetchLike = async () => {
      throw new TypeError('fetch failed');
    };
    await assert.rejects(registerPush({ ...o, fetch: down }), { name: 'PushError', code: 'UNAVAILABLE' });
  });
});

describe(unregisterPush.name, () => {
  it('POSTs a signed UnregisterRequest to /v1/push/unregister; NOT_FOUND typed', async () => {
    const ok = answering(200, toBinary(pushV1.UnregisterReplySchema, create(pushV1.UnregisterReplySchema, { status: pushV1.PushStatus.OK })));
    await unregisterPush({ relay: 'http://127.0.0.1:9', identity, now: () => NOW, fetch: ok.fetch });
    assert.equal(ok.calls[0]!.url, 'http://127.0.0.1:9/v1/push/unregister');
    const req = fromBinary(pushV1.UnregisterRequestSchema, ok.calls[0]!.body!);
    assert.ok(ed25519.verify(identity.publicKey, pushUnregisterMessage(NOW), req.signature));
    await assert.rejects(unregisterPush({ relay: 'http://127.0.0.1:9', identity, fetch: answering(404, encodePushErrorBody(new PushError('NOT_FOUND', 'peer_key', 'none'))).fetch }), {
      name: 'PushError',
      code: 'NOT_FOUND',
    });
  });
});
