// Issue 12, attack 1: a contact stalls my offline delivery. While I am offline a contact (who knows
// my key, so my mailbox's address) fills my mailbox with 10,000 junk packets, then someone sends me
// one real message; I connect. Before the fix the SDK never acked what it could not read and the
// gateway waited for those acks without end: 1,600 junk packets kept the real message from ever
// arriving. Now the SDK acks and drops junk, and the gateway lets an unacked queued delivery leave
// its window after GATEWAY_DELIVERY_ACK_TIMEOUT_MS, so the real message arrives within a bound.
// Against the one-container node in its own process, on loopback.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { currentEpoch, decodeServerFrame, destHash, pad, ServerFrameType } from '@tacit/protocol';
import { newMailboxIdentity, RelayClient, type MailboxIdentity, type ReceivedMessage } from '@tacit/sdk';
import WebSocket from 'ws';
import { procs } from '../procs.js';
import { AttackNode, sleep } from './harness.js';
import { claimFrame, RawWs, sendFrame } from './wire.js';

/** Junk packets ahead of the real message, all in one mailbox (the figure). */
const JUNK = 10_000;
/**
 * The real message reaches an SDK client within this, counted from connect(), behind JUNK junk
 * packets. Measured on this 2-core machine, shared (load average 4–12, two spec files at once):
 * 0.7–4.5 s; 30 s leaves room for a machine several times slower, and is the figure docs/attacks.md
 * states.
 */
const SDK_BOUND_MS = 30_000;
/**
 * Lowered from 10 s (the default) so that the third case — a client that never acks — ends in
 * seconds: the bound it must meet scales with it (see NO_ACK_BOUND_MS). The SDK cases ack
 * everything, so the timeout never fires for them.
 */
const ACK_TIMEOUT_MS = 1000;
/** GATEWAY_DELIVERY_WINDOW, the default: half of it is what a drain hands out before it waits. */
const WINDOW = 2048;
/**
 * A client that never acks is handed the junk a half window at a time, each half leaving the window
 * after ACK_TIMEOUT_MS: the real message comes within ceil(JUNK / (WINDOW / 2)) timeouts (10 s here;
 * 100 s with the default 10 s timeout) plus the drain's own time. Measured: 9.6–12.2 s; the bound
 * adds 20 s for the drain's work and a slow machine.
 */
const NO_ACK_BOUND_MS = Math.ceil(JUNK / (WINDOW / 2)) * ACK_TIMEOUT_MS + 20_000;

const ns = new Uint8Array(32).fill(1);
const ws = (u: string) => new WebSocket(u) as never;

