import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { UNSENT_SLACK_BYTES } from './connection.js';
import { keyOf } from './keys.js';
import { openConnection } from './spec-fixtures.js';
import { heapPerItem } from './spec-heap.js';

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

describe('ClientConnection: what a client that does not read can make the gateway hold', () => {
  it('cuts the connection off once more than maxBufferedBytes plus the slack wait unsent, whatever the frame', () => {
    const { conn, sent } = openConnection(16);
    const ws = conn.ws as unknown as { bufferedAmount: number; readyState: number; terminate(): void };
    let terminated = false;
    ws.terminate = () => void (terminated = true);
    ws.bufferedAmount = (1 << 20) + UNSENT_SLACK_BYTES;
    assert.equal(conn.send({ type: 'pong', nonce: new Uint8Array(8) }), true, 'at the bound: still sent');
    ws.bufferedAmount += 1;
    assert.equal(conn.send({ type: 'pong', nonce: new Uint8Array(8) }), false);
    assert.equal(conn.sendFrames(new Uint8Array(10)), false);
    assert.equal(terminated, true);
    assert.equal(conn.state, 'closing');
    assert.equal(sent.length, 1);
  });
});

describe('ClientConnection: the v2 channel agreed by the first claim', () => {
  const channel = () => ({ ephemeral: keyOf(new Uint8Array(randomBytes(32))), key: new Uint8Array(randomBytes(32)) });

  it('gives back the ephemeral key and the channel key it was given, and nothing before', () => {
    const { conn } = openConnection(16);
    assert.equal(conn.channel, undefined);
    assert.equal(conn.channelEphemeral, undefined);
    const c = channel();
    conn.channel = c;
    assert.deepEqual(conn.channel, { ephemeral: c.ephemeral, key: Buffer.from(c.key) });
    assert.equal(conn.channelEphemeral, c.ephemeral);
    assert.throws(() => (conn.channel = { ephemeral: c.ephemeral.slice(1), key: c.key }), RangeError, 'a short ephemeral key');
    assert.throws(() => (conn.channel = { ephemeral: c.ephemeral, key: c.key.subarray(1) }), RangeError, 'a short channel key');
    assert.deepEqual(conn.channel?.key, Buffer.from(c.key), 'a refused channel changes nothing');
  });

  it('costs each idle connection one string: under 100 B of heap (an object, a string and a Uint8Array were ~340 B)', async () => {
    const per = await heapPerItem(20_000, () => openConnection(16).conn, (conn) => (conn.channel = channel()));
    assert.ok(per < 100, `${per.toFixed(0)} B per connection's channel`);
  });
});
