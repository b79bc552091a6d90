// The SDK's hand-written push bodies against @tacit/proto's generated codec: the same bytes out, the
// same fields back, and garbage refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, pushV1, toBinary } from '@tacit/proto';
import { decodePushReplyWire, encodePushRegisterWire, encodePushUnregisterWire } from './push-wire.js';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('push wire', () => {
  const targets = [
    { provider: 'apns', token: 'ab'.repeat(32) },
    { provider: 'fcm', token: 'fcm:token_ü' },
    { provider: 'webpush', endpoint: 'https://push.example.test/s/1', p256dh: 'BP'.repeat(40), auth: 'au' },
  ] as const;
  const enumOf = { apns: pushV1.PushProvider.APNS, fcm: pushV1.PushProvider.FCM, webpush: pushV1.PushProvider.WEB_PUSH };

  it('writes RegisterRequest as toBinary does, for every provider, 0..1024 dests and timestamps past 2^32', () => {
    for (const target of targets) {
      for (const n of [0, 1, 3, 1024]) {
        const r = { peerKey: bytes(32, 1), dests: Array.from({ length: n }, (_, i) => bytes(32, i & 0xff)), target, issuedAtMs: 1_796_000_000_123 + n, signature: bytes(64, 9) };
        const t = target as { token?: string; endpoint?: string; p256dh?: string; auth?: string };
        const want = toBinary(
          pushV1.RegisterRequestSchema,
          create(pushV1.RegisterRequestSchema, {
            peerKey: r.peerKey,
            dests: r.dests,
            target: { provider: enumOf[target.provider], token: t.token ?? '', endpoint: t.endpoint ?? '', p256dh: t.p256dh ?? '', auth: t.auth ?? '' },
            issuedAtMs: BigInt(r.issuedAtMs),
            signature: r.signature,
          }),
        );
        assert.deepEqual(encodePushRegisterWire(r), want, `${target.provider}, ${n} dests`);
      }
    }
  });

  it('writes UnregisterRequest as toBinary does', () => {
    for (const issuedAtMs of [1, 127, 128, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
      const r = { peerKey: bytes(32, 4), issuedAtMs, signature: bytes(64, 5) };
      const want = toBinary(pushV1.UnregisterRequestSchema, create(pushV1.UnregisterRequestSchema, { ...r, issuedAtMs: BigInt(issuedAtMs) }));
      assert.deepEqual(encodePushUnregisterWire(r), want);
    }
  });

  it('reads what toBinary writes for both replies, skipping fields it does not know', () => {
    const ok = toBinary(pushV1.RegisterReplySchema, create(pushV1.RegisterReplySchema, { status: pushV1.PushStatus.OK, mailboxes: 170, expiresAtMs: 1_796_691_200_000n }));
    assert.deepEqual(decodePushReplyWire(ok), { status: 1, field: '', message: '', mailboxes: 170, expiresAtMs: 1_796_691_200_000 });
    const no = toBinary(pushV1.UnregisterReplySchema, create(pushV1.UnregisterReplySchema, { status: pushV1.PushStatus.STALE, field: 'issued_at_ms', message: 'too old — ü' }));
    assert.deepEqual(decodePushReplyWire(no), { status: 4, field: 'issued_at_ms', message: 'too old — ü', mailboxes: 0, expiresAtMs: 0 });
    // A later field (number 9: a varint, a string, a fixed64) is skipped.
    const extra = Uint8Array.from([...ok, 9 << 3, 5, (9 << 3) | 2, 2, 0x61, 0x62, (10 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(decodePushReplyWire(extra).mailboxes, 170);
  });

  it('refuses what is not a reply: cut varints and fields, bad UTF-8, group wire types', () => {
    for (const bad of [[0x08], [0x08, 0x80], [0x12, 0x05, 0x61], [0x12, 0x01, 0xff], [0x0b], [0x08, ...Array(11).fill(0xff)]]) {
      assert.throws(() => decodePushReplyWire(Uint8Array.from(bad)), `${bad}`);
    }
  });
});
