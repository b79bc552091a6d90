import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newMailboxIdentity, RelayClient, type ReceivedMessage } from '@tacit/sdk';
import { startNode, type RunningNode } from './node.js';

const ns = new Uint8Array(32).fill(7);
const quiet = { info() {}, warn() {}, error() {}, debug() {}, child() { return quiet; } } as never;

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
    sut = await startNode({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir }, quiet);
  });
  after(async () => {
    await sut.stop(100);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs embedded and answers /healthz and /readyz', async () => {
    assert.deepEqual(sut.shape, { bus: 'in-process', database: 'pglite', limits: 'memory' });
    assert.equal((await fetch(`${sut.httpUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${sut.httpUrl}/readyz`)).status, 200);
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
});
