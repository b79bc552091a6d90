import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import webpush from 'web-push';
import { createApnsSender, createFcmSender, createWebPushSender, type WakeSender, type WakeTarget } from './index.js';
import { startFakeApns, startFakeFcm, startFakeWebPush } from './testing/index.js';

// Handles of kinds a sender could leak: sockets, TLS wraps, HTTP/2 sessions, timers.
function handles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

async function settlesTo(baseline: Map<string, number>, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  let diff = '';
  do {
    const now = handles();
    diff = [...new Set([...now.keys(), ...baseline.keys()])]
      .filter((k) => (now.get(k) ?? 0) > (baseline.get(k) ?? 0))
      .map((k) => `${k} +${(now.get(k) ?? 0) - (baseline.get(k) ?? 0)}`)
      .join(', ');
    if (!diff) return '';
    await new Promise((r) => setTimeout(r, 50));
  } while (Date.now() < deadline);
  return diff;
}

describe('senders', () => {
  it('time out against hung providers, then close() leaves no socket, session or timer behind', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const vapid = webpush.generateVAPIDKeys();
    const apns = await startFakeApns({ keyId: 'K1', teamId: 'T1', publicKeyPem: ec.publicKey.export({ type: 'spki', format: 'pem' }).toString(), topic: 'app.x' });
    const fcm = await startFakeFcm({ projectId: 'p', clientEmail: 'a@p.iam.gserviceaccount.com', publicKeyPem: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    const web = await startFakeWebPush({ vapidPublicKey: vapid.publicKey });
    try {
      await new Promise((r) => setTimeout(r, 20));
      const baseline = handles();
      const senders: [WakeSender, WakeTarget][] = [
        [createApnsSender({ keyPem: ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), keyId: 'K1', teamId: 'T1', topic: 'app.x', endpoint: apns.url, ca: apns.ca, timeoutMs: 300 }), { provider: 'apns', token: 'cd'.repeat(32) }],
        [
          createFcmSender({ serviceAccount: { project_id: 'p', client_email: 'a@p.iam.gserviceaccount.com', private_key: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }, endpoint: fcm.url, ca: fcm.ca, timeoutMs: 300 }),
          { provider: 'fcm', token: 'tok' },
        ],
        [createWebPushSender({ subject: 'mailto:ops@x.example', publicKey: vapid.publicKey, privateKey: vapid.privateKey, ca: web.ca, timeoutMs: 300, allowPrivateHosts: true }), web.subscription()],
      ];
      for (const [sut, target] of senders) assert.equal((await sut.wake(target)).kind, 'sent', sut.provider);
      for (const f of [apns, fcm, web]) f.answer({ hang: true }, Infinity);
      const t0 = performance.now();
      const outcomes = await Promise.all(senders.map(([sut, target]) => sut.wake(target)));
      assert.ok(performance.now() - t0 < 1500, 'every hung wake answered within its timeout');
      for (const o of outcomes) assert.equal(o.kind, 'retry');
      const hung = senders.map(([sut, target]) => sut.wake(target)); // still hanging when closed
      await new Promise((r) => setTimeout(r, 50));
      await Promise.all(senders.map(([sut]) => sut.close()));
      assert.deepEqual(
        (await Promise.all(hung)).map((o) => o.kind === 'retry' && o.reason),
        ['closed', 'closed', 'closed'],
      );
      assert.equal(await settlesTo(baseline, 3000), '', 'handles left after close()');
    } finally {
      await Promise.all([apns.close(), fcm.close(), web.close()]);
    }
  });
});
