// Issue 15's wake, in the cluster shape on real servers: NATS with JetStream, PostgreSQL, Redis, the
// queue, prekey and push services, two gateway replicas as processes, and local servers playing
// APNs (HTTP/2, ES256 provider tokens), FCM (OAuth assertion, v1 send) and a Web Push service
// (VAPID). Three of Bob's devices (one per provider) register, go offline; Alice sends each several
// messages; each provider receives exactly one content-free wake per coalescing window; each
// device, woken, connects and drains every message. Nothing in any wake carries content or a
// mailbox id, and no mailbox id, peer key or token is readable in the push service's tables.
import assert from 'node:assert/strict';
import { createECDH, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startService, type RunningService } from '@tacit/platform';
import { pushService } from '@tacit/push';
import { startFakeApns, startFakeFcm, startFakeWebPush, type FakeApns, type FakeFcm, type FakeProvider, type FakeWebPush } from '@tacit/push-providers/testing';
import { MemoryStore, Messenger, type IncomingMessage } from '@tacit/sdk';
import { createLogger } from '@tacit/kit';
import { waitFor } from '@tacit/testing';
import type { PushTargetFields } from '@tacit/protocol';
import { Cluster } from './harness.js';

const ns = crypto.getRandomValues(new Uint8Array(32));
/** Coalescing window of the push service here (its minimum is 1 s). */
const WINDOW_MS = 2000;

