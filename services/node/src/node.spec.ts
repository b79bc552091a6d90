import assert from 'node:assert/strict';
import { createLogger } from '@tacit/kit';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newMailboxIdentity, RelayClient, type ReceivedMessage } from '@tacit/sdk';
import { httpGet, startNats, startPostgres, startRedis, type NatsServer, type PostgresServer, type RedisServer } from '@tacit/testing';
import pg from 'pg';
import WebSocket from 'ws';
import { startNode, type RunningNode } from './node.js';

const ns = new Uint8Array(32).fill(7);
const quiet = createLogger({ service: 'node', write: () => {} });

function client(node: RunningNode, inbox: ReceivedMessage[], opts: { lastSeenMs?: number } = {}) {
  return new RelayClient({ urls: [node.url], namespaceId: ns, identity: newMailboxIdentity(), onMessage: (m) => void inbox.push(m), ...opts });
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('startNode (embedded: PGlite, in-process bus, memory limits)', () => {
  let dir: string;
  let sut: RunningNode;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tacit-node-'));
    sut = await startNode({ PORT: '0', HOST: '127.0.0.1', OPS_PORT: '0', OPS_HOST: '127.0.0.1', DATA_DIR: dir }, quiet);
  });
  after(async () => {
    await sut.stop(100);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs embedded and answers /healthz and /readyz', async () => {
    assert.deepEqual(sut.shape, { bus: 'in-process', database: 'pglite', limits: 'memory' });
    assert.equal((await httpGet(`${sut.opsUrl}/healthz`)).status, 200);
    assert.equal((await httpGet(`${sut.opsUrl}/readyz`)).status, 200);
  });

  it('relays packets both ways between two online clients', async () => {
    const inA: ReceivedMessage[] = [];
    const inB: ReceivedMessage[] = [];
    const a = client(sut, inA);
    const b = client(sut, inB);
    await Promise.all([a.connect(), b.connect()]);
    await a.send(b.peerKey, new TextEncoder().encode('hello b'));
    await b.send(a.peerKey, new TextEncoder().encode('hello a'));
    await until(() => inA.length === 1 && inB.length === 1);
    assert.equal(new TextDecoder().decode(inB[0]!.payload), 'hello b');
    assert.equal(new TextDecoder().decode(inA[0]!.payload), 'hello a');
    a.close();
    b.close();
  });

  it('a mailbox claimed on two connections: a packet the first does not ack in time goes live to the other', async () => {
    const owner = newMailboxIdentity();
    const got: ReceivedMessage[] = [];
    const stuck: ReceivedMessage[] = [];
    // The first claimant receives but never finishes handling, so its SDK never acks.
    const first = new RelayClient({ urls: [sut.url], namespaceId: ns, identity: owner, onMessage: (m) => new Promise<void>(() => void stuck.push(m)) });
    await first.connect();
    const second = new RelayClient({ urls: [sut.url], namespaceId: ns, identity: owner, onMessage: (m) => void got.push(m) });
    await second.connect();
    const a = client(sut, []);
    await a.connect();
    const started = Date.now();
    await a.send(owner.publicKey, new TextEncoder().encode('to whichever acks'));
    // ACCEPTED once the second claimant acked, after the first one's live-ack timeout (2 s).
    assert.ok(Date.now() - started >= 1900, `accepted after ${Date.now() - started} ms`);
    assert.equal(stuck.length, 1);
    assert.equal(got.length, 1);
    assert.equal(new TextDecoder().decode(got[0]!.payload), 'to whichever acks');
    for (const c of [first, second, a]) c.close();
  });

  it('queues for an offline recipient and drains in order on connect, then deletes', async () => {
    const a = client(sut, []);
    await a.connect();
    const bIdentity = newMailboxIdentity();
    // 700: past the drain's small first page (64) and a full page after it (512).
    const n = 700;
    for (let i = 0; i < n; i++) await a.send(bIdentity.publicKey, new TextEncoder().encode(`m${i}`));
    const inbox: ReceivedMessage[] = [];
    const b = new RelayClient({ urls: [sut.url], namespaceId: ns, identity: bIdentity, onMessage: (m) => void inbox.push(m) });
    await b.connect();
    await until(() => inbox.length === n);
    assert.deepEqual(inbox.map((m) => new TextDecoder().decode(m.payload)), Array.from({ length: n }, (_, i) => `m${i}`));
    await until(() => sut.queue.stats().acked >= n);
    a.close();
    b.close();
  });

  it('a client offline for 30 days claims every epoch it missed in one CLAIM and drains a packet sent to it 10 days ago', async () => {
    const metric = async (name: string, labels = '') => {
      const { text } = await httpGet(`${sut.opsUrl}/metrics`);
      const line = text.split('\n').find((l) => l.startsWith(name) && l.includes(labels) && !l.startsWith('#'));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    const day = 24 * 3_600_000;
    const bId = newMailboxIdentity();
    // The sender's clock says ten days ago: the packet goes to B's mailbox of that hour.
    const a = new RelayClient({ urls: [sut.url], namespaceId: ns, identity: newMailboxIdentity(), receive: false, now: () => Date.now() - 10 * day });
    await a.connect();
    await a.send(bId.publicKey, new TextEncoder().encode('from ten days ago'));
    a.close();
    const claimFrames = await metric('tacit_gateway_frames_total', 'type="claim"');
    const claimed = await metric('tacit_gateway_claims_total');
    const inbox: ReceivedMessage[] = [];
    const b = new RelayClient({ urls: [sut.url], namespaceId: ns, identity: bId, onMessage: (m) => void inbox.push(m), lastSeenMs: Date.now() - 30 * day });
    await b.connect();
    await until(() => inbox.length === 1);
    assert.equal(new TextDecoder().decode(inbox[0]!.payload), 'from ten days ago');
    assert.equal((await metric('tacit_gateway_frames_total', 'type="claim"')) - claimFrames, 1, 'one CLAIM frame');
    assert.ok((await metric('tacit_gateway_claims_total')) - claimed >= 720, 'every missed hour claimed');
    b.close();
  });

  it('holds a slow reader\'s unsent bytes to about GATEWAY_MAX_BUFFERED_BYTES plus one page, then drains it whole', async () => {
    const limit = 262_144;
    const slowDir = mkdtempSync(path.join(tmpdir(), 'tacit-node-slow-'));
    const node = await startNode({ PORT: '0', HOST: '127.0.0.1', OPS_PORT: '0', OPS_HOST: '127.0.0.1', DATA_DIR: slowDir, GATEWAY_MAX_BUFFERED_BYTES: String(limit) }, quiet);
    const clients: RelayClient[] = [];
    try {
      const a = client(node, []);
      clients.push(a);
      await a.connect();
      const bIdentity = newMailboxIdentity();
      // 160 packets of 60 KB: ~9.6 MB queued, more than loopback's socket buffers take in.
      const n = 160;
      await Promise.all(Array.from({ length: n }, (_, i) => a.send(bIdentity.publicKey, new Uint8Array(60_000).fill(i & 0xff))));
      const inbox: ReceivedMessage[] = [];
      let socket: WebSocket | undefined;
      const b = new RelayClient({
        urls: [node.url],
        namespaceId: ns,
        identity: bIdentity,
        onMessage: (m) => void inbox.push(m),
        webSocket: (u) => (socket = new WebSocket(u, { perMessageDeflate: false })) as never,
      });
      clients.push(b);
      await b.connect();
      // The client stops reading: what the drain sends piles up in the kernel, then in the gateway.
      (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      const buffered = async (): Promise<number> => {
        const { text } = await httpGet(`${node.opsUrl}/metrics`);
        return Number(/^tacit_gateway_buffered_bytes\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? NaN);
      };
      let most = 0;
      for (let i = 0; i < 30; i++) {
        most = Math.max(most, await buffered());
        await new Promise((r) => setTimeout(r, 50));
      }
      // It did back up (the client really was slow), and no further than the bound plus one drain
      // page (the queue's replies stop at 768 KiB) plus one packet.
      assert.ok(most >= limit, `buffered at most ${most} B: the reader never fell behind`);
      assert.ok(most <= limit + 768 * 1024 + 65_536, `buffered ${most} B for a slow reader`);
      (socket as unknown as { _socket: { resume(): void } })._socket.resume();
      // Generous: a correctness bound, not a speed one (the whole node shares this process's
      // event loop, which a loaded machine stalls for seconds at a time).
      await until(() => inbox.length === n, 90_000).catch(async (err: unknown) => {
        const now = await buffered().catch((e: unknown) => `unknown (${String(e)})`);
        throw new Error(`${inbox.length}/${n} received, ${now} B buffered`, { cause: err });
      });
      // Each packet once and whole (concurrent sends may be stored in any order).
      const bytesOf = (xs: number[]): number[] => xs.sort((x, y) => x - y);
      assert.deepEqual(bytesOf(inbox.map((m) => m.payload[0]!)), bytesOf(Array.from({ length: n }, (_, i) => i & 0xff)));
      assert.ok(inbox.every((m) => m.payload.length === 60_000));
      await until(() => node.queue.stats().acked >= n, 10_000);
    } finally {
      // Closed even when an assertion failed: a client left reconnecting keeps the test process alive.
      for (const c of clients) c.close();
      await node.stop(100);
      rmSync(slowDir, { recursive: true, force: true });
    }
  });
});

/** DBSIZE of a Redis server, over a bare socket (RESP). */
function redisKeys(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write('*1\r\n$6\r\nDBSIZE\r\n'));
    let text = '';
    socket.on('data', (b) => {
      text += b.toString();
      const m = /^:(\d+)\r\n/.exec(text);
      if (m) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on('error', reject);
  });
}

