import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CloseCode, encodeClientFrame, ErrorCode } from '@tacit/protocol';
import { FrameDispatcher } from './dispatcher.js';
import { Owner, replica, sendFrame, type Replica } from './spec-fixtures.js';

describe(FrameDispatcher.name, () => {
  let sut: Replica;
  afterEach(async () => sut?.close());

  const code = (r: { ws: { frames(): { type: string; code?: number }[] } }) => r.ws.frames().map((f) => f.code ?? f.type);

  it('closes on a text message (MALFORMED_FRAME, 4400), a frame over the cap (FRAME_TOO_LARGE, 1009) and a second HELLO (4400)', () => {
    sut = replica({ config: { GATEWAY_MAX_FRAME_BYTES: '2048' } });
    const text = sut.open();
    sut.dispatcher.onMessage(text.conn, Buffer.from('hello'), false);
    assert.deepEqual([code(text), text.ws.closed?.code], [[ErrorCode.MALFORMED_FRAME], CloseCode.MALFORMED_FRAME]);
    const big = sut.open();
    sut.receive(big.conn, new Uint8Array(2049));
    assert.deepEqual([code(big), big.ws.closed?.code], [[ErrorCode.FRAME_TOO_LARGE], CloseCode.FRAME_TOO_LARGE]);
    const twice = sut.open();
    sut.receive(twice.conn, encodeClientFrame({ type: 'hello', minVersion: 1, maxVersion: 1 }));
    assert.deepEqual([code(twice), twice.ws.closed?.code], [[ErrorCode.MALFORMED_FRAME], CloseCode.MALFORMED_FRAME]);
  });

  it('answers PING with PONG carrying its nonce', () => {
    sut = replica();
    const c = sut.open();
    const nonce = new Uint8Array(8).fill(7);
    sut.receive(c.conn, encodeClientFrame({ type: 'ping', nonce }));
    const [pong] = c.ws.frames();
    assert.ok(pong?.type === 'pong');
    assert.deepEqual(pong.nonce, nonce);
  });

  it('past the connection\'s token bucket: RATE_LIMITED echoing the SEND\'s packet id; past 50 strikes in a second, close 4429', () => {
    sut = replica({ config: { GATEWAY_CONN_RATE: '1', GATEWAY_CONN_BURST: '2' } });
    const c = sut.open(); // HELLO took one token
    const p = new Owner().packet();
    sut.receive(c.conn, sendFrame(p)); // the last token
    for (let i = 0; i < 51; i++) sut.receive(c.conn, sendFrame(p));
    const errors = c.ws.frames().filter((f) => f.type === 'error');
    assert.equal(errors.length, 51);
    assert.ok(errors.every((e) => e.type === 'error' && e.code === ErrorCode.RATE_LIMITED));
    assert.deepEqual(Buffer.from((errors[0] as { ref: Uint8Array }).ref), Buffer.from(p.packetId));
    assert.equal(c.ws.closed?.code, CloseCode.RATE_LIMITED);
  });

  it('a malformed frame gets the decoder\'s typed error (and the close protocol.md §10 pairs with it)', () => {
    sut = replica();
    const c = sut.open();
    sut.receive(c.conn, new Uint8Array([0x03, 1, 2, 3]));
    assert.deepEqual(code(c), [ErrorCode.MALFORMED_FRAME]);
    assert.equal(c.ws.closed?.code, CloseCode.MALFORMED_FRAME);
  });
});
