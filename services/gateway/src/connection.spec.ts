import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { packPackets } from '@tacit/proto';
import { ServerFrameType } from '@tacit/protocol';
import { ClientConnection } from './connection.js';
import { keyAt, keyOf } from './keys.js';
import { deliverPage } from './drainer.js';
import type { WsSocket } from './wsock/index.js';

describe('keyOf', () => {
  it('is the latin1 string of the bytes, as the gateway cuts keys out of frames, for every byte value and length', () => {
    for (let start = 0; start < 256; start += 16) {
      const id = new Uint8Array(16).map((_, i) => start + i);
      assert.equal(keyOf(id), Buffer.from(id).toString('latin1'));
      assert.equal(keyOf(Buffer.from(id)), Buffer.from(id).toString('latin1'));
    }
    const frame = Buffer.from(randomBytes(80));
    assert.equal(keyOf(frame.subarray(35, 51)), frame.toString('latin1', 35, 51));
    assert.equal(keyAt(frame, 35), frame.toString('latin1', 35, 51));
    assert.equal(keyAt(frame, 35) + keyAt(frame, 51), frame.toString('latin1', 35, 67));
    assert.equal(keyAt(frame, 64), frame.toString('latin1', 64, 80));
    assert.throws(() => keyAt(frame, 65), RangeError);
    assert.throws(() => keyAt(frame, -1), RangeError);
    for (const n of [0, 15, 17, 32]) {
      const b = new Uint8Array(randomBytes(n));
      assert.equal(keyOf(b), Buffer.from(b).toString('latin1'));
    }
  });
});

/**
 * An open connection over a stand-in socket (what sendRaw, sendFrames and canTake read), with a
 * delivery window of `deliveryWindow`; `sent` is what went out, one entry per write.
 */
function openConnection(deliveryWindow: number): { conn: ClientConnection; sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  const ws = {
    readyState: 1,
    bufferedAmount: 0,
    cork() {},
    uncork() {},
    send: (b: Uint8Array) => (sent.push(b), true),
    sendFrames: (b: Uint8Array) => (sent.push(b), true),
  };
  const limits = { maxBufferedBytes: 1 << 20, deliveryWindow, liveAckTimeoutMs: 60_000, connRate: 100, connBurst: 100 };
  const conn = new ClientConnection(ws as unknown as WsSocket<ClientConnection>, { ipKey: 'ip', frameKey: 'f' }, limits, Date.now());
  conn.state = 'open';
  return { conn, sent };
}

describe('ClientConnection: a packet out live and then drained from the queue', () => {
  const open = () => openConnection(16);
  const ids = () => ({ mailboxId: new Uint8Array(randomBytes(16)), packetId: new Uint8Array(randomBytes(16)) });

  it('takes nothing once the socket is closed', () => {
    const { conn } = open();
    (conn.ws as { readyState: number }).readyState = 3;
    const { mailboxId, packetId } = ids();
    assert.equal(conn.takeQueued(keyOf(packetId), mailboxId, 1, 1), false);
    assert.equal(conn.pending.size, 0);
    assert.equal(conn.sendFrames(new Uint8Array(4)), false);
  });

  it('is not sent twice, and its one ACK answers the live wait and names the queued row', () => {
    const { conn, sent } = open();
    const { mailboxId, packetId } = ids();
    const key = keyOf(packetId);
    const heard: boolean[] = [];
    assert.equal(conn.offerLive(new Uint8Array(80), key, (acked) => heard.push(acked)), true);
    // A drain finds the same packet queued (the sender queued it after its live wait timed out).
    assert.equal(conn.takeQueued(key, mailboxId, 20_500, 42), false, 'not to be sent again');
    assert.equal(sent.length, 1, 'sent once');
    const ref = conn.settle(key, true);
    assert.deepEqual(heard, [true]);
    assert.ok(ref);
    assert.deepEqual([ref.mailboxId, ref.packetId, ref.expiryDay, ref.seq], [mailboxId, Buffer.from(packetId), 20_500, 42]);
  });

  it('names no queued row for a live delivery alone, and names one for a queued delivery whatever its day', () => {
    const { conn } = open();
    const live = ids();
    conn.offerLive(new Uint8Array(80), keyOf(live.packetId), () => {});
    assert.equal(conn.settle(keyOf(live.packetId), true), null);
    const queued = ids();
    assert.equal(conn.takeQueued(keyOf(queued.packetId), queued.mailboxId, 0, 0), true);
    assert.equal(conn.takeQueued(keyOf(queued.packetId), queued.mailboxId, 0, 0), false, 'taken once');
    const ref = conn.settle(keyOf(queued.packetId), true);
    assert.ok(ref);
    assert.deepEqual(ref.packetId, Buffer.from(queued.packetId));
    assert.equal(conn.settle(keyOf(queued.packetId), true), undefined, 'settled once');
  });

  it('a live delivery the client did not ack names no row, even with one attached (the row is drained again later)', () => {
    const { conn } = open();
    const { mailboxId, packetId } = ids();
    const key = keyOf(packetId);
    const heard: boolean[] = [];
    conn.offerLive(new Uint8Array(80), key, (acked) => heard.push(acked));
    conn.takeQueued(key, mailboxId, 20_500, 42);
    assert.equal(conn.settle(key, false), null);
    assert.deepEqual(heard, [false]);
  });
});

