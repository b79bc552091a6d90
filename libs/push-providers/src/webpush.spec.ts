import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import webpush from 'web-push';
import { PushTargetError } from './errors.js';
import { startFakeWebPush, type FakeWebPush } from './testing/index.js';
import { fakeForSuite } from './testing/suite.js';
import { createWebPushSender, webPushOutcome, type WebPushSenderOptions } from './webpush.js';

const vapid = webpush.generateVAPIDKeys();
const claims = (auth: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(/t=([^,]+)/.exec(auth)?.[1]?.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;

describe(createWebPushSender.name, () => {
  let fake: FakeWebPush;
  const opts = (o: Partial<WebPushSenderOptions> = {}): WebPushSenderOptions => ({
    subject: 'mailto:ops@tacit.example',
    publicKey: vapid.publicKey,
    privateKey: vapid.privateKey,
    ca: fake.ca,
    timeoutMs: 2000,
    allowPrivateHosts: true,
    ...o,
  });

  fakeForSuite(() => startFakeWebPush({ vapidPublicKey: vapid.publicKey }), (f) => (fake = f));

  it('sends an empty push with a VAPID JWT for the endpoint origin, TTL and high urgency', async () => {
    const sut = createWebPushSender(opts());
    try {
      const sub = fake.subscription();
      const before = fake.wakes.length;
      assert.deepEqual(await sut.wake(sub), { kind: 'sent' });
      const w = fake.wakes[before];
      assert.ok(w);
      assert.equal(w.body, '');
      assert.equal(w.headers['content-length'], '0');
      assert.equal(w.headers['content-encoding'], undefined);
      assert.equal(w.headers['ttl'], '3600');
      assert.equal(w.headers['urgency'], 'high');
      const auth = w.headers['authorization'] ?? '';
      assert.match(auth, new RegExp(`^vapid t=[^,]+, k=${vapid.publicKey}$`));
      const c = claims(auth);
      assert.equal(c['aud'], fake.url);
      assert.equal(c['sub'], 'mailto:ops@tacit.example');
      assert.ok((c['exp'] as number) <= Date.now() / 1000 + 86_400);
      assert.equal(fake.carriedContent, 0);
    } finally {
      await sut.close();
    }
  });

  it('is refused when signed with another VAPID key, or while the key is revoked', async () => {
    const other = webpush.generateVAPIDKeys();
    const wrong = createWebPushSender(opts({ publicKey: other.publicKey, privateKey: other.privateKey }));
    const forged = createWebPushSender(opts({ privateKey: other.privateKey })); // right k=, wrong signature
    const sut = createWebPushSender(opts());
    try {
      assert.deepEqual(await wrong.wake(fake.subscription()), { kind: 'refused', reason: 'status 403' });
      assert.deepEqual(await forged.wake(fake.subscription()), { kind: 'refused', reason: 'status 401' });
      fake.revokeKey();
      assert.deepEqual(await sut.wake(fake.subscription()), { kind: 'refused', reason: 'status 403' });
      fake.revokeKey(false);
      assert.deepEqual(await sut.wake(fake.subscription()), { kind: 'sent' });
    } finally {
      await Promise.all([wrong.close(), forged.close(), sut.close()]);
    }
  });

  it('is refused for a VAPID JWT the service finds expired, and the next push signs anew', async () => {
    let skew = 25 * 3_600_000; // the service's clock runs a day ahead: every exp looks past
    const ahead = await startFakeWebPush({ vapidPublicKey: vapid.publicKey, now: () => Date.now() + skew });
    const sut = createWebPushSender(opts({ ca: ahead.ca }));
    try {
      assert.deepEqual(await sut.wake(ahead.subscription()), { kind: 'refused', reason: 'status 401' }, ahead.answers.join(', '));
      assert.deepEqual(ahead.answers, ['401 bad exp']);
      skew = 0;
      assert.deepEqual(await sut.wake(ahead.subscription()), { kind: 'sent' }, ahead.answers.join(', '));
    } finally {
      await sut.close();
      await ahead.close();
    }
  });

  it('reports gone for 404 and 410', async () => {
    const sut = createWebPushSender(opts());
    try {
      fake.answer({ status: 410 });
      fake.answer({ status: 404 });
      assert.deepEqual(await sut.wake(fake.subscription()), { kind: 'gone', reason: 'status 410' });
      assert.deepEqual(await sut.wake(fake.subscription()), { kind: 'gone', reason: 'status 404' });
    } finally {
      await sut.close();
    }
  });

  it('asks for a retry on 429 (with Retry-After) and 500', async () => {
    const sut = createWebPushSender(opts());
    try {
      fake.answer({ status: 429, retryAfter: '30' });
      fake.answer({ status: 500 });
      assert.deepEqual(await sut.wake(fake.subscription()), { kind: 'retry', reason: 'status 429', retryAfterMs: 30_000 });
      assert.deepEqual(await sut.wake(fake.subscription()), { kind: 'retry', reason: 'status 500' });
      assert.equal((await sut.wake(fake.subscription())).kind, 'sent');
    } finally {
      await sut.close();
    }
  });

  it('answers retry(timeout) after timeoutMs when the push service hangs, and close() is prompt', async () => {
    const sut = createWebPushSender(opts({ timeoutMs: 300 }));
    fake.answer({ hang: true }, 2);
    const t0 = performance.now();
    const o = await sut.wake(fake.subscription());
    const took = performance.now() - t0;
    assert.equal(o.kind, 'retry');
    assert.ok(took >= 290 && took < 1500, `took ${took} ms`);
    const hung = sut.wake(fake.subscription());
    await new Promise((r) => setTimeout(r, 50));
    const t1 = performance.now();
    await sut.close();
    assert.deepEqual(await hung, { kind: 'retry', reason: 'closed' });
    assert.ok(performance.now() - t1 < 500);
  });

  it('rejects a malformed subscription with PushTargetError(MALFORMED) naming the field', async () => {
    const sut = createWebPushSender(opts());
    try {
      const good = fake.subscription();
      const cases: [Partial<typeof good>, string][] = [
        [{ endpoint: 'not a url' }, 'endpoint'],
        [{ endpoint: good.endpoint.replace('https:', 'http:') }, 'endpoint'],
        [{ p256dh: good.p256dh.slice(0, 40) }, 'p256dh'],
        [{ p256dh: Buffer.alloc(65, 4).toString('base64url') }, 'p256dh'], // not on the curve
        [{ p256dh: `${good.p256dh.slice(0, -1)}+` }, 'p256dh'],
        [{ auth: Buffer.alloc(15).toString('base64url') }, 'auth'],
      ];
      const strict = createWebPushSender(opts({ allowPrivateHosts: false }));
      await assert.rejects(strict.wake(good), (e: unknown) => e instanceof PushTargetError && e.field === 'endpoint', 'a loopback endpoint without allowPrivateHosts');
      await strict.close();
      for (const [patch, field] of cases) {
        await assert.rejects(sut.wake({ ...good, ...patch }), (e: unknown) => e instanceof PushTargetError && e.code === 'MALFORMED' && e.field === field, field);
      }
    } finally {
      await sut.close();
    }
  });

  it('maps socket errors to retry and other statuses to refused', () => {
    assert.deepEqual(webPushOutcome(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), Date.now()), { kind: 'retry', reason: 'connection: ECONNREFUSED' });
    assert.deepEqual(webPushOutcome({ statusCode: 413, headers: {} }, Date.now()), { kind: 'refused', reason: 'status 413' });
  });

  it('refuses bad VAPID details and options', () => {
    assert.throws(() => createWebPushSender(opts({ subject: 'ops' })), RangeError);
    assert.throws(() => createWebPushSender(opts({ privateKey: 'short' })), RangeError);
    assert.throws(() => createWebPushSender(opts({ ttlSeconds: -1 })), RangeError);
  });
});

describe(startFakeWebPush.name, () => {
  it('counts a push that carries a payload', async () => {
    const sut = await startFakeWebPush({ vapidPublicKey: vapid.publicKey });
    try {
      const sub = fake_sub(sut);
      await webpush
        .sendNotification(sub, 'mailbox 42', { vapidDetails: { subject: 'mailto:a@b.c', publicKey: vapid.publicKey, privateKey: vapid.privateKey }, agent: new (await import('node:https')).Agent({ ca: sut.ca }) })
        .catch(() => undefined);
      assert.equal(sut.carriedContent, 1);
    } finally {
      await sut.close();
    }
  });
});

function fake_sub(f: FakeWebPush): webpush.PushSubscription {
  const s = f.subscription();
  return { endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } };
}
