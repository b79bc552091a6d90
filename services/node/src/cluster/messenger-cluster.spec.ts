// Issue 13's run on real servers, in the cluster shape: NATS, PostgreSQL, Redis, the queue and prekey
// services, two gateway replicas as processes; Alice on one replica, Bob on the other. Alice fetches
// Bob's bundle while he is offline and sends; Bob comes online; they converse across epoch
// boundaries on a simulated clock (live, and with Bob offline through an hour); every message
// arrives exactly once, decrypted, in order. Then a marker string sent in every message is looked
// for in PostgreSQL (every table, while messages were queued and after), Redis (every key and
// value), every service's log (at debug level) and metrics: it is nowhere.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { Redis } from 'ioredis';
import { EPOCH_MS, prekeyAddressOf, prekeyTag } from '@tacit/protocol';
import { MemoryStore, Messenger, type IncomingMessage, type SessionStore } from '@tacit/sdk';
import { httpGet, waitFor } from '@tacit/testing';
import { Cluster } from './harness.js';

const ns = crypto.getRandomValues(new Uint8Array(32));
const MARKER = `tacit-marker-${crypto.getRandomValues(new Uint32Array(2)).join('')}`;

/** The spellings a marker could take in a row, a key, a log line or a label. */
function spellings(s: string): string[] {
  const b = Buffer.from(s);
  return [s, b.toString('hex'), b.toString('base64').replace(/=+$/, ''), b.toString('base64url')];
}

