import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ClientConnection, keyAt, keyOf } from './connection.js';
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

describe('ClientConnection: a packet out live and then drained from the queue', () => {
  // The socket side of a connection: what sendRaw and canTake read, and what went out.
  const socket = () => {
    const sent: Uint8Array[] = [];
    const ws = { readyState: 1, bufferedAmount: 0, cork() {}, uncork() {}, send: (b: Uint8Array) => (sent.push(b), true) };
    return { ws: ws as unknown as WsSocket<ClientConnection>, sent };
  };
  const limits = { maxBufferedBytes: 1 << 20, deliveryWindow: 16, liveAckTimeoutMs: 60_000, connRate: 100, connBurst: 100 };
  const open = () => {
    const { ws, sent } = socket();
    const conn = new ClientConnection(ws, { ipKey: 'ip', frameKey: 'f' }, limits, Date.now());
    conn.state = 'open';
    return { conn, sent };
  };
  const ids = () => ({ mailboxId: new Uint8Array(randomBytes(16)), packetId: new Uint8Array(randomBytes(16)) });

  it('is not sent twice, and its one ACK answers the live wait and names the queued row', () => {
    const { conn, sent } = open();
    const { mailboxId, packetId } = ids();
    const key = keyOf(packetId);
    const heard: boolean[] = [];
    assert.equal(conn.offerLive(new Uint8Array(80), key, (acked) => heard.push(acked)), true);
    // A drain finds the same packet queued (the sender queued it after its live wait timed out).
    assert.equal(conn.deliverQueued(new Uint8Array(80), mailboxId, packetId, key, 20_500, 42n), false);
    assert.equal(sent.length, 1, 'sent once');
    const ref = conn.settle(key, true);
    assert.deepEqual(heard, [true]);
    assert.ok(ref);
    assert.deepEqual([ref.mailboxId, ref.packetId, ref.expiryDay, ref.seq], [mailboxId, packetId, 20_500, 42n]);
  });

  it('names no queued row for a live delivery alone, and names one for a queued delivery whatever its day', () => {
    const { conn } = open();
    const live = ids();
    conn.offerLive(new Uint8Array(80), keyOf(live.packetId), () => {});
    assert.equal(conn.settle(keyOf(live.packetId), true), null);
    const queued = ids();
    assert.equal(conn.deliverQueued(new Uint8Array(80), queued.mailboxId, queued.packetId, keyOf(queued.packetId), 0, 0n), true);
    const ref = conn.settle(keyOf(queued.packetId), true);
    assert.ok(ref);
    assert.equal(ref.packetId, queued.packetId);
  });

  it('a live delivery the client did not ack names no row, even with one attached (the row is drained again later)', () => {
    const { conn } = open();
    const { mailboxId, packetId } = ids();
    const key = keyOf(packetId);
    const heard: boolean[] = [];
    conn.offerLive(new Uint8Array(80), key, (acked) => heard.push(acked));
    conn.deliverQueued(new Uint8Array(80), mailboxId, packetId, key, 20_500, 42n);
    assert.equal(conn.settle(key, false), null);
    assert.deepEqual(heard, [false]);
  });
});