describe('push wakes on the cluster: APNs, FCM and Web Push, real servers', { timeout: 240_000 }, () => {
  let cluster: Cluster;
  let push: RunningService;
  let apns: FakeApns;
  let fcm: FakeFcm;
  let web: FakeWebPush;
  const opened: Messenger[] = [];
  const log: string[] = [];

  before(async () => {
    const apnsKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const fcmKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const vapid = { publicKey: ecdh.getPublicKey().toString('base64url'), privateKey: ecdh.getPrivateKey().toString('hex').padStart(64, '0') };
    vapid.privateKey = Buffer.from(vapid.privateKey, 'hex').toString('base64url');
    const pem = (k: { export(o: { type: 'pkcs8' | 'spki'; format: 'pem' }): string | Buffer }, type: 'pkcs8' | 'spki') => k.export({ type, format: 'pem' }).toString();
    // Each assigned as it starts, all settled before any failure is thrown: one that fails to start
    // leaves the others to after(), not open (an open server keeps the spec's process alive).
    const started = await Promise.allSettled([
      startFakeApns({ keyId: 'KEYID12345', teamId: 'TEAM123456', publicKeyPem: pem(apnsKey.publicKey, 'spki'), topic: 'app.tacit.test' }).then((f) => (apns = f)),
      startFakeFcm({ projectId: 'tacit-test', clientEmail: 'push@tacit-test.iam.gserviceaccount.com', publicKeyPem: pem(fcmKey.publicKey, 'spki') }).then((f) => (fcm = f)),
      startFakeWebPush({ vapidPublicKey: vapid.publicKey }).then((f) => (web = f)),
    ]);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    cluster = await Cluster.start({ gateways: 2, jetstream: true, env: { GATEWAY_PREKEY_UPLOADS_PER_MINUTE: '1000', GATEWAY_PREKEY_FETCHES_PER_MINUTE: '1000' } });
    push = await startService(pushService, {
      env: {
        DATABASE_URL: cluster.postgres.url,
        NATS_URL: cluster.nats.url,
        OPS_PORT: '0',
        OPS_HOST: '127.0.0.1',
        PUSH_SECRET: 'a-push-secret-for-the-cluster-spec-only',
        PUSH_COALESCE_WINDOW: `${WINDOW_MS / 1000}s`,
        PUSH_APNS_KEY: pem(apnsKey.privateKey, 'pkcs8'),
        PUSH_APNS_KEY_ID: 'KEYID12345',
        PUSH_APNS_TEAM_ID: 'TEAM123456',
        PUSH_APNS_TOPIC: 'app.tacit.test',
        PUSH_APNS_ENDPOINT: apns.url,
        PUSH_FCM_SERVICE_ACCOUNT: JSON.stringify({ type: 'service_account', project_id: 'tacit-test', client_email: 'push@tacit-test.iam.gserviceaccount.com', private_key: pem(fcmKey.privateKey, 'pkcs8') }),
        PUSH_FCM_ENDPOINT: fcm.url,
        PUSH_WEBPUSH_VAPID_PUBLIC: vapid.publicKey,
        PUSH_WEBPUSH_VAPID_PRIVATE: vapid.privateKey,
        PUSH_WEBPUSH_VAPID_SUBJECT: 'mailto:ops@tacit.test',
        PUSH_PROVIDER_CA: [apns.ca, fcm.ca, web.ca].join('\n'),
        PUSH_ALLOW_INTERNAL_HOSTS: 'true',
      },
      logger: createLogger({ service: 'push', level: 'debug', write: (l) => void log.push(l) }),
    });
  });
  after(async () => {
    await Promise.all(opened.map((m) => m.close().catch(() => undefined)));
    await push?.close().catch(() => undefined);
    await cluster?.stop();
    await Promise.all([apns?.close(), fcm?.close(), web?.close()]);
  });

  const open = async (store: MemoryStore, relays: string[], got: IncomingMessage[]): Promise<Messenger> => {
    const m = await Messenger.create({ namespaceId: ns, relays, store, maintainEveryMs: 0, preKeys: { target: 4, lowWater: 2 }, minBackoffMs: 50, maxBackoffMs: 300 });
    m.onMessage((x) => void got.push(x));
    opened.push(m);
    return m;
  };

  it('an offline device gets one content-free wake per window, connects and drains; nothing readable in the push tables', async () => {
    const [A, B] = [cluster.gateways[0]!.url, cluster.gateways[1]!.url];
    const alice = await open(new MemoryStore(), [A, B], []);
    const devices: Array<{ name: string; fake: FakeProvider; target: PushTargetFields; token: string }> = [
      { name: 'apns', fake: apns, target: { provider: 'apns', token: 'a7'.repeat(32) }, token: 'a7'.repeat(32) },
      { name: 'fcm', fake: fcm, target: { provider: 'fcm', token: 'fcm-device:' + 'Q'.repeat(140) }, token: 'fcm-device:' + 'Q'.repeat(140) },
      ...(() => {
        const sub = web.subscription();
        return [{ name: 'webpush', fake: web as FakeProvider, target: sub as PushTargetFields, token: new URL(sub.endpoint).pathname.slice('/push/'.length) }];
      })(),
    ];
    const bobs = [];
    for (const d of devices) {
      const store = new MemoryStore();
      const got: IncomingMessage[] = [];
      const bob = await open(store, [B, A], got);
      const reg = await bob.registerPush({ target: d.target, horizonHours: 24 });
      assert.equal(reg.mailboxes, 26, `${d.name}: epochs now-1 .. now+24`);
      // A first message while online: the session exists before Bob goes away.
      await alice.send(bob.invite(), `hello ${d.name}`);
      await waitFor(() => got.length === 1, { timeoutMs: 20_000, intervalMs: 20, what: `${d.name}: the first message, live` });
      bobs.push({ ...d, store, got, bob, contact: alice.contact(bob.invite()) });
    }
    for (const d of devices) assert.equal(d.fake.wakes.length, 0, `${d.name}: no wake while the device is online`);

    // Bob's devices go offline; Alice sends each five messages in a burst.
    for (const b of bobs) {
      await b.bob.close();
      opened.splice(opened.indexOf(b.bob), 1);
    }
    const sentAt = Date.now();
    for (const b of bobs) for (let i = 0; i < 5; i++) await alice.send(b.contact, `${b.name} #${i}`);
    // The first wake comes at once; the burst's rest is one more at the window's end, and then nothing.
    for (const b of bobs) {
      await waitFor(() => b.fake.wakes.length >= 1, { timeoutMs: 10_000, intervalMs: 20, what: `${b.name}: a wake` }).catch(async (err: unknown) => {
        const metrics = await (await fetch(`${push.opsUrl}/metrics`)).text();
        throw new Error(`${String(err)}; answers ${b.fake.answers.join(',')}; push ${metrics.split('\n').filter((l) => l.startsWith('tacit_push')).join(' | ')}; log ${log.slice(-5).join(' ')}`);
      });
    }
    await new Promise((r) => setTimeout(r, WINDOW_MS * 2.5));
    const windows = Math.ceil((Date.now() - sentAt) / WINDOW_MS);
    for (const b of bobs) {
      const wakes = b.fake.wakes.filter((w) => w.token === b.token);
      assert.ok(wakes.length >= 1 && wakes.length <= 2, `${b.name}: ${wakes.length} wakes for a burst of 5 (one, and one at the window's end)`);
      assert.ok(wakes.length <= windows, `${b.name}: at most one wake per window`);
      assert.equal(b.fake.carriedContent, 0, `${b.name}: no wake carried anything but the constant`);
    }
    // What each provider was sent: the constant wake, checked as the real one checks it.
    const a = bobs[0]!.fake.wakes[0]!;
    assert.equal(a.headers['apns-push-type'], 'background');
    assert.equal(a.headers['apns-priority'], '5');
    assert.deepEqual(JSON.parse(a.body), { aps: { 'content-available': 1 } });
    assert.equal(bobs[2]!.fake.wakes[0]!.body, '', 'Web Push: no payload');
    for (const b of bobs) for (const w of b.fake.wakes) for (const m of ['#', 'hello', b.name === 'fcm' ? 'apns' : 'fcm']) assert.ok(!w.body.includes(m), `${b.name}: "${m}" in a wake body`);

    // Woken, each device connects and drains all five.
    for (const b of bobs) {
      const got: IncomingMessage[] = [];
      await open(b.store, [B, A], got);
      await waitFor(() => got.length === 5, { timeoutMs: 20_000, intervalMs: 20, what: `${b.name}: the five queued messages after the wake` });
      assert.deepEqual(got.map((m) => new TextDecoder().decode(m.data)).sort(), [0, 1, 2, 3, 4].map((i) => `${b.name} #${i}`));
    }

    // A provider that hangs delays no delivery: Alice's send is accepted while APNs holds the wake.
    const a0 = bobs[0]!;
    for (const m of opened.splice(opened.length - 3)) await m.close();
    apns.answer({ hang: true }, Infinity);
    const answered = apns.answers.length;
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    await alice.send(a0.contact, 'while APNs hangs');
    const held = async () => Number(/^tacit_push_wakes_in_flight\{provider="apns"[^}]*\} (\d+)$/m.exec(await (await fetch(`${push.opsUrl}/metrics`)).text())?.[1] ?? 0);
    await waitFor(async () => (await held()) > 0, { timeoutMs: 10_000, intervalMs: 50, what: 'a wake held by the hanging APNs' }).catch(async (err: unknown) => {
      const r = await fetch(`${push.opsUrl}/metrics`);
      const metrics = await r.text();
      throw new Error(`${String(err)}; answers ${apns.answers.length - answered}; status ${r.status} ${metrics.length}; push ${metrics.split('\n').filter((l) => l.includes('push') && !l.startsWith('#')).join(' | ')}; log ${log.slice(-8).join(' ')}`);
    });
    assert.equal(apns.answers.length, answered, 'APNs has answered nothing since');
    apns.clearAnswers();

    // Nothing readable: the push service's tables hold no token, endpoint, peer key or mailbox id.
    const db = new pg.Client({ connectionString: cluster.postgres.url });
    await db.connect();
    try {
      const tables = (await db.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'push%'")).rows.map((r) => r.t);
      assert.ok(tables.length >= 2, tables.join(','));
      let dump = '';
      for (const t of tables) for (const r of (await db.query<{ r: string }>(`SELECT x::text AS r FROM ${t} x`)).rows) dump += r.r + '\n';
      // The target is stored (a wake needs it) — but the mailbox ids and peer keys are not.
      for (const b of bobs) {
        const mailboxKey = Buffer.from(b.contact.mailboxKey);
        for (const s of [mailboxKey.toString('hex'), mailboxKey.toString('base64url')]) assert.ok(!dump.includes(s), `${b.name}: the peer key in the push tables`);
      }
    } finally {
      await db.end();
    }
  });
});