describe('deliverPage: a drained page read where it lies', () => {
  const open = () => openConnection(64);
  /** The binary messages of a buffer of unmasked server frames. */
  const messages = (buf: Uint8Array): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let at = 0; at < buf.length; ) {
      assert.equal(buf[at], 0x82, 'final binary frame');
      let n = buf[at + 1]!;
      let head = 2;
      if (n === 126) [n, head] = [(buf[at + 2]! << 8) | buf[at + 3]!, 4];
      out.push(buf.subarray(at + head, at + head + n));
      at += head + n;
    }
    return out;
  };
  const mbxA = new Uint8Array(16).fill(0xa1);
  const mbxB = new Uint8Array(16).fill(0xb2);
  const pkt = (seq: bigint, mailboxId: Uint8Array, size: number) => ({
    seq,
    expiryDay: 20_600,
    mailboxId,
    packetId: new Uint8Array(randomBytes(16)),
    packet: new Uint8Array(randomBytes(size)),
  });

  it('sends every packet not already out as one buffer of DELIVER frames, takes each once, and moves the cursor to the last seq', () => {
    const { conn, sent } = open();
    const packets = [pkt(7n, mbxA, 40), pkt(9n, mbxA, 300), pkt(2n ** 40n + 3n, mbxB, 125), pkt(2n ** 40n + 5n, mbxA, 0)];
    // The second packet is already out live (its live wait timed out and the sender queued it).
    conn.offerLive(new Uint8Array(8), keyOf(packets[1]!.packetId), () => {});
    sent.length = 0;
    assert.equal(deliverPage(conn, packPackets(packets)), 4);
    assert.equal(sent.length, 1, 'one write for the page');
    const got = messages(sent[0]!);
    assert.deepEqual(
      got.map((m) => [m[0], Buffer.from(m.subarray(1))]),
      [packets[0]!, packets[2]!, packets[3]!].map((p) => [ServerFrameType.DELIVER, Buffer.from(p.packet)]),
    );
    assert.equal(conn.drainSeq, 2n ** 40n + 5n);
    assert.equal(conn.pending.size, 4);
    const refs = packets.map((p) => conn.settle(keyOf(p.packetId), true)!);
    assert.deepEqual(
      refs.map((r) => [Buffer.from(r.mailboxId), Buffer.from(r.packetId), r.expiryDay, r.seq]),
      packets.map((p) => [Buffer.from(p.mailboxId), Buffer.from(p.packetId), 20_600, Number(p.seq)]),
    );
    // Ids are copies (an unacked entry does not hold the page), one per run of a mailbox.
    assert.equal(refs[0]!.mailboxId, refs[1]!.mailboxId);
    assert.notEqual(refs[2]!.mailboxId, refs[3]!.mailboxId);
    assert.equal(refs[0]!.mailboxId.buffer.byteLength, 16);
    // The same page again: nothing new goes out while its packets are unacked.
    const again = open();
    deliverPage(again.conn, packPackets(packets));
    again.sent.length = 0;
    assert.equal(deliverPage(again.conn, packPackets(packets)), 4);
    assert.equal(again.sent.length, 0);
  });

  it('an empty page takes nothing and leaves the cursor; a truncated one throws RangeError before taking anything', () => {
    const { conn, sent } = open();
    conn.drainSeq = 5n;
    assert.equal(deliverPage(conn, new Uint8Array(0)), 0);
    const page = packPackets([pkt(10n, mbxA, 50), pkt(11n, mbxA, 50)]);
    for (const cut of [1, 47, 48, page.length - 50, page.length - 1]) {
      assert.throws(() => deliverPage(conn, page.subarray(0, cut)), RangeError, `cut at ${cut}`);
    }
    assert.deepEqual([sent.length, conn.pending.size, conn.drainSeq], [0, 0, 5n]);
  });
});