describe('attack 1: a contact\'s junk cannot stall my offline delivery', { timeout: 180_000 }, () => {
  let node: AttackNode;
  let contact: RelayClient;
  before(async () => {
    // QUEUE_MAILBOX_CAP: the default (10,000) would refuse part of the junk; raised so that all of
    // it sits in one mailbox ahead of the real message, the worst case for the drain.
    // GATEWAY_IP_QUEUE_BYTE_RATE: the default (256 KiB a second per address: attack 3) would stretch
    // queueing the junk (~3.5 MB from one address) to 14 s; the flood's cost is not what this spec measures.
    node = await AttackNode.start({ QUEUE_MAILBOX_CAP: '20000', GATEWAY_DELIVERY_ACK_TIMEOUT_MS: String(ACK_TIMEOUT_MS), GATEWAY_DELIVERY_WINDOW: String(WINDOW), GATEWAY_IP_QUEUE_BYTE_RATE: '64MiB' });
    contact = new RelayClient({ urls: [node.url], namespaceId: ns, identity: newMailboxIdentity(), webSocket: ws, receive: false });
    await contact.connect();
  });
  after(async () => {
    contact?.close();
    await node?.stop();
    await Promise.all(procs.map((p) => p.exit('SIGKILL')));
  });

  /**
   * The SDK acked every junk packet and the real one (the queue deleted them): it was the acks, not
   * the gateway's ack timeout (JUNK / half a window = 10 timeouts, 10 s), that moved the drain on.
   */
  async function ackedAll(before: number): Promise<void> {
    let acked = 0;
    for (let i = 0; i < 100 && acked < JUNK + 1; i++) {
      acked = (await node.metric('tacit_queue_acked_packets_total')) - before;
      if (acked < JUNK + 1) await sleep(100);
    }
    assert.equal(acked, JUNK + 1, 'every packet delivered was acked and deleted');
  }

  /** Queues JUNK packets made by `payload` for `victim` (while offline), then the real message; resolves to its packet id. */
  async function fill(victim: MailboxIdentity, payload: () => Uint8Array): Promise<Uint8Array> {
    const epoch = currentEpoch(Date.now());
    const frames = Array.from({ length: JUNK }, () => sendFrame(ns, victim.publicKey, epoch, payload()));
    // Four connections of the contact, a quarter each (one connection's rate would take 5 s).
    const conns = await Promise.all([0, 1, 2, 3].map(() => RawWs.open(node.port)));
    await Promise.all(conns.map((c) => c.hello()));
    const quarter = JUNK / 4;
    const accepted = await Promise.all(conns.map((c, i) => c.sendAll(frames.slice(i * quarter, (i + 1) * quarter), 1000, 60_000)));
    for (const c of conns) c.destroy();
    assert.equal(accepted.reduce((a, b) => a + b, 0), JUNK, 'all the junk is queued');
    const real = randomBytes(16);
    await contact.send(victim.publicKey, new TextEncoder().encode('the real message'), { packetId: real });
    return real;
  }

  it(`an SDK client gets the real message behind ${JUNK} packets it cannot unpad within ${SDK_BOUND_MS / 1000} s`, async () => {
    const victim = newMailboxIdentity();
    // Random bytes whose padding length prefix points past the payload: no SDK can unpad them.
    const real = await fill(victim, () => {
      const p = randomBytes(256);
      p.writeUInt32BE(0xffff_ffff, 0);
      return p;
    });
    const acked0 = await node.metric('tacit_queue_acked_packets_total');
    const inbox: ReceivedMessage[] = [];
    let dropped = 0;
    const me = new RelayClient({ urls: [node.url], namespaceId: ns, identity: victim, webSocket: ws, onMessage: (m) => void inbox.push(m), onDropped: () => void dropped++ });
    const t0 = performance.now();
    try {
      await me.connect();
      while (inbox.length === 0 && performance.now() - t0 < SDK_BOUND_MS) await sleep(10);
      const took = performance.now() - t0;
      assert.equal(inbox.length, 1, `the real message did not arrive within ${SDK_BOUND_MS} ms (${dropped} junk packets dropped so far)`);
      assert.deepEqual(new Uint8Array(inbox[0]!.packetId), new Uint8Array(real));
      // It really waited behind all the junk (the drain is in queue order): the bound means something.
      assert.equal(dropped, JUNK);
      console.log(`real message after ${JUNK} undecodable packets: ${took.toFixed(0)} ms`);
      await ackedAll(acked0);
    } finally {
      me.close();
    }
  });

  it(`an SDK client whose handler throws on ${JUNK} junk packets gets the real message within ${SDK_BOUND_MS / 1000} s`, async () => {
    const victim = newMailboxIdentity();
    // Well padded, so the SDK hands them to the app, whose handler throws on what it cannot decrypt.
    const real = await fill(victim, () => pad(randomBytes(100)));
    const acked0 = await node.metric('tacit_queue_acked_packets_total');
    const inbox: ReceivedMessage[] = [];
    let failed = 0;
    const me = new RelayClient({
      urls: [node.url],
      namespaceId: ns,
      identity: victim,
      webSocket: ws,
      onMessage: (m) => {
        if (new TextDecoder().decode(m.payload) !== 'the real message') throw new Error('cannot decrypt');
        inbox.push(m);
      },
      onDropped: (_id, reason) => void (reason === 'handler_failed' && failed++),
    });
    const t0 = performance.now();
    try {
      await me.connect();
      while (inbox.length === 0 && performance.now() - t0 < SDK_BOUND_MS) await sleep(10);
      const took = performance.now() - t0;
      assert.equal(inbox.length, 1, `the real message did not arrive within ${SDK_BOUND_MS} ms (${failed} handler failures so far)`);
      assert.deepEqual(new Uint8Array(inbox[0]!.packetId), new Uint8Array(real));
      assert.equal(failed, JUNK);
      console.log(`real message after ${JUNK} packets the handler threw on: ${took.toFixed(0)} ms`);
      await ackedAll(acked0);
    } finally {
      me.close();
    }
  });

  it(`a client that never acks gets the real message within ceil(junk / half the window) ack timeouts (${NO_ACK_BOUND_MS / 1000} s)`, async () => {
    const victim = newMailboxIdentity();
    const real = await fill(victim, () => randomBytes(256));
    // An older or broken client: claims its mailbox with a valid proof, reads what comes, acks nothing.
    const me = await RawWs.open(node.port);
    let delivered = 0;
    let found = false;
    me.onMessage = (msg) => {
      if (msg[0] !== ServerFrameType.DELIVER) return;
      delivered++;
      const f = decodeServerFrame(msg);
      if (f.type === 'deliver' && Buffer.from(f.packet.packetId).equals(real)) found = true;
    };
    const t0 = performance.now();
    try {
      await me.hello();
      me.send(claimFrame(1, victim, me.challenge!, [destHash(ns, victim.publicKey, currentEpoch(Date.now()))]));
      await me.waitFor(() => found || !me.open, NO_ACK_BOUND_MS);
      const took = performance.now() - t0;
      assert.ok(found, `the real message did not arrive within ${NO_ACK_BOUND_MS} ms (${delivered} deliveries, close ${me.closeCode})`);
      // Every junk packet went out once before it (none twice: an expired delivery stays queued, and
      // only a drain from the start would hand it out again).
      assert.equal(delivered, JUNK + 1);
      console.log(`real message after ${JUNK} packets never acked: ${took.toFixed(0)} ms`);
    } finally {
      me.destroy();
    }
  });
});
