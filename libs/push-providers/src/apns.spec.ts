import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { connect } from 'node:http2';
import { createServer } from 'node:net';
import { APNS_WAKE_BODY, createApnsSender, type ApnsSenderOptions } from './apns.js';
import { PushTargetError } from './errors.js';
import { signEs256 } from './jwt.js';
import { startFakeApns, type FakeApns } from './testing/index.js';
import { fakeForSuite } from './testing/suite.js';

function p256(): { priv: string; pub: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { priv: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), pub: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

const key = p256();
const token = 'ab'.repeat(32);
const target = { provider: 'apns', token } as const;
const claims = (auth: string): Record<string, unknown> => JSON.parse(Buffer.from(auth.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
const header = (auth: string): Record<string, unknown> => JSON.parse(Buffer.from(auth.slice(7).split('.')[0] ?? '', 'base64url').toString()) as Record<string, unknown>;

describe(createApnsSender.name, () => {
  let fake: FakeApns;
  const opts = (o: Partial<ApnsSenderOptions> = {}): ApnsSenderOptions => ({ keyPem: key.priv, keyId: 'KEY1234567', teamId: 'TEAM123456', topic: 'app.tacit.demo', endpoint: fake.url, ca: fake.ca, timeoutMs: 2000, ...o });

  fakeForSuite(() => startFakeApns({ keyId: 'KEY1234567', teamId: 'TEAM123456', publicKeyPem: key.pub, topic: 'app.tacit.demo' }), (f) => (fake = f));

  it('sends a background push (priority 5, topic, expiration) with the constant body and an ES256 provider token', async () => {
    const sut = createApnsSender(opts());
    try {
      const before = fake.wakes.length;
      assert.deepEqual(await sut.wake(target), { kind: 'sent' });
      const w = fake.wakes[before];
      assert.ok(w);
      assert.equal(w.token, token);
      assert.equal(w.body, APNS_WAKE_BODY);
      assert.equal(w.headers['apns-push-type'], 'background');
      assert.equal(w.headers['apns-priority'], '5');
      assert.equal(w.headers['apns-topic'], 'app.tacit.demo');
      const exp = Number(w.headers['apns-expiration']);
      assert.ok(Math.abs(exp - (Date.now() / 1000 + 3600)) < 10, 'expiration = now + 1 h');
      const auth = w.headers['authorization'] ?? '';
      assert.deepEqual(header(auth), { alg: 'ES256', kid: 'KEY1234567' });
      assert.equal(claims(auth)['iss'], 'TEAM123456');
      assert.equal(fake.carriedContent, 0);
    } finally {
      await sut.close();
    }
  });

  it('reuses one HTTP/2 session and one cached token, and dials anew after a GOAWAY', async () => {
    const sut = createApnsSender(opts());
    try {
      const sessions = fake.sessions;
      const before = fake.wakes.length;
      for (let i = 0; i < 3; i++) assert.equal((await sut.wake(target)).kind, 'sent');
      assert.equal(fake.sessions, sessions + 1);
      const auths = new Set(fake.wakes.slice(before).map((w) => w.headers['authorization']));
      assert.equal(auths.size, 1);
      fake.goaway();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal((await sut.wake(target)).kind, 'sent');
      assert.equal(fake.sessions, sessions + 2);
    } finally {
      await sut.close();
    }
  });

  it('answers retry when the connection drops mid-wake, and dials anew for the next one', async () => {
    const sut = createApnsSender(opts({ timeoutMs: 5000 }));
    try {
      fake.answer({ hang: true });
      const sessions = fake.sessions;
      const t0 = performance.now();
      const hung = sut.wake(target);
      await new Promise((r) => setTimeout(r, 100));
      fake.dropConnections();
      const o = await hung;
      assert.equal(o.kind, 'retry');
      assert.notEqual(o.kind === 'retry' && o.reason, 'timeout');
      assert.ok(performance.now() - t0 < 2000);
      assert.equal((await sut.wake(target)).kind, 'sent');
      assert.equal(fake.sessions, sessions + 2, 'the dropped session and its replacement');
    } finally {
      await sut.close();
    }
  });

  it('is refused (InvalidProviderToken) when signed with another key', async () => {
    const sut = createApnsSender(opts({ keyPem: p256().priv }));
    try {
      assert.deepEqual(await sut.wake(target), { kind: 'refused', reason: 'InvalidProviderToken' });
    } finally {
      await sut.close();
    }
  });

  it('is refused while the key is revoked, and signs a new token for the next wake', async () => {
    let clock = Date.now();
    const sut = createApnsSender(opts({ now: () => clock }));
    try {
      const before = fake.wakes.length;
      assert.equal((await sut.wake(target)).kind, 'sent');
      fake.revokeKey();
      assert.deepEqual(await sut.wake(target), { kind: 'refused', reason: 'InvalidProviderToken' });
      fake.revokeKey(false);
      clock += 1000; // far below the 50 min refresh: only the refusal makes it sign again
      assert.equal((await sut.wake(target)).kind, 'sent');
      const [a, b] = fake.wakes.slice(before).map((w) => w.headers['authorization']);
      assert.notEqual(a, b);
    } finally {
      await sut.close();
    }
  });

  it('is refused (ExpiredProviderToken) for a token over an hour old, then re-signs and is accepted', async () => {
    let clock = Date.now() - 61 * 60_000;
    const sut = createApnsSender(opts({ now: () => clock }));
    try {
      assert.deepEqual(await sut.wake(target), { kind: 'refused', reason: 'ExpiredProviderToken' });
      clock = Date.now();
      const before = fake.wakes.length;
      assert.deepEqual(await sut.wake(target), { kind: 'sent' });
      const iat = claims(fake.wakes[before]?.headers['authorization'] ?? '')['iat'] as number;
      assert.ok(Math.abs(iat - Date.now() / 1000) < 10);
    } finally {
      await sut.close();
    }
  });

  it('re-signs a token after 50 minutes on its own', async () => {
    let clock = Date.now() - 55 * 60_000;
    const sut = createApnsSender(opts({ now: () => clock }));
    try {
      const before = fake.wakes.length;
      assert.equal((await sut.wake(target)).kind, 'sent');
      clock += 51 * 60_000;
      assert.equal((await sut.wake(target)).kind, 'sent');
      const [a, b] = fake.wakes.slice(before).map((w) => claims(w.headers['authorization'] ?? '')['iat'] as number);
      assert.equal((b ?? 0) - (a ?? 0), 51 * 60);
    } finally {
      await sut.close();
    }
  });

  it('reports gone for 410 Unregistered, BadDeviceToken and DeviceTokenNotForTopic', async () => {
    const sut = createApnsSender(opts());
    try {
      fake.answer({ status: 410, reason: 'Unregistered' });
      fake.answer({ status: 400, reason: 'BadDeviceToken' });
      fake.answer({ status: 400, reason: 'DeviceTokenNotForTopic' });
      fake.answer({ status: 410 });
      assert.deepEqual(await sut.wake(target), { kind: 'gone', reason: 'Unregistered' });
      assert.deepEqual(await sut.wake(target), { kind: 'gone', reason: 'BadDeviceToken' });
      assert.deepEqual(await sut.wake(target), { kind: 'gone', reason: 'DeviceTokenNotForTopic' });
      assert.deepEqual(await sut.wake(target), { kind: 'gone', reason: 'status 410' });
    } finally {
      await sut.close();
    }
  });

  it('asks for a retry on 429 (with Retry-After) and 500/503', async () => {
    const sut = createApnsSender(opts());
    try {
      fake.answer({ status: 429, reason: 'TooManyRequests', retryAfter: '7' });
      fake.answer({ status: 500, reason: 'InternalServerError' });
      fake.answer({ status: 503, reason: 'ServiceUnavailable' });
      assert.deepEqual(await sut.wake(target), { kind: 'retry', reason: 'TooManyRequests', retryAfterMs: 7000 });
      assert.deepEqual(await sut.wake(target), { kind: 'retry', reason: 'InternalServerError' });
      assert.deepEqual(await sut.wake(target), { kind: 'retry', reason: 'ServiceUnavailable' });
      assert.equal((await sut.wake(target)).kind, 'sent');
    } finally {
      await sut.close();
    }
  });

  it('answers retry(timeout) after timeoutMs when the provider hangs, and keeps working', async () => {
    const sut = createApnsSender(opts({ timeoutMs: 300 }));
    try {
      fake.answer({ hang: true });
      const t0 = performance.now();
      assert.deepEqual(await sut.wake(target), { kind: 'retry', reason: 'timeout' });
      const took = performance.now() - t0;
      assert.ok(took >= 290 && took < 1500, `took ${took} ms`);
      assert.equal((await sut.wake(target)).kind, 'sent');
    } finally {
      await sut.close();
    }
  });

  it('answers retry(busy) past maxInFlight, and retry(aborted) when the caller aborts', async () => {
    const sut = createApnsSender(opts({ timeoutMs: 1000, maxInFlight: 2 }));
    try {
      fake.answer({ hang: true }, 3);
      const hung = [sut.wake(target), sut.wake(target)];
      assert.equal(sut.inFlight, 2);
      assert.deepEqual(await sut.wake(target), { kind: 'retry', reason: 'busy' });
      assert.deepEqual(await Promise.all(hung), [
        { kind: 'retry', reason: 'timeout' },
        { kind: 'retry', reason: 'timeout' },
      ]);
      await new Promise((r) => setTimeout(r, 50)); // the cancelled streams close
      assert.equal(sut.inFlight, 0);
      const ac = new AbortController();
      const p = sut.wake(target, ac.signal);
      ac.abort();
      assert.deepEqual(await p, { kind: 'retry', reason: 'aborted' });
    } finally {
      await sut.close();
    }
  });

  it('answers retry when nothing listens at the endpoint', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    const sut = createApnsSender(opts({ endpoint: `https://127.0.0.1:${port}` }));
    try {
      const o = await sut.wake(target);
      assert.equal(o.kind, 'retry');
      assert.match(o.kind === 'retry' ? o.reason : '', /^connection/);
    } finally {
      await sut.close();
    }
  });

  it('rejects a malformed token with PushTargetError(MALFORMED, token) and sends nothing', async () => {
    const sut = createApnsSender(opts());
    try {
      const answered = fake.answers.length;
      for (const bad of ['', 'ab'.repeat(31), 'zz'.repeat(32), 'ab'.repeat(101), `${'ab'.repeat(32)}/x`]) {
        await assert.rejects(sut.wake({ provider: 'apns', token: bad }), (e: unknown) => e instanceof PushTargetError && e.code === 'MALFORMED' && e.field === 'token');
      }
      await assert.rejects(sut.wake({ provider: 'fcm', token: 'x' }), (e: unknown) => e instanceof PushTargetError && e.field === 'provider');
      assert.equal(fake.answers.length, answered);
    } finally {
      await sut.close();
    }
  });

  it('close() answers wakes in flight with retry(closed) at once and refuses later ones', async () => {
    const sut = createApnsSender(opts({ timeoutMs: 60_000 }));
    fake.answer({ hang: true });
    const hung = sut.wake(target);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    await sut.close();
    assert.deepEqual(await hung, { kind: 'retry', reason: 'closed' });
    assert.ok(performance.now() - t0 < 1500);
    assert.deepEqual(await sut.wake(target), { kind: 'retry', reason: 'closed' });
  });

  it('refuses bad options with TypeError or RangeError naming them', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    assert.throws(() => createApnsSender(opts({ keyPem: 'nope' })), TypeError);
    assert.throws(() => createApnsSender(opts({ keyPem: rsa })), /"keyPem" expected a P-256 key/);
    assert.throws(() => createApnsSender(opts({ keyId: 'a b' })), /"keyId"/);
    assert.throws(() => createApnsSender(opts({ endpoint: 'http://127.0.0.1:1' })), /"endpoint" expected https:/);
    assert.throws(() => createApnsSender(opts({ timeoutMs: 0 })), RangeError);
  });
});

describe(startFakeApns.name, () => {
  it('refuses a tampered provider token (claims changed under a valid signature) and a wrong kid', async () => {
    const sut = await startFakeApns({ keyId: 'K', teamId: 'T', publicKeyPem: key.pub, topic: 'x' });
    const client = connect(sut.url, { ca: sut.ca });
    const post = (auth: string): Promise<number> =>
      new Promise<number>((resolve, reject) => {
        const req = client.request({ ':method': 'POST', ':path': `/3/device/${token}`, authorization: auth, 'apns-push-type': 'background', 'apns-priority': '5', 'apns-topic': 'x' });
        let status = 0;
        req.on('response', (h) => (status = Number(h[':status']))).on('error', reject).on('close', () => resolve(status));
        req.resume();
        req.end(APNS_WAKE_BODY);
      });
    try {
      const good = signEs256({ alg: 'ES256', kid: 'K' }, { iss: 'T', iat: Math.floor(Date.now() / 1000) }, createPrivateKey(key.priv));
      const [h, , sig] = good.split('.');
      const tampered = `${h}.${Buffer.from(JSON.stringify({ iss: 'OTHER', iat: Math.floor(Date.now() / 1000) })).toString('base64url')}.${sig}`;
      const wrongKid = signEs256({ alg: 'ES256', kid: 'NOTK' }, { iss: 'T', iat: Math.floor(Date.now() / 1000) }, createPrivateKey(key.priv));
      assert.equal(await post(`bearer ${tampered}`), 403);
      assert.equal(await post(`bearer ${wrongKid}`), 403);
      assert.equal(await post(`bearer ${good}`), 200);
      assert.deepEqual(sut.answers, ['403 InvalidProviderToken', '403 InvalidProviderToken', '200']);
    } finally {
      client.close();
      await sut.close();
    }
  });

  it('counts a body that carries anything beyond the constant wake', async () => {
    const sut = await startFakeApns({ keyId: 'K', teamId: 'T', publicKeyPem: key.pub, topic: 'x' });
    const client = connect(sut.url, { ca: sut.ca });
    try {
      await new Promise<void>((resolve, reject) => {
        const req = client.request({ ':method': 'POST', ':path': `/3/device/${token}` });
        req.on('response', () => undefined).on('error', reject).on('close', () => resolve());
        req.resume();
        req.end('{"aps":{"content-available":1},"mailbox":"x"}');
      });
      assert.equal(sut.carriedContent, 1);
      assert.deepEqual(sut.answers, ['403 MissingProviderToken']);
      assert.equal(sut.wakes.length, 0);
    } finally {
      client.close();
      await sut.close();
    }
  });
});
