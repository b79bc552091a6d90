import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeServerFrame } from '@tacit/protocol';
import { AcceptTiming } from './accept-timing.js';
import { openConnection, settings } from './spec-fixtures.js';

const immediate = () => new Promise((r) => setImmediate(r));
const ids = (frames: Uint8Array[]) =>
  frames.flatMap((f) => {
    const frame = decodeServerFrame(f);
    return frame.type === 'accepted' ? frame.packetIds.map((p) => p[0]) : [];
  });

describe(AcceptTiming.name, () => {
  it('holds a live delivery\'s ACCEPTED until a time drawn from what queued packets took, then counts the send answered', async () => {
    const sut = new AcceptTiming(settings());
    const { conn, sent } = openConnection(16);
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) sut.answer(conn, new Uint8Array(16).fill(100), t0 - 60, true); // each took 60 ms
    while (sut.held > 0) await new Promise((r) => setTimeout(r, 1));
    await immediate();
    sent.length = 0;
    conn.inflight = 2;
    const t1 = performance.now();
    sut.release(conn, new Uint8Array(16).fill(1), t1);
    sut.release(conn, new Uint8Array(16).fill(2), t1 - 100); // arrived 100 ms ago: past every draw
    assert.equal(sut.held, 2, 'neither is given in the turn it was released');
    while (sut.held > 1) await new Promise((r) => setTimeout(r, 1));
    assert.equal(conn.inflight, 1);
    while (sut.held > 0) await new Promise((r) => setTimeout(r, 1));
    const waited = performance.now() - t1;
    assert.ok(waited >= 60, `held ${waited} ms, drawn 60: given at a tick after it, never before`);
    assert.equal(conn.inflight, 0);
    await immediate();
    assert.deepEqual(ids(sent), [2, 1]);
    sut.onModuleDestroy();
  });

  it('gives queued, duplicate and live answers due by then at the same tick, never in the turn they became due', async () => {
    const sut = new AcceptTiming(settings());
    const { conn, sent } = openConnection(16);
    conn.inflight = 3;
    const t0 = performance.now();
    sut.sending();
    assert.ok(sut.ticking, 'a SEND starts the ticker, before its path is known');
    sut.answer(conn, new Uint8Array(16).fill(1), t0, true);
    sut.answer(conn, new Uint8Array(16).fill(2), t0, false);
    sut.release(conn, new Uint8Array(16).fill(3), t0 - 10_000); // acked long after any draw
    assert.equal(sut.held, 3);
    assert.equal(conn.inflight, 3, 'none is given in the turn it became due');
    while (sut.held > 0) await new Promise((r) => setTimeout(r, 1));
    await immediate();
    // Ids given in one turn share one ACCEPTED frame: one frame shows they left at one tick.
    assert.equal(sent.length, 1);
    assert.deepEqual(ids(sent), [1, 2, 3]);
    assert.equal(conn.inflight, 0);
    sut.onModuleDestroy();
    assert.equal(sut.ticking, false);
  });

  it('draws from the recorded times only (the newest 128); duplicates are not recorded', () => {
    const sut = new AcceptTiming(settings());
    const { conn } = openConnection(16);
    for (let i = 0; i < 2000; i++) sut.answer(conn, new Uint8Array(16), performance.now() - (i < 1872 ? 1 : 7), true);
    for (let i = 0; i < 100; i++) sut.answer(conn, new Uint8Array(16), performance.now() - 1000, false);
    for (let i = 0; i < 200; i++) {
      const s = sut.draw();
      assert.ok(s >= 7 && s < 7.5, `drew ${s}`);
    }
    sut.onModuleDestroy();
    assert.equal(sut.held, 0, 'shutdown gives what is still held');
  });

  it('answers at once, with no ticker, when hiding is off', async () => {
    const off = new AcceptTiming(settings({ GATEWAY_HIDE_PRESENCE: 'false' }));
    const { conn, sent } = openConnection(16);
    conn.inflight = 2;
    off.sending();
    off.answer(conn, new Uint8Array(16), performance.now() - 1000, true);
    off.release(conn, new Uint8Array(16), performance.now());
    assert.equal(off.held, 0);
    assert.equal(off.ticking, false);
    assert.equal(conn.inflight, 0);
    await immediate();
    assert.equal(sent.length, 1);
  });
});
