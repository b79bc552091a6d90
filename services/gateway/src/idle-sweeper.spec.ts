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
    const silent = sut.connect();
    const chatty = sut.connect();
    sut.clock.advance(6000);
    sut.receive(chatty.conn, encodeClientFrame({ type: 'hello', minVersion: 1, maxVersion: 1 }));
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

  it('sweeps on its own every quarter of the timeout (at least every 250 ms)', async () => {
    sut = replica({ config: { GATEWAY_IDLE_TIMEOUT_MS: '1000' } });
    const silent = sut.connect();
    sut.clock.advance(1001);
    sut.sweeper.start();
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(silent.ws.closed?.code, CloseCode.IDLE_TIMEOUT);
  });
});
