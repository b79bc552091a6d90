import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { newMailboxIdentity, RelayClient, type MailboxIdentity, type ReceivedMessage, type WebSocketLike } from '@tacit/sdk';
import { Cluster } from './harness.js';

const ns = new Uint8Array(32).fill(42);
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const wsFactory = (url: string) => new WebSocket(url) as unknown as WebSocketLike;

// Every client a test opens, closed after each test even when it fails: a client left
// reconnecting to a stopped gateway would keep the test process alive.
const opened: RelayClient[] = [];

function client(urls: string[], identity: MailboxIdentity, inbox?: ReceivedMessage[]): RelayClient {
  const c = new RelayClient({
    urls,
    namespaceId: ns,
    identity,
    webSocket: wsFactory,
    onMessage: inbox ? (m) => void inbox.push(m) : undefined,
    minBackoffMs: 50,
    maxBackoffMs: 500,
  });
  opened.push(c);
  return c;
}

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A counter of a gateway's /metrics (summed over the series whose labels include `labels`). */
async function metric(opsPort: number, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name && (m[2] ?? '').includes(labels)) sum += Number(m[3]);
  }
  return sum;
}

/** A pair's two clients and what went between them. */
interface Pair {
  sender: RelayClient;
  receiver: RelayClient;
  inbox: ReceivedMessage[];
  sent: string[];
}

/** `n` sender → receiver pairs across the two replicas, half each way; every client fails over to the other. */
function crossPairs(n: number, urls1: string[], urls2: string[]): Pair[] {
  return Array.from({ length: n }, (_, i) => {
    const inbox: ReceivedMessage[] = [];
    const sender = client(i % 2 ? urls1 : urls2, newMailboxIdentity());
    const receiver = client(i % 2 ? urls2 : urls1, newMailboxIdentity(), inbox);
    return { sender, receiver, inbox, sent: [] };
  });
}

/** `rounds` packets per pair, all sent at once; `accepted()` counts the ACCEPTED so far. */
function sendRounds(pairs: Pair[], rounds: number): { sends: Promise<void>[]; accepted: () => number } {
  let accepted = 0;
  const sends: Promise<void>[] = [];
  for (let k = 0; k < rounds; k++) {
    for (const [i, p] of pairs.entries()) {
      const body = `p${i}-${k}`;
      p.sent.push(body);
      sends.push(p.sender.send(p.receiver.peerKey, enc(body)).then(() => void accepted++));
    }
  }
  return { sends, accepted: () => accepted };
}

/** Each receiver surfaced exactly what was sent to it, each packet once. */
function assertEachOnce(pairs: ReadonlyArray<{ inbox: ReceivedMessage[]; sent: string[] }>): void {
  for (const p of pairs) {
    const got = p.inbox.map((m) => dec(m.payload));
    assert.equal(new Set(got).size, got.length, 'no packet surfaced twice');
    assert.deepEqual(new Set(got), new Set(p.sent));
  }
}

