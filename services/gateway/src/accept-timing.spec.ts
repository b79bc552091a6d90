import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AcceptTiming } from './accept-timing.js';
import { openConnection, settings } from './spec-fixtures.js';

describe(AcceptTiming.name, () => {
  it('holds a live delivery\'s ACCEPTED until a time drawn from what queued packets took, then counts the send answered', async () => {
    const sut = new AcceptTiming(settings());
    for (let i = 0; i < 50; i++) sut.recordQueued(60);
    const { conn, sent } = openConnection(16);
    conn.inflight = 2;
    const t0 = performance.now();
    sut.release(conn, new Uint8Array(16).fill(1), t0);
    sut.release(conn, new Uint8Array(16).fill(2), t0 - 100); // arrived 100 ms ago: past every draw
    await new Promise((r) => setImmediate(r));
    assert.equal(sut.held, 1);
    assert.equal(conn.inflight, 1);
    while (sut.held > 0) await new Promise((r) => setTimeout(r, 5));
    const waited = performance.now() - t0;
    // Answers are scheduled early by the timers' learnt lateness (≤ 1.5 ms) and given when due within
    // half a millisecond: at most 2 ms before the time drawn, by design.
    assert.ok(waited >= 58, `held ${waited} ms, drawn 60`);
    assert.equal(conn.inflight, 0);
    await new Promise((r) => setImmediate(r));
    assert.equal(sent.length, 2, 'one ACCEPTED at once, the other when due');
  });

  it('draws from the recorded times only (the newest 1024), and answers at once when hiding is off', () => {
    const sut = new AcceptTiming(settings());
    for (let i = 0; i < 2000; i++) sut.recordQueued(i < 976 ? 1 : 7);
    for (let i = 0; i < 200; i++) assert.equal(sut.draw(), 7);
    const off = new AcceptTiming(settings({ GATEWAY_HIDE_PRESENCE: 'false' }));
    off.recordQueued(1000);
    const { conn } = openConnection(16);
    conn.inflight = 1;
    off.release(conn, new Uint8Array(16), performance.now());
    assert.equal(off.held, 0);
    assert.equal(conn.inflight, 0);
  });
});