describe('startNode with NATS_URL, DATABASE_URL and REDIS_URL: each part on the real server', () => {
  let dir: string;
  let servers: [NatsServer, PostgresServer, RedisServer];
  let sut: RunningNode;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tacit-node-real-'));
    servers = await Promise.all([startNats({ jetstream: false }), startPostgres(), startRedis()]);
    const [nats, postgres, redis] = servers;
    sut = await startNode({ PORT: '0', HOST: '127.0.0.1', OPS_PORT: '0', OPS_HOST: '127.0.0.1', DATA_DIR: dir, NATS_URL: nats.url, DATABASE_URL: postgres.url, REDIS_URL: redis.url }, quiet);
  });
  after(async () => {
    await sut?.stop(100);
    await Promise.all((servers ?? []).map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('relays live through NATS, queues in PostgreSQL and keeps limits in Redis', async () => {
    const [nats, postgres, redis] = servers;
    assert.deepEqual(sut.shape, { bus: 'nats', database: 'postgres', limits: 'redis' });
    assert.equal(existsSync(path.join(dir, 'queue')), false, 'no embedded database made');
    const varz = async () => (await (await fetch(`http://127.0.0.1:${nats.monitorPort}/varz`)).json()) as { connections: number; in_msgs: number };
    const msgsBefore = (await varz()).in_msgs;
    const inboxA: ReceivedMessage[] = [];
    const inboxB: ReceivedMessage[] = [];
    const a = client(sut, inboxA);
    const b = client(sut, inboxB);
    await Promise.all([a.connect(), b.connect()]);
    await a.send(b.peerKey, new TextEncoder().encode('live'));
    await until(() => inboxB.length === 1);
    // Offline: queued in PostgreSQL itself, then drained and deleted there.
    const offlineId = newMailboxIdentity();
    await a.send(offlineId.publicKey, new TextEncoder().encode('queued'));
    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    const rows = async () => Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM queue_packets')).rows[0]!.n);
    try {
      assert.equal(await rows(), 1);
      const inboxC: ReceivedMessage[] = [];
      const c = new RelayClient({ urls: [sut.url], namespaceId: ns, identity: offlineId, onMessage: (m) => void inboxC.push(m) });
      await c.connect();
      await until(() => inboxC.length === 1);
      assert.equal(new TextDecoder().decode(inboxC[0]!.payload), 'queued');
      const end = Date.now() + 5000;
      while ((await rows()) > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await rows(), 0);
      c.close();
    } finally {
      await db.end();
      a.close();
      b.close();
    }
    const v = await varz();
    assert.ok(v.connections >= 1, 'the node is connected to NATS');
    assert.ok(v.in_msgs > msgsBefore, 'the queue was asked over NATS');
    const end = Date.now() + 3000;
    while ((await redisKeys(Number(new URL(redis.url).port))) === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.ok((await redisKeys(Number(new URL(redis.url).port))) > 0, 'limits and the safe set live in Redis');
  });
});
