import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { PushTargetError } from './errors.js';
import { createFcmSender, FCM_WAKE_DATA, fcmOutcome, type FcmSenderOptions } from './fcm.js';
import { startFakeFcm, type FakeFcm } from './testing/index.js';
import { fakeForSuite } from './testing/suite.js';

function rsa(): { priv: string; pub: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { priv: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), pub: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

const key = rsa();
const clientEmail = 'push@tacit-demo.iam.gserviceaccount.com';
const target = { provider: 'fcm', token: 'fcm-token:APA91b-demo_0123456789' } as const;

describe(createFcmSender.name, () => {
  let fake: FakeFcm;
  const opts = (o: Partial<FcmSenderOptions> = {}): FcmSenderOptions => ({
    serviceAccount: { project_id: 'tacit-demo', client_email: clientEmail, private_key: key.priv },
    endpoint: fake.url,
    ca: fake.ca,
    timeoutMs: 3000,
    ...o,
  });

  fakeForSuite(() => startFakeFcm({ projectId: 'tacit-demo', clientEmail, publicKeyPem: key.pub }), (f) => (fake = f));

  it('sends a data-only, high-priority message after trading the service-account assertion for a token', async () => {
    const sut = createFcmSender(opts());
    try {
      const before = fake.wakes.length;
      const issued = fake.tokensIssued;
      assert.deepEqual(await sut.wake(target), { kind: 'sent' });
      assert.deepEqual(await sut.wake(target), { kind: 'sent' });
      assert.equal(fake.tokensIssued, issued + 1, 'the access token is cached');
      const w = fake.wakes[before];
      assert.ok(w);
      assert.equal(w.token, target.token);
      assert.deepEqual(JSON.parse(w.body), { message: { token: target.token, data: { ...FCM_WAKE_DATA }, android: { priority: 'high', ttl: '3600s' } } });
      assert.match(w.headers['authorization'] ?? '', /^Bearer ya29\.fake-/);
      // firebase-admin addressed Google's hosts; only its sockets came here.
      assert.ok(fake.hosts.has('fcm.googleapis.com'));
      assert.ok(fake.hosts.has('oauth2.googleapis.com'));
      assert.equal(fake.carriedContent, 0);
    } finally {
      await sut.close();
    }
  });

  it('is refused when the token endpoint refuses the assertion (wrong key), and recovers with a fresh app once the key is good', async () => {
    const wrong = createFcmSender(opts({ serviceAccount: { project_id: 'tacit-demo', client_email: clientEmail, private_key: rsa().priv } }));
    const sut = createFcmSender(opts());
    try {
      assert.deepEqual(await wrong.wake(target), { kind: 'refused', reason: 'app/invalid-credential' });
      assert.equal((await sut.wake(target)).kind, 'sent');
      fake.revokeKey();
      const o = await sut.wake(target);
      assert.equal(o.kind, 'refused');
      fake.revokeKey(false);
      const issued = fake.tokensIssued;
      assert.deepEqual(await sut.wake(target), { kind: 'sent' });
      assert.equal(fake.tokensIssued, issued + 1, `a new access token after the refusal: ${fake.answers.slice(-6).join(', ')} ${JSON.stringify(o)}`);
    } finally {
      await wrong.close();
      await sut.close();
    }
  });

  it('is refused while the token endpoint finds the assertion expired, then fetches a new token', async () => {
    let skew = 2 * 3_600_000; // the endpoint's clock runs two hours ahead: the assertion's exp is past
    const ahead = await startFakeFcm({ projectId: 'tacit-demo', clientEmail, publicKeyPem: key.pub, now: () => Date.now() + skew });
    const sut = createFcmSender(opts({ endpoint: ahead.url, ca: ahead.ca }));
    try {
      assert.deepEqual(await sut.wake(target), { kind: 'refused', reason: 'app/invalid-credential' });
      assert.equal(ahead.answers[0], '400 invalid_grant');
      skew = 0;
      assert.deepEqual(await sut.wake(target), { kind: 'sent' });
      assert.equal(ahead.tokensIssued, 1);
    } finally {
      await sut.close();
      await ahead.close();
    }
  });

  it('reports gone for UNREGISTERED, NOT_FOUND and INVALID_ARGUMENT', async () => {
    const sut = createFcmSender(opts());
    try {
      fake.answer({ status: 404, reason: 'UNREGISTERED' });
      fake.answer({ status: 404 });
      fake.answer({ status: 400, reason: 'INVALID_ARGUMENT' });
      assert.deepEqual(await sut.wake(target), { kind: 'gone', reason: 'messaging/registration-token-not-registered' });
      assert.deepEqual(await sut.wake(target), { kind: 'gone', reason: 'messaging/registration-token-not-registered' });
      assert.deepEqual(await sut.wake(target), { kind: 'gone', reason: 'messaging/invalid-argument' });
    } finally {
      await sut.close();
    }
  });

  it('asks for a retry on 429 (with Retry-After) and 500', async () => {
    const sut = createFcmSender(opts());
    try {
      fake.answer({ status: 429, reason: 'QUOTA_EXCEEDED', retryAfter: '9' });
      fake.answer({ status: 500, reason: 'INTERNAL' });
      assert.deepEqual(await sut.wake(target), { kind: 'retry', reason: 'messaging/message-rate-exceeded', retryAfterMs: 9000 });
      assert.deepEqual(await sut.wake(target), { kind: 'retry', reason: 'messaging/internal-error' });
      assert.equal((await sut.wake(target)).kind, 'sent');
    } finally {
      await sut.close();
    }
  });

  it('answers retry(timeout) after timeoutMs when FCM hangs, and close() ends the hung request', async () => {
    const sut = createFcmSender(opts({ timeoutMs: 400 }));
    try {
      assert.equal((await sut.wake(target)).kind, 'sent'); // the token is fetched outside the timed wake below
      fake.answer({ hang: true });
      const t0 = performance.now();
      assert.deepEqual(await sut.wake(target), { kind: 'retry', reason: 'timeout' });
      const took = performance.now() - t0;
      assert.ok(took >= 390 && took < 2000, `took ${took} ms`);
    } finally {
      const t0 = performance.now();
      await sut.close();
      assert.ok(performance.now() - t0 < 2000);
    }
    assert.deepEqual(await sut.wake(target), { kind: 'retry', reason: 'closed' });
  });

  it('rejects a malformed token with PushTargetError(MALFORMED, token)', async () => {
    const sut = createFcmSender(opts());
    try {
      for (const bad of ['', 'a b', 'x'.repeat(4097), 'tok\n']) {
        await assert.rejects(sut.wake({ provider: 'fcm', token: bad }), (e: unknown) => e instanceof PushTargetError && e.code === 'MALFORMED' && e.field === 'token');
      }
    } finally {
      await sut.close();
    }
  });

  it('maps firebase-admin errors by code, then by HTTP status', () => {
    const now = Date.now();
    assert.deepEqual(fcmOutcome({ code: 'messaging/authentication-error' }, now), { kind: 'refused', reason: 'messaging/authentication-error' });
    assert.deepEqual(fcmOutcome({ code: 'messaging/server-unavailable', httpResponse: { status: 503, headers: { 'retry-after': '2' } } }, now), { kind: 'retry', reason: 'messaging/server-unavailable', retryAfterMs: 2000 });
    assert.deepEqual(fcmOutcome({ code: 'messaging/unknown-error', httpResponse: { status: 403, headers: {} } }, now), { kind: 'refused', reason: 'status 403' });
    assert.deepEqual(fcmOutcome({ code: 'messaging/unknown-error', httpResponse: { status: 404, headers: {} } }, now), { kind: 'gone', reason: 'status 404' });
    assert.deepEqual(fcmOutcome({ code: 'app/network-timeout' }, now), { kind: 'retry', reason: 'app/network-timeout' });
    assert.equal(fcmOutcome(new Error('boom'), now).kind, 'retry');
  });

  it('refuses bad options with TypeError or RangeError naming them', () => {
    assert.throws(() => createFcmSender(opts({ serviceAccount: { project_id: '', client_email: clientEmail, private_key: key.priv } })), /"serviceAccount.project_id"/);
    assert.throws(() => createFcmSender(opts({ endpoint: 'http://127.0.0.1:1' })), /"endpoint" expected https:/);
    assert.throws(() => createFcmSender(opts({ maxInFlight: 0 })), RangeError);
    assert.throws(() => createFcmSender(opts({ serviceAccount: { project_id: 'p', client_email: clientEmail, private_key: 'nope' } })), /"serviceAccount.private_key" expected a PEM/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    assert.throws(() => createFcmSender(opts({ serviceAccount: { project_id: 'p', client_email: clientEmail, private_key: ec } })), /expected an RSA key/);
  });
});