describe('messenger on the cluster: two gateway replicas, real servers', { timeout: 240_000 }, () => {
  let cluster: Cluster;
  const clock = { t: 0 };
  const now = () => clock.t;
  const opened: Messenger[] = [];
  before(async () => {
    // Five minutes before an hour turns, so the conversation crosses it.
    clock.t = (Math.floor(Date.now() / EPOCH_MS) + 1) * EPOCH_MS - 5 * 60_000;
    cluster = await Cluster.start({ gateways: 2, logLevel: 'debug', keepLog: true });
  });
  after(async () => {
    await Promise.all(opened.map((m) => m.close()));
    await cluster.stop();
  });

  const messenger = async (relays: string[], store: SessionStore, got: IncomingMessage[], errors: Error[]): Promise<Messenger> => {
    const m = await Messenger.create({ namespaceId: ns, relays, store, now, claimCheckMs: 50, maintainEveryMs: 0, preKeys: { target: 20, lowWater: 5 }, minBackoffMs: 50, maxBackoffMs: 300 });
    m.onMessage((x) => void got.push(x));
    m.onError((e) => void errors.push(e));
    opened.push(m);
    return m;
  };

  it('first contact while Bob is offline, then a conversation across epochs: every message once, decrypted, in order; the marker nowhere on the relay', async () => {
    const [A, B] = [cluster.gateways[0]!.url, cluster.gateways[1]!.url];
    const bobStore = new MemoryStore();
    const [toAlice, toBob]: [IncomingMessage[], IncomingMessage[]] = [[], []];
    const errors: Error[] = [];
    const sent = { alice: [] as string[], bob: [] as string[] };
    const say = async (from: Messenger, to: string, who: 'alice' | 'bob') => {
      const text = `${MARKER} ${who} #${sent[who].length}`;
      sent[who].push(text);
      await from.send(to, text);
    };

    // Bob publishes his prekeys through replica B and goes offline.
    const bob0 = await messenger([B, A], bobStore, toBob, errors);
    const invite = bob0.invite();
    await bob0.close();
    // Alice, on replica A, fetches his bundle (from his home relay, B) and writes to him.
    const alice = await messenger([A, B], new MemoryStore(), toAlice, errors);
    for (let i = 0; i < 4; i++) await say(alice, invite, 'alice');
    const queued = await dumpPostgres(cluster.postgres.url);
    assert.ok(queued.rows.queue_packets! >= 4, 'the messages wait in PostgreSQL');
    assert.equal(found(queued.text), undefined, 'no marker in PostgreSQL while the messages are queued');

    // Bob comes online on replica B (the same store: a restarted app) and gets them.
    let bob = await messenger([B, A], bobStore, toBob, errors);
    await waitFor(() => toBob.length === 4, { timeoutMs: 20_000, intervalMs: 20, what: "Bob's first four" });
    const bobToAlice = bob.contact(alice.invite()).id;
    const aliceToBob = alice.contact(invite).id;

    // Live across the hour's turn: a few each way, then the clock passes the boundary.
    for (let i = 0; i < 3; i++) {
      await say(bob, bobToAlice, 'bob');
      await say(alice, aliceToBob, 'alice');
    }
    clock.t += 10 * 60_000;
    await Promise.all([alice.relay.refreshClaims(), bob.relay.refreshClaims()]);
    for (let i = 0; i < 3; i++) {
      await say(alice, aliceToBob, 'alice');
      await say(bob, bobToAlice, 'bob');
    }
    await waitFor(() => toBob.length === sent.alice.length && toAlice.length === sent.bob.length, { timeoutMs: 20_000, intervalMs: 20, what: 'the live conversation' });

    // Bob offline for three hours: Alice writes in the first; Bob back two hours after that, when
    // its hour is outside his skew window and only the missed epochs he claims (from the last time
    // he connected) reach it.
    await bob.close();
    clock.t += EPOCH_MS;
    for (let i = 0; i < 3; i++) await say(alice, aliceToBob, 'alice');
    clock.t += 2 * EPOCH_MS;
    bob = await messenger([B, A], bobStore, toBob, errors);
    await waitFor(() => toBob.length === sent.alice.length, { timeoutMs: 20_000, intervalMs: 20, what: 'what Alice wrote while Bob was away' });
    for (let i = 0; i < 3; i++) {
      await say(bob, bobToAlice, 'bob');
      await say(alice, aliceToBob, 'alice');
    }
    await waitFor(() => toBob.length === sent.alice.length && toAlice.length === sent.bob.length, { timeoutMs: 20_000, intervalMs: 20, what: `the rest (Bob ${toBob.length}/${sent.alice.length}, Alice ${toAlice.length}/${sent.bob.length}, ${errors.map(String).join('; ')})` });

    // Exactly once, in order, decrypted: what each sent is what the other got.
    assert.deepEqual(toBob.map((m) => m.text()), sent.alice);
    assert.deepEqual(toAlice.map((m) => m.text()), sent.bob);
    assert.equal(new Set(toBob.map((m) => m.id)).size, toBob.length);
    assert.deepEqual(errors, []);
    assert.ok(sent.alice.length + sent.bob.length >= 25);
    await new Promise((r) => setTimeout(r, 300));

    // The marker, in any spelling, is nowhere the relay keeps anything.
    const db = await dumpPostgres(cluster.postgres.url);
    assert.ok(db.rows.prekey_identities! >= 2 && db.rows.prekey_kyber_one_time! > 0, 'the prekey tables hold the bundles');
    assert.equal(found(db.text), undefined, 'PostgreSQL');
    const redis = await dumpRedis(cluster.redis.url);
    assert.ok(redis.length > 0, 'Redis holds limits and the safe set');
    assert.equal(found(redis), undefined, 'Redis');
    const logs = [...cluster.gateways.flatMap((g) => g.fullLog), ...cluster.serviceLog].join('');
    assert.ok(logs.includes('gateway_listening') && logs.includes('migrations_applied') && logs.length > 2000, `the services logged (${logs.length} characters)`);
    assert.equal(found(logs), undefined, 'logs');
    const metrics = (
      await Promise.all([...cluster.gateways.map((g) => `http://127.0.0.1:${g.opsPort}/metrics`), `${cluster.queueService.opsUrl}/metrics`, `${cluster.prekeyService.opsUrl}/metrics`].map((u) => httpGet(u)))
    )
      .map((r) => r.text)
      .join('\n');
    assert.match(metrics, /tacit_gateway_prekey_requests_total/);
    assert.equal(found(metrics), undefined, 'metrics');
    // Nor does any log or metric name a mailbox key, an identity key or a prekey address.
    const ids: Uint8Array[] = [];
    for (const m of [alice, bob]) {
      const ik = Uint8Array.of(5, ...m.identityKey);
      ids.push(m.relay.peerKey, m.identityKey, prekeyAddressOf(ns, ik), prekeyTag(ns, ik));
    }
    for (const id of ids) {
      const b = Buffer.from(id);
      for (const spelled of [b.toString('hex'), b.toString('base64').replace(/=+$/, ''), b.toString('base64url')])
        assert.ok(!logs.includes(spelled) && !metrics.includes(spelled), 'a key or address in the logs or metrics');
    }
  });
});

/** The first spelling of the marker in `text`, if any. */
function found(text: string): string | undefined {
  return spellings(MARKER).find((s) => text.includes(s)) ?? spellings(MARKER.slice(0, 20)).find((s) => text.includes(s));
}

/** Every row of every table in the public schema as text (bytea as hex and as escaped bytes), with row counts. */
async function dumpPostgres(url: string): Promise<{ text: string; rows: Record<string, number> }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const tables = (await c.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'")).rows.map((r) => r.t);
    const parts: string[] = [];
    const rows: Record<string, number> = {};
    for (const t of tables) {
      const res = await c.query<{ r: string }>(`SELECT x::text AS r FROM ${t} x`);
      rows[t] = res.rows.length;
      for (const r of res.rows) {
        parts.push(r.r);
        // bytea columns' raw bytes too, in case a marker sat in them unencoded.
        for (const m of r.r.matchAll(/\\\\x([0-9a-f]+)/g)) parts.push(Buffer.from(m[1]!, 'hex').toString('latin1'));
      }
    }
    return { text: parts.join('\n'), rows };
  } finally {
    await c.end();
  }
}

/** Every key of every Redis database and its value (strings, sets, hashes, lists, sorted sets). */
async function dumpRedis(url: string): Promise<string> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const out: string[] = [];
    const keys = await r.keys('*');
    for (const k of keys) {
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
