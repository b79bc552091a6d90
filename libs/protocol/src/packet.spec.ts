import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FRAME_PACKET_AT, PACKET_HEADER_LEN, PACKET_ID_AT, PACKET_MAILBOX_ID_AT } from './constants.js';
import { ClientFrameType, encodeClientFrame } from './client-frames.js';
import { ErrorCode, ProtocolError } from './errors.js';
import { decodePacket, encodePacket, type Packet } from './packet.js';

const packet = (over: Partial<Packet> = {}): Packet => ({
  version: 1,
  hopLimit: 4,
  destHash: new Uint8Array(32).fill(1),
  mailboxId: new Uint8Array(16).fill(2),
  packetId: new Uint8Array(16).fill(3),
  ttlSeconds: 3600,
  payload: new Uint8Array(256).fill(4),
  ...over,
});

describe(encodePacket.name, () => {
  it('lays out the 74-byte header big-endian, then the payload', () => {
    const sut = encodePacket(packet());
    assert.equal(PACKET_HEADER_LEN, 74);
    assert.equal(sut.length, 74 + 256);
    assert.deepEqual(sut.subarray(0, 2), Uint8Array.of(1, 4));
    assert.ok(sut.subarray(2, 34).every((b) => b === 1));
    assert.ok(sut.subarray(34, 50).every((b) => b === 2));
    assert.ok(sut.subarray(50, 66).every((b) => b === 3));
    assert.deepEqual(sut.subarray(66, 74), Uint8Array.of(0, 0, 0x0e, 0x10, 0, 0, 1, 0));
  });

  it('puts the ids where PACKET_MAILBOX_ID_AT and PACKET_ID_AT say, and the packet at FRAME_PACKET_AT in a SEND', () => {
    const p = packet({ mailboxId: new Uint8Array(16).map((_, i) => 100 + i), packetId: new Uint8Array(16).map((_, i) => 200 + i) });
    const sut = encodePacket(p);
    assert.deepEqual([PACKET_MAILBOX_ID_AT, PACKET_ID_AT, FRAME_PACKET_AT], [34, 50, 1]);
    assert.deepEqual(sut.subarray(PACKET_MAILBOX_ID_AT, PACKET_MAILBOX_ID_AT + 16), p.mailboxId);
    assert.deepEqual(sut.subarray(PACKET_ID_AT, PACKET_ID_AT + 16), p.packetId);
    const frame = encodeClientFrame({ type: 'send', packet: p });
    assert.equal(frame[0], ClientFrameType.SEND);
    assert.deepEqual(frame.subarray(FRAME_PACKET_AT), sut);
  });

  it('rejects fields out of range, naming the field', () => {
    assert.throws(() => encodePacket(packet({ hopLimit: 0 })), { name: 'RangeError', message: '"hopLimit" expected integer 1..16, got 0' });
    assert.throws(() => encodePacket(packet({ ttlSeconds: 2_592_001 })), { message: '"ttlSeconds" expected integer 1..2592000, got 2592001' });
    assert.throws(() => encodePacket(packet({ payload: new Uint8Array(300) })), { name: 'RangeError', message: /"payload" expected a size bucket/ });
    assert.throws(() => encodePacket(packet({ destHash: new Uint8Array(31) })), { message: '"destHash" expected 32 bytes, got 31' });
    assert.throws(() => encodePacket(packet({ version: 2 as 1 })), { name: 'RangeError', message: '"version" expected 1, got 2' });
    assert.throws(() => encodePacket(null as unknown as Packet), TypeError);
  });
});

describe(decodePacket.name, () => {
  it('returns views into the input rather than copies', () => {
    const bytes = encodePacket(packet());
    const sut = decodePacket(bytes);
    assert.equal(sut.payload.buffer, bytes.buffer);
    assert.equal(sut.payload.byteOffset, 74);
    bytes[74] = 9;
    assert.equal(sut.payload[0], 9);
  });

  it('decodes from a subarray at any offset of a larger buffer', () => {
    const enc = encodePacket(packet());
    const big = new Uint8Array(enc.length + 13);
    big.set(enc, 7);
    assert.deepEqual(decodePacket(big.subarray(7, 7 + enc.length)), packet());
  });

  it('reports an unknown version before anything else', () => {
    assert.throws(
      () => decodePacket(Uint8Array.of(2)),
      (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.UNSUPPORTED_VERSION && e.field === 'version',
    );
  });

  it('rejects non-bytes with ProtocolError', () => {
    assert.throws(() => decodePacket('x' as unknown as Uint8Array), ProtocolError);
  });
});
