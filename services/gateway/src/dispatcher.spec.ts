import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CloseCode, encodeClientFrame, ErrorCode } from '@tacit/protocol';
import { FrameDispatcher } from './dispatcher.js';
import { Owner, replica, sendFrame, until, type Replica } from './spec-fixtures.js';

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

  it('charges a CLAIM one frame per destination: a connection\'s budget runs out on big claims before their signature is checked', () => {
    sut = replica({ config: { GATEWAY_CONN_RATE: '1', GATEWAY_CONN_BURST: '100' } });
    const owner = new Owner();
    const c = sut.open(); // 1 token
    const dests = Array.from({ length: 60 }, (_, i) => new Uint8Array(32).fill(i));
    sut.receive(c.conn, encodeClientFrame(owner.claim(c.conn.challenge!, dests, 5))); // 61 of the 99 left
    sut.receive(c.conn, encodeClientFrame(owner.claim(c.conn.challenge!, dests, 6))); // 61 more do not fit
    const frames = c.ws.frames();
    const limited = frames.find((f) => f.type === 'error' && f.code === ErrorCode.RATE_LIMITED);
    assert.ok(limited, JSON.stringify(frames.map((f) => f.type)));
  });

  it('charges a CLAIM\'s destinations against the address\'s GATEWAY_IP_CLAIM_RATE: past it RATE_LIMITED on any connection of the address, before the proof is checked; refilled the next second', async () => {
    sut = replica({ config: { GATEWAY_IP_CLAIM_RATE: '1024' } });
    const owner = new Owner();
    const dests = (from: number, n: number) => Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(7).fill((from + i) & 0xff, 0, 1).fill((from + i) >> 8, 1, 2));
    const a = sut.open();
    sut.receive(a.conn, encodeClientFrame(owner.claim(a.conn.challenge!, dests(0, 1000), 1)));
    const b = sut.open();
    // 1,000 of the 1,024 taken: 25 more do not fit, however bad their proof (no BAD_PROOF: never checked).
    const bad = owner.claim(b.conn.challenge!, dests(1000, 25), 2);
    sut.receive(b.conn, encodeClientFrame({ ...bad, signature: new Uint8Array(64) }));
    const [err] = b.ws.frames();
    assert.ok(err?.type === 'error' && err.code === ErrorCode.RATE_LIMITED, JSON.stringify(err));
    assert.equal(Buffer.from(err.ref).readUInt32BE(0), 2, 'the request id echoed');
    assert.equal(b.conn.claimed.size, 0);
    sut.clock.advance(1000);
    sut.receive(b.conn, encodeClientFrame({ ...bad, signature: new Uint8Array(64) }));
    const [next] = b.ws.frames();
    assert.ok(next?.type === 'error' && next.code === ErrorCode.BAD_PROOF, 'the next second, the claim is checked');
    await until(() => a.ws.written.length > 0);
    assert.equal(a.ws.frames()[0]?.type, 'claimed', 'the first claim, within the rate, was answered');
  });

  it('charges bytes: a connection past GATEWAY_CONN_BYTE_BURST is RATE_LIMITED until its byte rate refills', () => {
    sut = replica({ config: { GATEWAY_CONN_BYTE_RATE: '64KiB', GATEWAY_CONN_BYTE_BURST: '128KiB' } });
    const c = sut.open();
    const big = new Owner().packet({ payload: new Uint8Array(65_536) });
    sut.receive(c.conn, sendFrame(big)); // ~64 KiB
    sut.receive(c.conn, sendFrame({ ...big, packetId: new Uint8Array(16).fill(1) })); // ~128 KiB: over
    const errors = c.ws.frames().filter((f) => f.type === 'error');
    assert.equal(errors.length, 1);
    assert.ok(errors[0]?.type === 'error' && errors[0].code === ErrorCode.RATE_LIMITED);
    sut.clock.advance(2000);
    sut.receive(c.conn, sendFrame({ ...big, packetId: new Uint8Array(16).fill(2) }));
    assert.equal(c.ws.frames().filter((f) => f.type === 'error').length, 0, 'refilled');
  });

  it('caps a connection\'s SENDs in flight (GATEWAY_MAX_INFLIGHT_SENDS): the next is RATE_LIMITED, echoing its packet id', () => {
    sut = replica({ config: { GATEWAY_MAX_INFLIGHT_SENDS: '2' } });
    const c = sut.open();
    c.conn.inflight = 2;
    const p = new Owner().packet();
    sut.receive(c.conn, sendFrame(p));
    const [err] = c.ws.frames();
    assert.ok(err?.type === 'error' && err.code === ErrorCode.RATE_LIMITED);
    assert.deepEqual(Buffer.from(err.ref), Buffer.from(p.packetId));
  });
});
