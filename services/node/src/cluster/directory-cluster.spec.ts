// Issue 16's run in the cluster shape: NATS, PostgreSQL, Redis, the queue, prekey and directory
// services, two gateway replicas as processes. Alice registers @alice through replica A, Bob looks
// her up through replica B knowing only the handle and they converse; Alice signs @alice over to
// Carol and Bob's next lookup finds Carol; a lookup flood from one address is RATE_LIMITED across
// both replicas. Then nothing readable: neither the handle, the namespace id nor an owner's identity
// key (raw, hex, base64, base64url) in any PostgreSQL table, any Redis key or value, any service's
// log (at debug level) or metrics.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { Redis } from 'ioredis';
import { DirectoryError, MemoryStore, Messenger, type IncomingMessage } from '@tacit/sdk';
import { earlyInWindow, httpGet, waitFor } from '@tacit/testing';
import { Cluster } from './harness.js';

const ns = crypto.getRandomValues(new Uint8Array(32));
const HANDLE = `al${crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36)}`;

/** Every spelling of `b` (raw bytes as latin1, hex, base64, base64url). */
function spellings(b: Uint8Array): string[] {
  const x = Buffer.from(b);
  return [x.toString('latin1'), x.toString('hex'), x.toString('base64').replace(/=+$/, ''), x.toString('base64url')];
}

