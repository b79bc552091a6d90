import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_FRAME_BYTES } from './constants.js';
import { decodeClientFrame, encodeClientFrame, type ClientFrame } from './client-frames.js';
import { ErrorCode, ProtocolError } from './errors.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const isProtocolError = (code: number, field: string) => (e: unknown) =>
  e instanceof ProtocolError && e.code === code && e.field === field;

describe(encodeClientFrame.name, () => {
  it('encodes HELLO as 01 "TACT" min max 0000', () => {
    assert.equal(hex(encodeClientFrame({ type: 'hello', minVersion: 1, maxVersion: 2 })), '0154414354010200 00'.replace(' ', ''));
  });

  it('encodes PING and ACK', () => {
    assert.equal(hex(encodeClientFrame({ type: 'ping', nonce: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) })), '050102030405060708');
    assert.equal(hex(encodeClientFrame({ type: 'ack', packetIds: [new Uint8Array(16).fill(0xee)] })), `040001${'ee'.repeat(16)}`);
  });

  it('rejects invalid frames with TypeError or RangeError naming the field', () => {
    const bad: [unknown, RegExp][] = [
      [{ type: 'hello', minVersion: 0, maxVersion: 1 }, /"minVersion" expected integer 1\.\.255, got 0/],
      [{ type: 'hello', minVersion: 2, maxVersion: 1 }, /"maxVersion" expected integer 2\.\.255, got 1/],
      [{ type: 'claim', requestId: -1, peerKey: new Uint8Array(32), signature: new Uint8Array(64), dests: [new Uint8Array(32)] }, /"requestId"/],
      [{ type: 'claim', requestId: 1, peerKey: new Uint8Array(32), signature: new Uint8Array(63), dests: [new Uint8Array(32)] }, /"signature" expected 64 bytes, got 63/],
      [{ type: 'claim', requestId: 1, peerKey: new Uint8Array(32), signature: new Uint8Array(64), dests: [] }, /"dests" expected 1\.\.1024 items, got 0/],
      [{ type: 'claim', requestId: 1, peerKey: new Uint8Array(32), signature: new Uint8Array(64), dests: new Array(1025).fill(new Uint8Array(32)) }, /"dests" expected 1\.\.1024 items, got 1025/],
      [{ type: 'ack', packetIds: new Array(257).fill(new Uint8Array(16)) }, /"packetIds" expected 1\.\.256 items, got 257/],
      [{ type: 'ack', packetIds: [new Uint8Array(15)] }, /"packetIds\[0\]" expected 16 bytes, got 15/],
      [{ type: 'ping', nonce: new Uint8Array(7) }, /"nonce" expected 8 bytes, got 7/],
      [{ type: 'send', packet: null }, /"packet" expected object/],
      [{ type: 'welcome' }, /"type" expected hello, claim, send, ack or ping, got "welcome"/],
      [null, /"frame" expected object, got null/],
    ];
    for (const [frame, message] of bad) {
      assert.throws(() => encodeClientFrame(frame as ClientFrame), (e: unknown) => {
        assert.ok(e instanceof TypeError || e instanceof RangeError, String(e));
        assert.match(e.message, message);
        return true;
      });
    }
  });
});

describe(decodeClientFrame.name, () => {
  it('accepts a Node Buffer (what ws hands over) as well as a Uint8Array', () => {
    const sut = decodeClientFrame(Buffer.from('050102030405060708', 'hex'));
    assert.equal(sut.type, 'ping');
  });

  it('rejects a text message (a string) as MALFORMED_FRAME', () => {
    assert.throws(() => decodeClientFrame('hello' as unknown as Uint8Array), isProtocolError(ErrorCode.MALFORMED_FRAME, 'frame'));
  });

  it('checks the size limit before parsing, defaulting to MAX_FRAME_BYTES', () => {
    assert.throws(() => decodeClientFrame(new Uint8Array(MAX_FRAME_BYTES + 1)), isProtocolError(ErrorCode.FRAME_TOO_LARGE, 'frame'));
    assert.throws(() => decodeClientFrame(new Uint8Array(2), { maxFrameBytes: 1 }), {
      message: '"frame" expected at most 1 byte, got 2',
    });
    assert.throws(() => decodeClientFrame(new Uint8Array(2), { maxFrameBytes: 0 }), RangeError);
  });

  it('gives the SEND packet bytes as frame.subarray(1), unchanged', () => {
    const frame: ClientFrame = {
      type: 'send',
      packet: {
        version: 1,
        hopLimit: 2,
        destHash: new Uint8Array(32),
        mailboxId: new Uint8Array(16),
        packetId: new Uint8Array(16),
        ttlSeconds: 60,
        payload: new Uint8Array(256),
      },
    };
    const bytes = encodeClientFrame(frame);
    const sut = decodeClientFrame(bytes);
    assert.deepEqual(sut, frame);
    assert.equal(sut.type === 'send' && sut.packet.payload.buffer, bytes.buffer);
  });
});