describe('cluster shape: two gateway replicas on real NATS, PostgreSQL and Redis', { timeout: 240_000 }, () => {
  let sut: Cluster;
  before(async () => {
    sut = await Cluster.start({ gateways: 2 });
  });
  afterEach(() => {
    for (const c of opened.splice(0)) c.close();
  });
  after(async () => {
    await sut?.stop();
  });

  it('A on replica 1 and B on replica 2 exchange packets both ways', async () => {
    const [g1, g2] = sut.gateways;
    const queued = await sut.queuedRows();
    const inA: ReceivedMessage[] = [];
    const inB: ReceivedMessage[] = [];
    const a = client([g1!.url], newMailboxIdentity(), inA);
    const b = client([g2!.url], newMailboxIdentity(), inB);
    await Promise.all([a.connect(), b.connect()]);
    await Promise.all(Array.from({ length: 50 }, (_, i) => a.send(b.peerKey, enc(`a→b ${i}`))));
    await Promise.all(Array.from({ length: 50 }, (_, i) => b.send(a.peerKey, enc(`b→a ${i}`))));
    await until(() => inA.length === 50 && inB.length === 50, 10_000, 'both inboxes');
    assert.deepEqual(new Set(inB.map((m) => dec(m.payload))), new Set(Array.from({ length: 50 }, (_, i) => `a→b ${i}`)));
    assert.deepEqual(new Set(inA.map((m) => dec(m.payload))), new Set(Array.from({ length: 50 }, (_, i) => `b→a ${i}`)));
    // 50 sends in one turn travel between replicas in batches, and are acked live: none was queued.
    assert.equal(await sut.queuedRows(), queued);
    a.close();
    b.close();
  });

  it('packets follow the recipient: by its replica once known, by mailbox again when it leaves or its replica dies', async () => {
    const [g1, g2] = sut.gateways;
    const byReplica = () => metric(g1!.opsPort, 'tacit_gateway_remote_requests_total', 'route="replica"');
    const rerouted = () => metric(g1!.opsPort, 'tacit_gateway_rerouted_total');
    const inB: ReceivedMessage[] = [];
    const a = client([g1!.url], newMailboxIdentity());
    const bId = newMailboxIdentity();
    let b = client([g2!.url], bId, inB);
    await Promise.all([a.connect(), b.connect()]);
    const sent: string[] = [];
    const send = (n: number, tag: string) =>
      Promise.all(Array.from({ length: n }, (_, i) => (sent.push(`${tag}${i}`), a.send(bId.publicKey, enc(`${tag}${i}`)))));

    // The first packet goes by mailbox and its reply names replica 2; the next ones go to it by id.
    const queued0 = await sut.queuedRows();
    const replica0 = await byReplica();
    await send(1, 'first');
    await send(30, 'live');
    await until(() => inB.length === 31, 10_000, 'live packets');
    assert.ok((await byReplica()) > replica0, 'later packets went by replica');
    assert.equal(await sut.queuedRows(), queued0, 'all delivered live');

    // B leaves: replica 2 answers "not here" for its mailbox, replica 1 sends them by mailbox, nobody
    // serves it, they are queued.
    b.close();
    await new Promise((r) => setTimeout(r, 200));
    const moved0 = await rerouted();
    await send(5, 'left');
    assert.equal((await rerouted()) - moved0, 5);
    assert.equal(await sut.queuedRows(), queued0 + 5);

    // B back on replica 2: it drains them; the route is learned again.
    b = client([g2!.url], bId, inB);
    await b.connect();
    await until(() => inB.length === 36, 10_000, 'drained after moving');
    await send(1, 'again');
    const replica1 = await byReplica();
    await send(10, 'again-live');
    await until(() => inB.length === 47, 10_000, 'live again');
    assert.ok((await byReplica()) > replica1, 'by replica again');

    // B leaves and replica 2 dies: nobody serves its id, so replica 1 forgets it and queues them.
    b.close();
    await g2!.kill('SIGKILL');
    const moved1 = await rerouted();
    await send(5, 'gone');
    assert.equal((await rerouted()) - moved1, 5);
    await g2!.start();
    b = client([g1!.url], bId, inB);
    await b.connect();
    await until(() => inB.length === 52, 10_000, 'drained after the replica died');
    const got = inB.map((m) => dec(m.payload));
    assert.equal(new Set(got).size, got.length, 'each once');
    assert.deepEqual(new Set(got), new Set(sent));
    // Each queued group drains in the order it was sent.
    for (const tag of ['left', 'gone']) {
      assert.deepEqual(got.filter((x) => x.startsWith(tag)), Array.from({ length: 5 }, (_, i) => `${tag}${i}`));
    }
    await until(async () => (await sut.queuedRows()) === queued0, 5_000, 'acked rows deleted');
  });

  it('a packet sent the moment its recipient has claimed on the other replica arrives at once (the claim is answered only once the replica serves the mailbox)', async () => {
    const [g1, g2] = sut.gateways;
    const a = client([g1!.url], newMailboxIdentity());
    await a.connect();
    for (let i = 0; i < 40; i++) {
      const inbox: ReceivedMessage[] = [];
      const b = client([i % 2 ? g2!.url : g1!.url], newMailboxIdentity(), inbox);
      await b.connect();
      await a.send(b.peerKey, enc(`first${i}`));
      await until(() => inbox.length === 1, 3_000, `the first packet of recipient ${i}`);
      b.close();
    }
  });

  it('a replica that stops answering (SIGSTOP): the sender queues after the live-ack timeout; once it resumes, each packet arrives once', async () => {
    const [g1, g2] = sut.gateways;
    const inB: ReceivedMessage[] = [];
    const a = client([g1!.url], newMailboxIdentity());
    const bId = newMailboxIdentity();
    const b = client([g2!.url], bId, inB);
    await Promise.all([a.connect(), b.connect()]);
    // Learn the route: from now on replica 1 hands B's packets to replica 2 by its id.
    await a.send(bId.publicKey, enc('before'));
    await until(() => inB.length === 1, 5_000, 'first packet');
    const queued0 = await sut.queuedRows();
    g2!.child!.kill('SIGSTOP');
    let accepted = 0;
    const started = Date.now();
    try {
      await Promise.all(Array.from({ length: 20 }, (_, i) => a.send(bId.publicKey, enc(`stalled${i}`)).then(() => void accepted++)));
      // Nothing answered for the live-ack timeout (2 s) plus its margin: then each was queued.
      assert.equal(accepted, 20);
      assert.ok(Date.now() - started >= 2_000, 'ACCEPTED only after the timeout');
      assert.equal(await sut.queuedRows(), queued0 + 20, 'queued while the replica stood still');
    } finally {
      g2!.child!.kill('SIGCONT');
    }
    await until(() => inB.length === 21, 15_000, 'every packet after the replica resumed');
    const got = inB.map((m) => dec(m.payload));
    assert.equal(new Set(got).size, got.length, 'each once');
    await until(async () => (await sut.queuedRows()) === queued0, 10_000, 'queued copies acked and deleted');
  });

  it('a burst of 64 KiB packets to an online recipient on the other replica arrives live, each once', async () => {
    const [g1, g2] = sut.gateways;
    const queued = await sut.queuedRows();
    const inB: ReceivedMessage[] = [];
    const a = client([g1!.url], newMailboxIdentity());
    const b = client([g2!.url], newMailboxIdentity(), inB);
    await Promise.all([a.connect(), b.connect()]);
    const big = (i: number) => new Uint8Array(65_000).fill(i);
    await Promise.all(Array.from({ length: 24 }, (_, i) => a.send(b.peerKey, big(i))));
    await until(() => inB.length === 24, 10_000, 'B got the burst');
    assert.deepEqual(inB.map((m) => m.payload[0]).sort((x, y) => x! - y!), Array.from({ length: 24 }, (_, i) => i));
    assert.ok(inB.every((m) => m.payload.length === 65_000 && m.payload.every((x) => x === m.payload[0])));
    assert.equal(await sut.queuedRows(), queued, 'delivered live, not through the queue');
    a.close();
    b.close();
  });

  it('B offline: packets queue in PostgreSQL; B reconnects to the other replica, drains in order, acks, rows are gone', async () => {
    const [g1, g2] = sut.gateways;
    const before = await sut.queuedRows();
    const a = client([g1!.url], newMailboxIdentity());
    await a.connect();
    const bId = newMailboxIdentity();
    for (let i = 0; i < 100; i++) await a.send(bId.publicKey, enc(`q${i}`));
    assert.equal(await sut.queuedRows(), before + 100);
    const inbox: ReceivedMessage[] = [];
    const b = client([g2!.url], bId, inbox);
    await b.connect();
    await until(() => inbox.length === 100, 10_000, 'drain');
    assert.deepEqual(inbox.map((m) => dec(m.payload)), Array.from({ length: 100 }, (_, i) => `q${i}`));
    await until(async () => (await sut.queuedRows()) === before, 5_000, 'acked rows deleted');
    a.close();
    b.close();
  });

  it('a burst of 64 KiB packets to an offline mailbox is queued and drained whole (requests stay under the NATS limit)', async () => {
    const [g1, g2] = sut.gateways;
    const before = await sut.queuedRows();
    const a = client([g1!.url], newMailboxIdentity());
    await a.connect();
    const bId = newMailboxIdentity();
    const big = (i: number) => new Uint8Array(65_000).fill(i);
    await Promise.all(Array.from({ length: 40 }, (_, i) => a.send(bId.publicKey, big(i))));
    const inbox: ReceivedMessage[] = [];
    const b = client([g2!.url], bId, inbox);
    await b.connect();
    await until(() => inbox.length === 40, 20_000, 'big packets drained');
    assert.deepEqual(new Set(inbox.map((m) => m.payload[0])), new Set(Array.from({ length: 40 }, (_, i) => i)));
    assert.ok(inbox.every((m) => m.payload.length === 65_000));
    await until(async () => (await sut.queuedRows()) === before, 5_000, 'acked rows deleted');
    a.close();
    b.close();
  });

  it('a contact who knows B\'s key cannot receive B\'s packets nor ack them away', async () => {
    const [g1, g2] = sut.gateways;
    const before = await sut.queuedRows();
    const bId = newMailboxIdentity();
    const a = client([g1!.url], newMailboxIdentity());
    await a.connect();
    await a.send(bId.publicKey, enc('private'));
    const stolen: ReceivedMessage[] = [];
    const thief = client([g2!.url], newMailboxIdentity(), stolen);
    await thief.connect();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(stolen.length, 0);
    assert.equal(await sut.queuedRows(), before + 1);
    const inbox: ReceivedMessage[] = [];
    const b = client([g2!.url], bId, inbox);
    await b.connect();
    await until(() => inbox.length === 1, 5_000, 'owner receives');
    for (const c of [a, thief, b]) c.close();
  });

  it('SIGKILL of one replica with 1,000 packets in flight between 20 pairs: every accepted packet arrives, none twice', async () => {
    const [g1, g2] = sut.gateways;
    const urls1 = [g1!.url, g2!.url];
    const urls2 = [g2!.url, g1!.url];
    const pairs = crossPairs(20, urls1, urls2);
    await Promise.all(pairs.flatMap((p) => [p.sender.connect(), p.receiver.connect()]));
    const { sends, accepted } = sendRounds(pairs, 50);
    await until(() => accepted() >= 150, 20_000, 'some packets accepted before the kill');
    await g1!.kill('SIGKILL');
    await Promise.all(sends);
    assert.equal(accepted(), 1000);
    await until(() => pairs.every((p) => p.inbox.length >= p.sent.length), 60_000, 'every accepted packet delivered');
    assertEachOnce(pairs);
    for (const p of pairs) {
      p.sender.close();
      p.receiver.close();
    }
    await g1!.start();
  });

  it('SIGTERM of a replica mid-drain and under load: its clients get GOAWAY and carry on through the other; every accepted packet arrives once, acked rows are deleted, the replica exits 0', async () => {
    const [g1, g2] = sut.gateways;
    const urls1 = [g1!.url, g2!.url];
    const urls2 = [g2!.url, g1!.url];
    const rowsBefore = await sut.queuedRows();
    // Queued first: 8 recipients offline get 150 packets each, to be drained from replica 2.
    const offline = Array.from({ length: 8 }, () => ({ id: newMailboxIdentity(), inbox: [] as ReceivedMessage[], sent: [] as string[] }));
    const queuer = client(urls1, newMailboxIdentity());
    await queuer.connect();
    await Promise.all(
      offline.flatMap((r, i) =>
        Array.from({ length: 150 }, (_, k) => {
          const body = `q${i}-${k}`;
          r.sent.push(body);
          return queuer.send(r.id.publicKey, enc(body));
        }),
      ),
    );
    assert.equal(await sut.queuedRows(), rowsBefore + 1200);
    // Live pairs both ways between the replicas.
    const pairs = crossPairs(10, urls1, urls2);
    await Promise.all(pairs.flatMap((p) => [p.sender.connect(), p.receiver.connect()]));
    // Each drainer handles its packets one at a time, 2 ms apiece (the SDK acks a packet when its
    // handler resolves): the drains are still under way, with packets out and unacked, at SIGTERM.
    const drainers = offline.map((r) => {
      let last = Promise.resolve();
      const c = new RelayClient({
        urls: urls2,
        namespaceId: ns,
        identity: r.id,
        webSocket: wsFactory,
        minBackoffMs: 50,
        maxBackoffMs: 500,
        onMessage: (m) =>
          (last = last.then(async () => {
            await new Promise((res) => setTimeout(res, 2));
            r.inbox.push(m);
          })),
      });
      opened.push(c);
      return c;
    });
    await Promise.all(drainers.map((c) => c.connect()));
    const { sends, accepted } = sendRounds(pairs, 40);
    await until(() => accepted() >= 50 && offline.every((r) => r.inbox.length > 0), 20_000, 'live packets accepted and every drain under way');
    assert.ok(offline.every((r) => r.inbox.length < r.sent.length), 'drains not finished at SIGTERM');
    const t0 = Date.now();
    await g2!.kill('SIGTERM');
    assert.equal(g2!.child!.exitCode, 0, 'a drain, not a crash');
    assert.ok(Date.now() - t0 < 15_000, `drained within the grace (${Date.now() - t0} ms)`);
    await Promise.all(sends);
    assert.equal(accepted(), 400);
    const all = [...pairs, ...offline];
    await until(() => all.every((p) => p.inbox.length >= p.sent.length), 60_000, 'every accepted and every queued packet delivered');
    assertEachOnce(all);
    // Those on replica 2 were told to go and came back through replica 1.
    const moved = [...drainers, ...pairs.filter((_, i) => i % 2 === 1).map((p) => p.receiver)];
    assert.ok(moved.every((c) => c.stats.goaways === 1), 'each client of replica 2 was told to go (GOAWAY)');
    await until(() => moved.every((c) => c.stats.connects >= 2), 10_000, 'the clients of replica 2 reconnected');
    await until(async () => (await sut.queuedRows()) === rowsBefore, 20_000, 'every drained packet deleted once acked');
    await g2!.start();
  });

  it('restart PostgreSQL, then NATS, then Redis under load: service resumes, nothing accepted is lost', async () => {
    const [g1, g2] = sut.gateways;
    const pairs = Array.from({ length: 4 }, (_, i) => {
      const inbox: ReceivedMessage[] = [];
      const sender = client(i % 2 ? [g1!.url, g2!.url] : [g2!.url, g1!.url], newMailboxIdentity());
      const receiverId = newMailboxIdentity();
      return { sender, receiverId, inbox, sent: new Set<string>(), receiver: undefined as RelayClient | undefined };
    });
    // Two receivers online, two offline (their packets go through PostgreSQL).
    for (const [i, p] of pairs.entries()) {
      if (i < 2) {
        p.receiver = client([g2!.url, g1!.url], p.receiverId, p.inbox);
        await p.receiver.connect();
      }
      await p.sender.connect();
    }
    let stop = false;
    let seq = 0;
    const pending: Promise<void>[] = [];
    const load = (async () => {
      const end = Date.now() + 60_000;
      while (!stop && Date.now() < end && seq < 4000) {
        for (const p of pairs) {
          const body = `r${seq++}`;
          p.sent.add(body);
          pending.push(p.sender.send(p.receiverId.publicKey, enc(body)));
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    await sut.postgres.restart();
    await new Promise((r) => setTimeout(r, 500));
    await sut.nats.restart();
    await new Promise((r) => setTimeout(r, 1000));
    await sut.redis.restart();
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await load;
    await Promise.all(pending);
    for (const [i, p] of pairs.entries()) {
      if (i >= 2) {
        p.receiver = client([g1!.url, g2!.url], p.receiverId, p.inbox);
        await p.receiver.connect();
      }
    }
    await until(() => pairs.every((p) => new Set(p.inbox.map((m) => dec(m.payload))).size >= p.sent.size), 60_000, 'all delivered after restarts');
    for (const p of pairs) {
      const got = p.inbox.map((m) => dec(m.payload));
      assert.equal(new Set(got).size, got.length, 'no packet surfaced twice');
      assert.deepEqual(new Set(got), p.sent);
      p.sender.close();
      p.receiver?.close();
    }
  });
});
