import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CloseCode, encodeClientFrame, ErrorCode, GoawayReason } from '@tacit/protocol';
import { IdleSweeper } from './idle-sweeper.js';
import { replica, type Replica } from './spec-fixtures.js';

describe(IdleSweeper.name, () => {
  let sut: Replica;
  afterEach(async () => {
    sut?.sweeper.stop();
    await sut?.close();
  });

  it('closes a connection silent for GATEWAY_IDLE_TIMEOUT_MS (GOAWAY IDLE_TIMEOUT, ERROR IDLE_TIMEOUT, 4408), and only that one', () => {
    sut = replica({ config: { GATEWAY_IDLE_TIMEOUT_MS: '10000' } });
    const silent = sut.open();
    const chatty = sut.open();
    sut.clock.advance(6000);
    sut.receive(chatty.conn, encodeClientFrame({ type: 'ping', nonce: new Uint8Array(8) }));
    chatty.ws.frames();
    sut.clock.advance(4001);
    sut.sweeper.sweep();
    const frames = silent.ws.frames();
    assert.deepEqual(frames.map((f) => f.type), ['goaway', 'error']);
    assert.ok(frames[0]?.type === 'goaway' && frames[0].reason === GoawayReason.IDLE_TIMEOUT);
    assert.ok(frames[1]?.type === 'error' && frames[1].code === ErrorCode.IDLE_TIMEOUT);
    assert.equal(silent.ws.closed?.code, CloseCode.IDLE_TIMEOUT);
    assert.equal(chatty.ws.frames().length, 0);
    assert.equal(chatty.ws.closed, undefined);
    // A connection already closing is not told twice.
    sut.clock.advance(60_000);
    sut.sweeper.sweep();
    assert.equal(silent.ws.frames().length, 0);
    assert.equal((chatty.ws as { closed?: { code: number } }).closed?.code, CloseCode.IDLE_TIMEOUT);
  });

  it('closes a connection that never says HELLO after GATEWAY_HELLO_TIMEOUT_MS (ERROR IDLE_TIMEOUT, 4408)', () => {
    sut = replica({ config: { GATEWAY_HELLO_TIMEOUT_MS: '2000' } });
    const mute = sut.connect();
    const polite = sut.open();
    sut.clock.advance(2001);
    sut.sweeper.sweep();
    assert.deepEqual(mute.ws.frames().map((f) => [f.type, (f as { code?: number }).code]), [['error', ErrorCode.IDLE_TIMEOUT]]);
    assert.equal(mute.ws.closed?.code, CloseCode.IDLE_TIMEOUT);
    assert.equal(polite.ws.closed, undefined);
  });

  it('closes a connection holding an unfinished frame once no frame completed for GATEWAY_FRAME_TIMEOUT_MS', () => {
    sut = replica({ config: { GATEWAY_FRAME_TIMEOUT_MS: '3000', GATEWAY_IDLE_TIMEOUT_MS: '60000' } });
    const trickler = sut.open();
    const reader = sut.open();
    trickler.ws.receivingBytes = 70_000;
    sut.clock.advance(3001);
    sut.sweeper.sweep();
    assert.equal(trickler.ws.closed?.code, CloseCode.IDLE_TIMEOUT);
    assert.equal(reader.ws.closed, undefined, 'quiet without a frame in progress: only the idle timeout applies');
  });

  it('keeps the unfinished frames of all connections under GATEWAY_MAX_PARTIAL_BYTES: the largest holders go first', () => {
    sut = replica({ config: { GATEWAY_MAX_PARTIAL_BYTES: '1MiB' } });
    const sizes = [600_000, 100_000, 500_000, 50_000];
    const conns = sizes.map((n) => {
      const c = sut.open();
      c.ws.receivingBytes = n;
      return c;
    });
    sut.sweeper.sweep();
    // 1 250 000 held, 1 048 576 allowed: closing the largest (600 000) is enough.
    assert.deepEqual(conns.map((c) => c.ws.closed?.code), [CloseCode.FRAME_TOO_LARGE, undefined, undefined, undefined]);
  });

  it('sweeps on its own every quarter of the timeout (at least every 250 ms)', async () => {
    sut = replica({ config: { GATEWAY_IDLE_TIMEOUT_MS: '1000' } });
    const silent = sut.open();
    sut.clock.advance(1001);
    sut.sweeper.start();
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(silent.ws.closed?.code, CloseCode.IDLE_TIMEOUT);
  });
});
