import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodePayload, encodePayload, PAYLOAD_BYTES } from '../load/payload.js';
import { MW_HEADER_BYTES, mwDecodePacket, mwDestHash, mwEncodePacket } from './meshwhisper.js';

describe('bench payload', () => {
  it('is 256 bytes and carries pair, seq and send time', () => {
    const buf = encodePayload({ pair: 7, seq: 123_456, sentAt: 98_765.4321 });
    assert.equal(buf.byteLength, PAYLOAD_BYTES);
    assert.deepEqual(decodePayload(buf), { pair: 7, seq: 123_456, sentAt: 98_765.4321 });
    assert.equal(decodePayload(new Uint8Array(256)), null);
    assert.equal(decodePayload(new Uint8Array(10)), null);
  });
});

describe('MeshWhisper packet framing (node/dist/index.js header layout)', () => {
  it('writes the 31-byte big-endian header: version, flags, destHash, senderEphId, ttl, payloadLen', () => {
    const payload = encodePayload({ pair: 1, seq: 2, sentAt: 3 });
    const sender = Buffer.alloc(16, 0xab);
    const frame = mwEncodePacket(mwDestHash(5), sender, payload);
    assert.equal(MW_HEADER_BYTES, 31);
    assert.equal(frame.length, 31 + 256);
    assert.equal(frame[0], 1);
    assert.equal(frame[1], 1);
    assert.equal(frame.subarray(2, 10).toString('hex'), mwDestHash(5));
    assert.match(mwDestHash(5), /^[0-9a-f]{16}$/);
    assert.deepEqual(frame.subarray(10, 26), sender);
    assert.equal(frame.readUInt32BE(27), 256);
    assert.deepEqual(new Uint8Array(mwDecodePacket(frame)!), payload);
  });

  it('refuses short or inconsistent frames', () => {
    assert.equal(mwDecodePacket(new Uint8Array(30)), null);
    const frame = mwEncodePacket(mwDestHash(0), Buffer.alloc(16), new Uint8Array(8));
    frame.writeUInt32BE(9, 27);
    assert.equal(mwDecodePacket(frame), null);
  });
});