describe('the directory on the cluster: two gateway replicas, real servers', { timeout: 240_000 }, () => {
  let cluster: Cluster;
  const opened: Messenger[] = [];
  before(async () => {
    cluster = await Cluster.start({
      gateways: 2,
      logLevel: 'debug',
      keepLog: true,
      env: { GATEWAY_DIRECTORY_LOOKUPS_PER_MINUTE: '30', GATEWAY_PREKEY_UPLOADS_PER_MINUTE: '1000', GATEWAY_PREKEY_FETCHES_PER_MINUTE: '1000' },
    });
  });
  after(async () => {
    await Promise.all(opened.map((m) => m.close()));
    await cluster.stop();
  });

  const party = async (relays: string[]): Promise<{ m: Messenger; got: IncomingMessage[] }> => {
    const got: IncomingMessage[] = [];
    const m = await Messenger.create({ namespaceId: ns, relays, store: new MemoryStore(), maintainEveryMs: 0, preKeys: { target: 8, lowWater: 4 }, minBackoffMs: 50, maxBackoffMs: 300 });
    m.onMessage((x) => void got.push(x));
    opened.push(m);
    return { m, got };
  };

  it('register through one replica, look up and converse through the other, transfer, a shared flood limit; nothing readable on the relay', async () => {
    const [A, B] = [cluster.gateways[0]!.url, cluster.gateways[1]!.url];
    const alice = await party([A, B]);
    const bob = await party([B, A]);
    const carol = await party([A, B]);
    await alice.m.register(`@${HANDLE}`);
    const found = await bob.m.lookup(HANDLE);
    assert.deepEqual(found.identityKey, alice.m.identityKey);
    await bob.m.send(found.invite, 'hello');
    await waitFor(() => alice.got.length === 1, { timeoutMs: 20_000, intervalMs: 20, what: "Bob's message" });
    await alice.m.send(alice.got[0]!.from, 'hi');
    await waitFor(() => bob.got.length === 1, { timeoutMs: 20_000, intervalMs: 20, what: "Alice's answer" });

    await carol.m.acceptTransfer(HANDLE, await alice.m.transfer(HANDLE, await carol.m.transferRequest(HANDLE)));
    assert.deepEqual((await bob.m.lookup(HANDLE)).identityKey, carol.m.identityKey);

    // Every client here is 127.0.0.1: the gateway's window is one across both replicas. The windows
    // are fixed minutes: a flood that straddled a minute's end would be counted in two (up to 60 ok),
    // so it starts early in one.
    await earlyInWindow(60_000, 15_000);
    const codes: string[] = [];
    for (let i = 0; i < 40 && !codes.includes('RATE_LIMITED'); i++) {
      const m = i % 2 ? alice.m : bob.m;
      await m.lookup(HANDLE).then(
        () => codes.push('ok'),
        (e: unknown) => codes.push(e instanceof DirectoryError ? e.code : String(e)),
      );
    }
    assert.ok(codes.includes('RATE_LIMITED'), codes.join(' '));
    assert.ok(codes.filter((c) => c === 'ok').length <= 30);

    await Promise.all(opened.splice(0).map((m) => m.close()));
    const needles: Array<[string, string]> = [
      ['handle', HANDLE],
      ...spellings(ns).map((s) => ['namespace id', s] as [string, string]),
      ...[alice.m.identityKey, carol.m.identityKey].flatMap((k) => spellings(k).map((s) => ['identity key', s] as [string, string])),
    ];
    const db = await dumpTables(cluster.postgres.url, 'directory');
    assert.ok(db.includes('directory_entries'), 'the directory\'s tables were dumped');
    // The search finds a key where one is: the prekey service's bundles hold identity keys.
    const prekeys = await dumpTables(cluster.postgres.url, 'prekey');
    assert.ok(spellings(alice.m.identityKey).some((s) => prekeys.includes(s)), 'the dump would show an identity key');
    const redis = await dumpRedis(cluster.redis.url);
    assert.ok(redis.length > 0);
    const logs = [...cluster.gateways.flatMap((g) => g.fullLog), ...cluster.serviceLog].join('');
    assert.ok(cluster.serviceLog.some((l) => l.includes('"service":"directory"')), 'the directory logged at debug');
    const metrics = (
      await Promise.all([...cluster.gateways.map((g) => `http://127.0.0.1:${g.opsPort}/metrics`), `${cluster.directoryService.opsUrl}/metrics`].map((u) => httpGet(u)))
    )
      .map((r) => r.text)
      .join('\n');
    assert.match(metrics, /tacit_directory_requests_total\{op="transfer",outcome="ok"/);
    assert.match(metrics, /tacit_gateway_directory_requests_total\{endpoint="lookup",outcome="RATE_LIMITED"/);
    for (const [what, needle] of needles) {
      assert.ok(!db.includes(needle), `${what} in the directory's tables`);
      assert.ok(!redis.includes(needle), `${what} in Redis`);
      assert.ok(!logs.includes(needle), `${what} in the logs`);
      assert.ok(!metrics.includes(needle), `${what} in the metrics`);
    }
  });
});

/**
 * Every row of the tables named `prefix`…, as text and with bytea columns also as raw bytes (latin1).
 * The prekey service's tables are not the directory's: they hold identity keys by design
 * (docs/prekey.md).
 */
async function dumpTables(url: string, prefix: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const tables = (await c.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE $1", [`${prefix}%`])).rows.map((r) => r.t);
    const parts: string[] = [...tables];
    for (const t of tables) {
      for (const r of (await c.query<{ r: string }>(`SELECT x::text AS r FROM ${t} x`)).rows) {
        parts.push(r.r);
        for (const m of r.r.matchAll(/\\\\x([0-9a-f]+)/g)) parts.push(Buffer.from(m[1]!, 'hex').toString('latin1'));
      }
    }
    return parts.join('\n');
  } finally {
    await c.end();
  }
}

async function dumpRedis(url: string): Promise<string> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const out: string[] = [];
    for (const k of await r.keys('*')) {
      out.push(k);
      const type = await r.type(k);
      const v =
        type === 'string' ? await r.getBuffer(k)
        : type === 'set' ? (await r.smembersBuffer(k)).join('|')
        : type === 'hash' ? JSON.stringify(await r.hgetall(k))
        : type === 'list' ? (await r.lrange(k, 0, -1)).join('|')
        : type === 'zset' ? (await r.zrange(k, '0', '-1')).join('|')
        : '';
      out.push(Buffer.isBuffer(v) ? v.toString('latin1') : String(v));
    }
    return out.join('\n');
  } finally {
    r.disconnect();
  }
}
