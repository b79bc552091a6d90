// Each service started alone, by its own `main`, as `npm start` and the cluster run them: the
// processes, their environment, what they print, their exit codes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { newMailboxIdentity, type MailboxIdentity, type ReceivedMessage } from '@tacit/sdk';
import { freePort, startNats, startPostgres, startRedis, waitFor } from '@tacit/testing';
import { client, dec, enc, procs, start, ready, type Proc } from './procs.js';

/** Starts the node again on `env` (its port and data folder) and drains `n` packets for `identity`. */
async function restartAndDrain(env: { PORT: string; OPS_PORT: string }, identity: MailboxIdentity, n: number): Promise<{ proc: Proc; got: ReceivedMessage[] }> {
  const proc = start('node', env as Record<string, string>);
  await ready(`http://127.0.0.1:${env.OPS_PORT}/readyz`, proc);
  const got: ReceivedMessage[] = [];
  const c = client(`ws://127.0.0.1:${env.PORT}/v1`, identity, got);
  await c.connect();
  try {
    await waitFor(() => got.length === n, { timeoutMs: 10_000, intervalMs: 10, what: `the ${n} packets queued before the restart` });
  } finally {
    c.close();
  }
  return { proc, got };
}

describe('each service started by its own main', { timeout: 300_000 }, () => {
  after(async () => {
    await Promise.all(procs.map((p) => p.exit('SIGKILL')));
  });

  it('the node (`npm start`): prints its URL, relays, keeps a queued packet across a restart of its data folder, exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tacit-main-'));
    try {
      const env = { HOST: '127.0.0.1', PORT: String(await freePort()), OPS_HOST: '127.0.0.1', OPS_PORT: String(await freePort()), MEDIA_PORT: '0', DATA_DIR: dir };
      const first = start('node', env);
      // A first start makes three embedded databases (the queue's, the prekey service's, the directory's): 15-20 s
      // on the shared 2-core machine under load, more beside other specs.
      await waitFor(() => /Tacit node listening on (ws:\/\/\S+)/.exec(first.out), { timeoutMs: 90_000, intervalMs: 20 });
      const url = /Tacit node listening on (ws:\/\/\S+)/.exec(first.out)![1]!;
      assert.equal(url, `ws://127.0.0.1:${env.PORT}/v1`);
      const inbox: ReceivedMessage[] = [];
      const a = client(url, newMailboxIdentity());
      const b = client(url, newMailboxIdentity(), inbox);
      const away = newMailboxIdentity();
      await Promise.all([a.connect(), b.connect()]);
      await a.send(b.peerKey, enc('live'));
      await a.send(away.publicKey, enc('kept'));
      await waitFor(() => inbox.length === 1, { timeoutMs: 5000, intervalMs: 10, what: 'the live packet' });
      a.close();
      b.close();
      assert.equal(await first.exit('SIGTERM'), 0);
      // The same data folder: the queued packet is still there.
      const { proc: second, got } = await restartAndDrain(env, away, 1);
      assert.equal(dec(got[0]!.payload), 'kept');
      assert.equal(await second.exit('SIGTERM'), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the node killed (SIGKILL) right after its ACCEPTED: every accepted packet is in its data folder at the restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tacit-kill-'));
    try {
      const env = { HOST: '127.0.0.1', PORT: String(await freePort()), OPS_HOST: '127.0.0.1', OPS_PORT: String(await freePort()), MEDIA_PORT: '0', DATA_DIR: dir };
      const url = `ws://127.0.0.1:${env.PORT}/v1`;
      const first = start('node', env);
      await ready(`http://127.0.0.1:${env.OPS_PORT}/readyz`, first);
      const a = client(url, newMailboxIdentity());
      const away = newMailboxIdentity();
      await a.connect();
      await Promise.all(Array.from({ length: 50 }, (_, i) => a.send(away.publicKey, enc(`k${i}`))));
      // Every send above was ACCEPTED: durably queued. Killed now, with no chance to flush anything.
      assert.equal(await first.exit('SIGKILL'), null);
      a.close();
      const { proc: second, got } = await restartAndDrain(env, away, 50);
      assert.deepEqual(new Set(got.map((m) => dec(m.payload))), new Set(Array.from({ length: 50 }, (_, i) => `k${i}`)));
      assert.equal(await second.exit('SIGTERM'), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the queue and the gateway as the cluster runs them: on NATS, PostgreSQL and Redis, a packet queued and drained; both exit 0 on SIGTERM', async () => {
    const [nats, postgres, redis] = await Promise.all([startNats({ jetstream: false }), startPostgres(), startRedis()]);
    try {
      const opsPort = await freePort();
      const queue = start('queue', { NATS_URL: nats.url, DATABASE_URL: postgres.url, OPS_HOST: '127.0.0.1', OPS_PORT: String(opsPort) });
      await ready(`http://127.0.0.1:${opsPort}/readyz`, queue);
      const [port, gatewayOps] = [await freePort(), await freePort()];
      const gateway = start('gateway', { NATS_URL: nats.url, REDIS_URL: redis.url, HOST: '127.0.0.1', PORT: String(port), OPS_HOST: '127.0.0.1', OPS_PORT: String(gatewayOps) });
      await ready(`http://127.0.0.1:${gatewayOps}/readyz`, gateway);
      const url = `ws://127.0.0.1:${port}/v1`;
      const a = client(url, newMailboxIdentity());
      const away = newMailboxIdentity();
      await a.connect();
      for (let i = 0; i < 20; i++) await a.send(away.publicKey, enc(`q${i}`));
      a.close();
      const got: ReceivedMessage[] = [];
      const c = client(url, away, got);
      await c.connect();
      await waitFor(() => got.length === 20, { timeoutMs: 10_000, intervalMs: 10, what: 'the queued packets' });
      assert.deepEqual(got.map((m) => dec(m.payload)), Array.from({ length: 20 }, (_, i) => `q${i}`));
      c.close();
      const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
      assert.match(metrics, /^tacit_queue_\w+/m, 'the queue serves its metrics');
      assert.equal(await gateway.exit('SIGTERM'), 0);
      assert.equal(await queue.exit('SIGTERM'), 0);
    } finally {
      await Promise.all([nats.stop(), postgres.stop(), redis.stop()]);
    }
  });

  it('the prekey service as the cluster runs it: migrates PostgreSQL, serves a bundle through a gateway, exits 0 on SIGTERM', async () => {
    const [nats, postgres, redis] = await Promise.all([startNats({ jetstream: false }), startPostgres(), startRedis()]);
    try {
      const opsPort = await freePort();
      const prekey = start('prekey', { NATS_URL: nats.url, DATABASE_URL: postgres.url, OPS_HOST: '127.0.0.1', OPS_PORT: String(opsPort) });
      await ready(`http://127.0.0.1:${opsPort}/readyz`, prekey);
      const [port, gatewayOps] = [await freePort(), await freePort()];
      const gateway = start('gateway', { NATS_URL: nats.url, REDIS_URL: redis.url, HOST: '127.0.0.1', PORT: String(port), OPS_HOST: '127.0.0.1', OPS_PORT: String(gatewayOps) });
      await ready(`http://127.0.0.1:${gatewayOps}/readyz`, gateway);
      const res = await fetch(`http://127.0.0.1:${port}/v1/prekeys/challenge`, { method: 'POST' });
      assert.equal(res.status, 200);
      assert.equal((await res.arrayBuffer()).byteLength, 40);
      const missing = await fetch(`http://127.0.0.1:${port}/v1/prekeys/fetch`, { method: 'POST', body: new Uint8Array(33).fill(1, 0, 1) });
      assert.equal(missing.status, 404);
      assert.equal(((await missing.json()) as { code: string }).code, 'NOT_FOUND');
      const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
      assert.match(metrics, /^tacit_prekey_fetches_total\{outcome="not_found"[^}]*\} 1$/m, 'the prekey service serves its metrics');
      assert.equal(await gateway.exit('SIGTERM'), 0);
      assert.equal(await prekey.exit('SIGTERM'), 0);
    } finally {
      await Promise.all([nats.stop(), postgres.stop(), redis.stop()]);
    }
  });

  it('a bad environment: the node and the queue exit 78 naming it, the gateway without NATS_URL or REDIS_URL, or with REDIS_SENTINELS beside REDIS_URL, too', async () => {
    const node = start('node', { PORT: 'not-a-port' });
    assert.equal(await node.exit(), 78);
    assert.match(node.out, /config_invalid/);
    assert.match(node.out, /"variable":"PORT"/, "names the variable (the logger redacts fields called key)");
    const queue = start('queue', {});
    assert.equal(await queue.exit(), 78);
    assert.match(queue.out, /"event":"config_invalid"/);
    assert.match(queue.out, /"variable":"(DATABASE_URL|NATS_URL)"/);
    const gateway = start('gateway', {});
    assert.equal(await gateway.exit(), 78);
    assert.match(gateway.out, /NATS_URL/);
    const sentinelAndUrl = start('gateway', { NATS_URL: 'nats://127.0.0.1:1', REDIS_URL: 'redis://127.0.0.1:1', REDIS_SENTINELS: '127.0.0.1:2', REDIS_PASSWORD: 'pw' });
    assert.equal(await sentinelAndUrl.exit(), 78);
    assert.match(sentinelAndUrl.out, /"variable":"REDIS_SENTINELS","problem":"set REDIS_URL or REDIS_SENTINELS, not both"/);
    assert.match(sentinelAndUrl.out, /"variable":"REDIS_SENTINEL_MASTER","problem":"required with REDIS_SENTINELS/);
    const prekey = start('prekey', { DATABASE_URL: 'postgres://127.0.0.1:1/x', NATS_URL: 'nats://127.0.0.1:1', PREKEY_MAX_PREKEYS: '0', PREKEY_NOPE: '1' });
    assert.equal(await prekey.exit(), 78);
    assert.match(prekey.out, /"variable":"PREKEY_MAX_PREKEYS"/);
    assert.match(prekey.out, /PREKEY_NOPE/, 'an unknown PREKEY_ variable is named');
    const media = start('media', { MEDIA_PART_SIZE: '1MiB', MEDIA_NOPE: '1', AWS_ACCESS_KEY_ID: 'half-a-pair' });
    assert.equal(await media.exit(), 78);
    assert.match(media.out, /"variable":"MEDIA_PART_SIZE"/);
    assert.match(media.out, /MEDIA_NOPE/, 'an unknown MEDIA_ variable is named');
    assert.match(media.out, /"variable":"REDIS_URL"/);
  });

  it('the media main serves uploads and downloads with Redis for its limits, and exits 0 on SIGTERM', async () => {
    const redis = await startRedis();
    const dir = mkdtempSync(path.join(tmpdir(), 'tacit-mains-media-'));
    try {
      const [port, opsPort] = [await freePort(), await freePort()];
      const media = start('media', { MEDIA_STORE: 'fs', DATA_DIR: dir, REDIS_URL: redis.url, MEDIA_HOST: '127.0.0.1', MEDIA_PORT: String(port), OPS_HOST: '127.0.0.1', OPS_PORT: String(opsPort) });
      await ready(`http://127.0.0.1:${opsPort}/readyz`, media);
      const url = `http://127.0.0.1:${port}`;
      const created = await fetch(`${url}/v1/media/uploads`, { method: 'POST', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '5' } });
      assert.equal(created.status, 201);
      const id = created.headers.get('location')!.split('/').pop()!;
      const patched = await fetch(`${url}/v1/media/uploads/${id}`, { method: 'PATCH', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }, body: 'hello' });
      assert.equal(patched.status, 204);
      assert.equal(await (await fetch(`${url}/v1/media/blobs/${id}`)).text(), 'hello');
      assert.equal(await media.exit('SIGTERM'), 0);
      assert.ok(!media.out.includes(id), 'no blob id in the logs');
    } finally {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
